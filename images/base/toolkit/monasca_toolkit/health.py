"""monasca-health: the HEALTHCHECK command of the monasca-docker images.

Usage::

    monasca-health [--timeout SECONDS] [CHECK ...]

A CHECK is any ``monasca-wait`` URL; the usual ones are
``http://127.0.0.1:8070/healthcheck`` (2xx, or ``#status=CODE``),
``tcp://127.0.0.1:9092`` and ``process:NAME`` (a process whose command line
contains NAME is alive). Without arguments the checks are read,
space-separated, from ``$MONASCA_HEALTH``. Every check runs once with a short
timeout (default 5 s); the exit status is 0 only if all pass. No configured
check is an error: a missing health check must show as unhealthy.
"""

import os
import sys

from monasca_toolkit import targets

# Every container runs this every few seconds in a fresh interpreter, so each
# module imported is paid for again on every check: targets, probes and
# services import at their top only what a tcp:// or process: check needs,
# and the rest inside the probe that needs it.


def _arguments(argv):
    """(timeout, checks) from the command line."""
    if not any(arg.startswith("-") for arg in argv):
        # The HEALTHCHECK passes no options, and then argparse would only
        # take every word as a CHECK: skip its import (~16 ms per run).
        return 5.0, list(argv)
    import argparse  # for the options, --help and its usage errors (exit 2)

    parser = argparse.ArgumentParser(
        prog="monasca-health", description="Run health checks once; exit 0 if all pass.")
    parser.add_argument("--timeout", type=float, default=5.0,
                        help="seconds allowed for each check (default 5)")
    parser.add_argument("checks", nargs="*", metavar="CHECK")
    args = parser.parse_args(argv)
    return args.timeout, args.checks


def main(argv=None):
    timeout, checks = _arguments(sys.argv[1:] if argv is None else argv)
    checks = checks or os.environ.get("MONASCA_HEALTH", "").split()
    if not checks:
        print("monasca-health: no health check configured: "
              "set MONASCA_HEALTH or pass checks", file=sys.stderr)
        return 1
    try:
        parsed = [targets.parse(check) for check in checks]
    except ValueError as exc:
        print(f"monasca-health: error: {exc}", file=sys.stderr)
        return 1
    healthy = True
    for target in parsed:
        reason = target.check(timeout)
        if reason is None:
            print(f"ok: {target.label}")
        else:
            healthy = False
            print(f"FAILED: {target.label}: {reason}")
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
