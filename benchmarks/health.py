#!/usr/bin/env python3
"""Figures for the health checks of the running single-node stack:

1. CPU of one `monasca-health` run (the image's own HEALTHCHECK, its
   MONASCA_HEALTH) in a few containers, against `python3 -c pass` there:
   "process" is the CPU of the command itself (the children's times that
   `sh`'s `times` prints), "cgroup" the container's whole cpuacct delta over
   the runs divided by their number, so it includes what the check costs the
   service (Keystone's token: bcrypt) and a little idle background.
2. The idle stack: every container's CPU seconds over a window (cgroup v1
   cpuacct.usage), and the machine's busy share over the same window from
   /proc/stat (all CPUs; other work on the machine counts too).

With ``--against REV`` each container also runs the toolkit of git revision
REV (unpacked into its /tmp, first on PYTHONPATH) the same way, right after
the installed one, so that before and after meet the same machine load.

Run from the checkout with the stack up and settled (a minute after `up`):
    .venv/bin/python benchmarks/health.py [--runs N] [--window S] [--against REV] [SERVICE ...]
Default services: memcached (tcp://), api (http://), keystone (a token),
mysql (mysql://, PyMySQL) and kafka (kafka://, kafka-python).
"""
import argparse
import re
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "monasca"
OLD = "/tmp/health-benchmark"  # in the container: a tmpfs in the stack
CGROUP = Path("/sys/fs/cgroup/cpuacct/docker")


def containers():
    """{service: container id} of the stack's running containers."""
    out = subprocess.run(
        ["docker", "ps", "--no-trunc", "--filter", f"label=com.docker.compose.project={PROJECT}",
         "--format", '{{.ID}} {{.Label "com.docker.compose.service"}}'],
        capture_output=True, text=True, check=True).stdout
    return {service: cid for cid, service in (line.split() for line in out.splitlines())}


def cpu_ns(cid):
    return int((CGROUP / cid / "cpuacct.usage").read_text())


def per_run(cid, command, runs):
    """(process ms, cgroup ms) per run of ``command`` (a shell line) in the container."""
    loop = f'i=0; while [ $i -lt {runs} ]; do {command} >/dev/null 2>&1; i=$((i+1)); done; times'
    before = cpu_ns(cid)
    out = subprocess.run(["docker", "exec", cid, "sh", "-c", loop],
                         capture_output=True, text=True, check=True).stdout
    cgroup = cpu_ns(cid) - before
    # `times`: the shell's own user and system time, then its children's.
    children = out.splitlines()[1]
    seconds = sum(int(m) * 60 + float(s) for m, s in re.findall(r"(\d+)m([\d.]+)s", children))
    return seconds * 1000 / runs, cgroup / 1e6 / runs


def unpack(cid, revision):
    """Put the toolkit of ``revision`` under OLD in the container."""
    archive = subprocess.run(["git", "archive", revision, "images/base/toolkit/monasca_toolkit"],
                             cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["docker", "exec", "-i", cid, "sh", "-c",
                    f"rm -rf {OLD} && mkdir {OLD} && tar -x -C {OLD}"],
                   input=archive, check=True)
    command = f"PYTHONPATH={OLD}/images/base/toolkit monasca-health"
    # One run first, to write the bytecode that the installed toolkit has.
    subprocess.run(["docker", "exec", cid, "sh", "-c", command], capture_output=True)
    return command


def check_costs(ids, services, runs, against):
    print(f"per run, {runs} runs each (ms CPU)        process  cgroup")
    for service in services:
        cid = ids[service]
        health = subprocess.run(["docker", "exec", cid, "monasca-health"],
                                capture_output=True, text=True)
        label = health.stdout.strip() or health.stderr.strip()
        commands = [("python3 -c pass", "python3 -c pass"), ("monasca-health", "monasca-health")]
        if against:
            commands.append((f"monasca-health {against}", unpack(cid, against)))
        for name, command in commands:
            process, cgroup = per_run(cid, command, runs)
            print(f"  {service:<12} {name:<24} {process:7.1f} {cgroup:7.1f}")
        if against:
            subprocess.run(["docker", "exec", cid, "rm", "-rf", OLD], check=True)
        print(f"  {'':<12} ({label}; exit {health.returncode})")


def proc_stat():
    """(busy, total) jiffies of all CPUs; iowait counts as idle."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def idle_stack(ids, window):
    start = {service: cpu_ns(cid) for service, cid in ids.items()}
    busy0, total0 = proc_stat()
    time.sleep(window)
    busy1, total1 = proc_stat()
    used = {service: (cpu_ns(cid) - start[service]) / 1e9 for service, cid in ids.items()}
    print(f"idle stack, CPU seconds per container over {window:g} s:")
    for service, seconds in sorted(used.items(), key=lambda item: -item[1]):
        print(f"  {service:<18} {seconds:6.2f}")
    print(f"  {'all ' + str(len(used)) + ' containers':<18} {sum(used.values()):6.2f}"
          f"  = {sum(used.values()) / window:.2f} of a core")
    print(f"machine busy share over {window:g} s (/proc/stat, all CPUs): "
          f"{100 * (busy1 - busy0) / (total1 - total0):.0f}%")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--window", type=float, default=30.0)
    parser.add_argument("--against", metavar="REV", help="also run the toolkit of this git revision")
    parser.add_argument("services", nargs="*", default=["memcached", "api", "keystone", "mysql", "kafka"])
    args = parser.parse_args()
    ids = containers()
    missing = [s for s in args.services if s not in ids]
    if missing:
        parser.error(f"not running in the {PROJECT} stack: {', '.join(missing)}")
    idle_stack(ids, args.window)
    check_costs(ids, args.services, args.runs, args.against)


if __name__ == "__main__":
    main()
