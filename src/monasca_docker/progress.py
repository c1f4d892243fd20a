"""What a build run shows while it works.

Every step gets a line, so a log or CI output reads the same as before. On
a terminal, a status line under them is redrawn every second, naming the
images being built and for how long.
"""
from __future__ import annotations

import shutil
import sys
import threading
import time

CLEAR_LINE = "\r\x1b[K"


class Progress:
    def __init__(self, stream=None, live: bool | None = None, interval: float = 1.0):
        self.stream = stream or sys.stdout
        self.live = self.stream.isatty() if live is None else live
        self.interval = interval
        self._building: dict[str, float] = {}
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> Progress:
        if self.live:
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        if self._ticker:
            self._ticker.join()
            self.stream.write(CLEAR_LINE)
            self.stream.flush()

    def started(self, ref: str) -> None:
        with self._lock:
            self._building[ref] = time.monotonic()
            self._write(f"{ref}: building\n")

    def finished(self, ref: str, result: str) -> None:
        with self._lock:
            self._building.pop(ref, None)
            self._write(f"{ref}: {result}\n")

    def status_line(self) -> str:
        now = time.monotonic()
        running = ", ".join(f"{ref} {now - since:.0f}s" for ref, since in self._building.items())
        width = shutil.get_terminal_size().columns - 1     # a wrapped line cannot be redrawn
        return f"building: {running}"[:width] if running else ""

    def _tick(self) -> None:
        while not self._done.wait(self.interval):
            with self._lock:
                self._write("")

    def _write(self, lines: str) -> None:
        """Lines above; on a terminal, the status line redrawn below them."""
        if self.live:
            lines = CLEAR_LINE + lines + self.status_line()
        self.stream.write(lines)
        self.stream.flush()
