#!/usr/bin/env python3
"""Disk of the running stack: each volume's size, the points InfluxDB holds
and their bytes on disk, the points the stack writes a minute (its agent's
and services' own, over the last 10 minutes) and what a day of them takes.

Reads the volumes' folders on this host (a local engine, as root):

    .venv/bin/python benchmarks/disk.py
"""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from monasca_docker import backup, stack  # noqa: E402


def docker(*args):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True).stdout.strip()


def points(where="", measurements="/.*/"):
    """The points InfluxDB's mon database holds, of `measurements` (a regex), `where` it says."""
    statement = f"SELECT count(value) FROM {measurements} {where}"
    answer = json.loads("\n".join(backup.output(ROOT, "influxdb", "influx", "-database", "mon", "-format", "json",
                                                 "-execute", statement, env=backup.influx_admin(ROOT))))
    return sum(s["values"][0][1] for r in answer["results"] for s in r.get("series", []))


def main():
    print(f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    sizes = {}
    for volume in docker("volume", "ls", "-q", "--filter", f"label=com.docker.compose.project={stack.PROJECT}").split():
        folder = docker("volume", "inspect", "-f", "{{.Mountpoint}}", volume)
        sizes[volume] = int(subprocess.run(["du", "-s", "--block-size=1", folder], capture_output=True, text=True,
                                           check=True).stdout.split()[0])
        print(f"volume {volume}: {sizes[volume] / 1e6:,.1f} MB")
    held = points()
    per_point = sizes.get(f"{stack.PROJECT}_influxdb", 0) / max(held, 1)
    print(f"InfluxDB holds {held:,} points: {per_point:,.1f} bytes a point on its volume (MB per million)")
    # The last 10 minutes, less benchmarks' own series (bench.*), is what the stack and its agent write.
    recent = "WHERE time > now() - 10m"
    minute = (points(recent) - points(recent, "/^bench/")) / 10
    print(f"points a minute over the last 10 minutes, bench.* aside: {minute:,.0f}; a day of them: "
          f"{minute * 1440:,.0f} points, {minute * 1440 * per_point / 1e6:,.1f} MB at that size")

if __name__ == "__main__":
    main()
