"""monasca-wait: wait until every dependency of a service is up.

Usage::

    monasca-wait [--timeout SECONDS] [--interval SECONDS] URL [URL ...]

Each URL is a target in the grammar of ``monasca_toolkit.targets`` (tcp,
http[s], file, process, kafka, mysql, keystone+http[s], influxdb). All targets
share one overall timeout (default 300 s) and one retry interval (default
2 s); targets that are up are not checked again. One line is printed per
target as it comes up, and every 30 s the reason each remaining one is not
up yet. On timeout the exit status is 1 and stderr names
every target that never came up with the last thing seen for it. A malformed
URL exits 2 at once. Passwords are never printed.
"""

import argparse
import sys
import time

from monasca_toolkit import targets

# No single attempt may hang longer than this, so a slow target cannot starve
# the others of retries within the overall timeout.
MAX_ATTEMPT_SECONDS = 10.0
# A container stuck in start.sh should say why in `docker logs` well before
# the timeout ends.
REPORT_EVERY_SECONDS = 30.0


def wait(pending, timeout, interval):
    """Check ``pending`` targets until all are up or ``timeout`` passes.

    Returns {target: last reason} for the targets that never came up.
    """
    started = time.monotonic()
    deadline, next_report = started + timeout, started + REPORT_EVERY_SECONDS
    last = {}
    while True:
        for target in list(pending):
            remaining = max(deadline - time.monotonic(), 0.1)
            reason = target.check(min(remaining, MAX_ATTEMPT_SECONDS))
            if reason is None:
                pending.remove(target)
                last.pop(target, None)
                print(f"monasca-wait: up: {target.label}", flush=True)
            elif target not in last or time.monotonic() < deadline:
                # A last attempt that the deadline cut short ("timed out")
                # says less than the full attempt before it (HTTP 401, say).
                last[target] = reason
        now = time.monotonic()
        if not pending or now >= deadline:
            return last
        if now >= next_report:
            next_report = now + REPORT_EVERY_SECONDS
            for target, reason in last.items():
                print(f"monasca-wait: still waiting after {now - started:.0f}s for "
                      f"{target.label}: {reason}", flush=True)
        time.sleep(min(interval, deadline - now))


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="monasca-wait", description="Wait until every dependency URL is up.")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="overall seconds to wait for all targets (default 300)")
    parser.add_argument("--interval", type=float, default=2.0,
                        help="seconds between retries (default 2)")
    parser.add_argument("urls", nargs="+", metavar="URL")
    args = parser.parse_args(argv)
    try:
        pending = [targets.parse(url) for url in args.urls]
    except ValueError as exc:
        print(f"monasca-wait: error: {exc}", file=sys.stderr)
        return 2
    started = time.monotonic()
    failed = wait(pending, args.timeout, args.interval)
    if failed:
        print(f"monasca-wait: error: gave up after {args.timeout:g}s; "
              f"{len(failed)} of {len(args.urls)} targets never came up:", file=sys.stderr)
        for target, reason in failed.items():
            print(f"  {target.label}: {reason}", file=sys.stderr)
        return 1
    print(f"monasca-wait: all {len(args.urls)} targets up after "
          f"{time.monotonic() - started:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
