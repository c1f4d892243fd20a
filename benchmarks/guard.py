#!/usr/bin/env python3
"""What the ingest guard's depth check costs a request, beside one json.loads
of the same body (the API parses each body at least once itself):

    .venv/bin/python benchmarks/guard.py

Bodies: batches of metrics as the agent's forwarder sends them (100, and
20,000: near the 4 MB body limit), and 60,000 nested `[`, which the check refuses. Run it on a
quiet machine; the load average is printed beside the figures.
"""
import json
import os
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "images" / "base" / "toolkit"))
from monasca_toolkit import ingest_guard  # noqa: E402


def batch(count):
    return json.dumps([{"name": "cpu.idle_perc", "dimensions": {"hostname": f"host-{n}", "service": "monitoring"},
                        "timestamp": 1_800_000_000_000 + n, "value": 97.5, "value_meta": {"unit": "percent"}}
                       for n in range(count)]).encode()


def per_call_ms(function, body):
    runs = max(3, min(1000, 2_000_000 // len(body)))
    return timeit.timeit(lambda: function(body), number=runs) / runs * 1000


def refused_or_parsed(body):
    try:
        ingest_guard.check_depth(body)
    except ingest_guard.Refused:
        pass


def main():
    print("load average " + " ".join(f"{load:.2f}" for load in os.getloadavg()))
    print(f"{'body':<28} {'bytes':>10} {'check_depth':>12} {'json.loads':>11}")
    for label, body in [("100 metrics", batch(100)), ("20,000 metrics (3.4 MB)", batch(20_000)),
                        ("60,000 nested [ (refused)", b"[" * 60_000)]:
        check = per_call_ms(refused_or_parsed, body)
        try:
            parse = f"{per_call_ms(json.loads, body):.2f} ms"
        except RecursionError:
            parse = "RecursionError"
        print(f"{label:<28} {len(body):>10} {check:>9.2f} ms {parse:>11}")


if __name__ == "__main__":
    main()
