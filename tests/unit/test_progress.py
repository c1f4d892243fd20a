"""The build progress display: plain lines in a log, a live status line on a terminal."""
import io
import time

from monasca_docker.progress import CLEAR_LINE, Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_log_gets_plain_lines_only():
    log = io.StringIO()
    with Progress(log) as show:
        show.started("monasca/api:latest")
        show.finished("monasca/api:latest", "built in 3.0s")
    assert log.getvalue() == "monasca/api:latest: building\nmonasca/api:latest: built in 3.0s\n"


def test_a_terminal_sees_what_is_building_until_it_is_done():
    screen = Terminal()
    with Progress(screen, interval=0.05) as show:
        show.started("monasca/api:latest")
        show.started("monasca/persister:latest")
        show.finished("monasca/persister:latest", "up to date")
        written = screen.getvalue().count(CLEAR_LINE)
        deadline = time.monotonic() + 10
        while screen.getvalue().count(CLEAR_LINE) < written + 2:     # two redraws by the ticker
            assert time.monotonic() < deadline, "the status line is never redrawn"
            time.sleep(0.01)
        redrawn = screen.getvalue()
        show.finished("monasca/api:latest", "built in 1.0s")
    out = screen.getvalue()
    last_status = redrawn.rsplit(CLEAR_LINE, 1)[1]
    assert last_status.startswith("building: monasca/api:latest ") and "persister" not in last_status
    assert "monasca/persister:latest: up to date\n" in out
    finished, _, after = out.rpartition("\n")
    assert finished.endswith("monasca/api:latest: built in 1.0s")
    assert after and after.replace(CLEAR_LINE, "") == "", "the status line is left on the screen"
