#!/usr/bin/env python3
"""Ingest throughput of monasca-api + monasca-persister + InfluxDB in containers
versus the same software as plain processes on the host, measured in one run.

What runs where:

* container side: the running stack as it is (project `monasca`: its api,
  persister, influxdb, kafka containers), through the API published on
  127.0.0.1:MONASCA_API_PORT.
* host side: the installed venvs (/opt/monasca) of monasca/api and
  monasca/persister copied out of the images with `docker cp` and run by the
  host's /usr/bin/python3.11 (the interpreter the venvs point at); their
  configuration is rendered by the images' own templates and `templer`, with
  the images' defaults (2 gunicorn workers as in the compose file, persister
  batch 1000 / 15 s). InfluxDB is Debian's `influxd` on the host (the image
  installs the same Debian package), with the image's influxdb.conf template,
  auth on, and the image's init script for database, retention policy and
  users. Everything listens on 127.0.0.1 only.
* shared from containers: Keystone (already published on 127.0.0.1:5000),
  MySQL and memcached (reached through a small Python forwarder container on
  the stack network, published on loopback). Kafka: the host side gets its
  own broker, the same monasca/kafka image published on 127.0.0.1 and
  advertising 127.0.0.1, with the same topics (`init-topics`); sharing the
  stack's broker would put both persisters in one consumer group or make the
  container persister write the host run's data too (2 CPUs here).
  Keystone's catalog names the identity endpoint `keystone`: the host API
  runs under `unshare --mount` with a private /etc/hosts mapping `keystone`
  to 127.0.0.1 (only that file differs; network and everything else is the
  host's).

Measurement, the same for both sides: a token for mini-mon; 10 x 500 warm-up
measurements posted and waited for; then BATCHES x PER_BATCH measurements are
POSTed (accept rate = measurements / time of the POSTs), followed by one
persister batch (1000) of filler measurements under another name so that the
persister's last batch fills instead of waiting for its 15 s timer; the
end-to-end rate is measurements / time from the first POST until all of them
are queryable through the same API. ROUNDS rounds, alternating container and
host; printed: the medians (and each round), one figure a line, and the
ratios host / container.

Run from the checkout with the venv's Python (as root: docker, unshare):
    .venv/bin/python benchmarks/host_vs_container.py
It leaves the stack as it found it and removes what it started.
"""
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
from keystoneauth1 import session
from keystoneauth1.identity import v3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from monasca_docker import stack  # noqa: E402

BATCHES, PER_BATCH, PERSISTER_BATCH, ROUNDS = 20, 500, 1000, 3
PORT = {"api": 18070, "influxdb": 18086, "influxdb_rpc": 18088, "kafka": 19092,
        "mysql": 13306, "memcached": 21211}
NAME = f"monasca-bench-{uuid.uuid4().hex[:6]}"
HOST_PYTHON = "/usr/bin/python3.11"

# A TCP forwarder for the forwarder container (monasca/base has python3, no socat).
FORWARDER = """
import asyncio, sys
async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()
def server(listen, host, port):
    async def handle(reader, writer):
        try:
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            writer.close()
            return
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer), return_exceptions=True)
    return asyncio.start_server(handle, "0.0.0.0", int(listen))
async def main():
    servers = [await server(*spec.split(":")) for spec in sys.argv[1:]]
    await asyncio.gather(*(s.serve_forever() for s in servers))
asyncio.run(main())
"""


def docker(*args, check=True):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, timeout=600)


def run(*command, env=None):
    answer = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    if answer.returncode:
        raise RuntimeError(f"{' '.join(map(str, command[:3]))}...: {answer.stderr.strip()[-2000:]}")
    return answer.stdout


def copy_out(image, paths, dest):
    """`docker cp` each image path to dest/<its name>."""
    cid = docker("create", image).stdout.strip()
    try:
        for path in paths:
            docker("cp", f"{cid}:{path}", str(dest / Path(path).name))
    finally:
        docker("rm", "-f", cid, check=False)


def render(venv, templates, defaults, out, env, replace=()):
    """The image's templer over the image's templates, then host paths in."""
    out.mkdir(parents=True, exist_ok=True)
    run(str(venv / "bin/python"), str(venv / "bin/templer"), "-t", "-f", "-c", str(defaults),
        *map(str, templates), str(out), env={**os.environ, **env})
    for path in out.iterdir():
        if path.is_file():
            text = path.read_text()
            for old, new in replace:
                text = text.replace(old, new)
            path.write_text(text)


class Processes:
    """Host processes and containers started here; stop() ends them all."""

    def __init__(self, logs):
        self.logs, self.procs, self.containers = logs, [], []

    def start(self, name, command, env=None):
        log = open(self.logs / f"{name}.log", "w")
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
        self.procs.append((name, proc))
        return proc

    def container(self, *args):
        docker("run", "-d", "--name", f"{NAME}-{args[0]}", *args[1:])
        self.containers.append(f"{NAME}-{args[0]}")

    def stop(self):
        for name, proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(10)
        for name in reversed(self.containers):
            docker("rm", "-f", "-v", name, check=False)

    def check_alive(self):
        for name, proc in self.procs:
            if proc.poll() is not None:
                tail = (self.logs / f"{name}.log").read_text()[-3000:]
                raise RuntimeError(f"host {name} exited with {proc.returncode}:\n{tail}")


def wait_for(what, probe, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if probe():
                return
        except (requests.RequestException, OSError):
            pass
        time.sleep(1)
    raise RuntimeError(f"{what} not up after {timeout} s")


def start_host_side(env, tmp, procs):
    """InfluxDB, Kafka, forwarders, then the api and persister on the host."""
    for image in ("api", "persister"):
        (tmp / image).mkdir()
        copy_out(f"monasca/{image}:latest", ["/opt/monasca", "/etc/monasca/templates"], tmp / image)
    copy_out("monasca/persister:latest", ["/usr/local/bin/monasca-persister-run"], tmp / "persister")
    (tmp / "influxdb").mkdir()
    copy_out("monasca/influxdb:latest", ["/etc/monasca/templates",
                                         "/usr/local/lib/monasca-influxdb/influxdb-init"], tmp / "influxdb")
    tools = tmp / "api/monasca"  # templer and monasca-wait are in every Monasca venv

    # InfluxDB: Debian's influxd, the image's config template, data under tmp.
    influx = tmp / "influxdb"
    render(tools, [influx / "templates/influxdb.conf.j2"], influx / "templates/defaults.yml", influx / "etc",
           {}, replace=[("/var/lib/monasca/influxdb", str(influx / "data")),
                        ('bind-address = ":8086"', f'bind-address = "127.0.0.1:{PORT["influxdb"]}"'),
                        ("127.0.0.1:8088", f"127.0.0.1:{PORT['influxdb_rpc']}")])
    procs.start("influxd", ["influxd", "-config", str(influx / "etc/influxdb.conf")])
    influx_url = f"http://127.0.0.1:{PORT['influxdb']}"
    wait_for("host influxd", lambda: requests.get(f"{influx_url}/ping", timeout=2).status_code == 204)
    secrets = {"INFLUXDB_ADMIN_PASSWORD": env["INFLUXDB_ADMIN_PASSWORD"],
               "API_PASSWORD": env["INFLUXDB_API_PASSWORD"], "PERSISTER_PASSWORD": env["INFLUXDB_PERSISTER_PASSWORD"]}
    render(tools, [influx / "templates/init"], influx / "templates/defaults.yml", influx / "init",
           {**secrets, "INFLUXDB_URL": influx_url})
    run(HOST_PYTHON, str(influx / "influxdb-init"), str(influx / "init/init.json"), env={**os.environ, **secrets})

    # Kafka for the host side: the stack's image, reachable and advertised on loopback.
    procs.container("kafka", "-p", f"127.0.0.1:{PORT['kafka']}:{PORT['kafka']}", "--no-healthcheck",
                    "-e", f"KAFKA_LISTEN_PORT={PORT['kafka']}", "-e", "KAFKA_ADVERTISED_HOST_NAME=127.0.0.1",
                    "-e", "KAFKA_HEAP_OPTS=-Xmx512M -Xms512M", "monasca/kafka:latest")
    docker("exec", "-e", f"KAFKA_URI=127.0.0.1:{PORT['kafka']}", f"{NAME}-kafka", "init-topics")
    # MySQL and memcached of the stack, on loopback.
    procs.container("forward", "--network", f"{stack.PROJECT}_default", "--no-healthcheck",
                    "-p", f"127.0.0.1:{PORT['mysql']}:3306", "-p", f"127.0.0.1:{PORT['memcached']}:11211",
                    "--entrypoint", "python3", "monasca/base:latest", "-c", FORWARDER,
                    "3306:mysql:3306", "11211:memcached:11211")

    common = {"KAFKA_URI": f"127.0.0.1:{PORT['kafka']}", "INFLUX_HOST": "127.0.0.1",
              "INFLUX_PORT": str(PORT["influxdb"])}
    # The API: its config where oslo.config looks ($HOME/.monasca), gunicorn on loopback.
    api, api_etc = tmp / "api/monasca", tmp / "home/.monasca"
    api_env = {**common, "MYSQL_HOST": "127.0.0.1", "MYSQL_PORT": str(PORT["mysql"]),
               "MEMCACHED_URI": f"127.0.0.1:{PORT['memcached']}", "GUNICORN_WORKERS": "2",
               "MONASCA_CONTAINER_API_PORT": str(PORT["api"]),
               "MYSQL_PASSWORD": env["MYSQL_API_PASSWORD"], "INFLUX_PASSWORD": env["INFLUXDB_API_PASSWORD"],
               "KEYSTONE_SERVICE_PASSWORD": env["KEYSTONE_API_PASSWORD"]}
    render(api, [tmp / "api/templates"], tmp / "api/templates/defaults.yml", api_etc, api_env,
           replace=[("/etc/monasca/", f"{api_etc}/")])
    hosts = tmp / "hosts"
    hosts.write_text("127.0.0.1 localhost keystone\n")
    host_env = {**os.environ, **api_env, "HOME": str(tmp / "home"), "PYTHONUNBUFFERED": "1"}
    run(str(api / "bin/python"), str(api / "bin/monasca-wait"),
        *(api_etc / "wait.args").read_text().split(), env=host_env)
    procs.start("api", ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                        'mount --bind "$0" /etc/hosts && exec "$@"', str(hosts),
                        str(api / "bin/python"), str(api / "bin/gunicorn"),
                        "--config", str(api_etc / "api-gunicorn.conf"), "--paste", str(api_etc / "api-config.ini"),
                        "--bind", f"127.0.0.1:{PORT['api']}"], env=host_env)

    pers, pers_etc = tmp / "persister/monasca", tmp / "persister/etc"
    pers_env = {**common, "INFLUX_PASSWORD": env["INFLUXDB_PERSISTER_PASSWORD"]}
    render(pers, [tmp / "persister/templates"], tmp / "persister/templates/defaults.yml", pers_etc, pers_env,
           replace=[("/etc/monasca/", f"{pers_etc}/")])
    procs.start("persister", [str(pers / "bin/python"), str(tmp / "persister/monasca-persister-run"),
                              "--config-file", str(pers_etc / "monasca-persister.conf")],
                env={**os.environ, **pers_env, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{PORT['api']}"
    wait_for("host api", lambda: procs.check_alive() or
             requests.get(f"{url}/healthcheck", timeout=5).status_code == 200)
    return f"{url}/v2.0"


def versions(tmp):
    def dist(venv, name):
        return run(str(venv / "bin/python"), "-c",
                   f"import importlib.metadata as m; print(m.version('{name}'))").strip()
    image_python = docker("run", "--rm", "--entrypoint", "dpkg-query", "monasca/api:latest",
                          "-W", "-f", "${Version}", "python3.11").stdout
    image_influx = docker("run", "--rm", "--entrypoint", "dpkg-query", "monasca/influxdb:latest",
                          "-W", "-f", "${Version}", "influxdb").stdout
    host_python = run("dpkg-query", "-W", "-f", "${Version}", "python3.11")
    host_influx = run("dpkg-query", "-W", "-f", "${Version}", "influxdb")
    return (f"software: monasca-api {dist(tmp / 'api/monasca', 'monasca-api')}, "
            f"monasca-persister {dist(tmp / 'persister/monasca', 'monasca-persister')} (venvs copied from the images); "
            f"python3.11 host {host_python} / image {image_python}; influxdb host {host_influx} / image {image_influx}")


def ingest(api, token):
    """(accepted/s, end-to-end/s, seconds to all queryable) for BATCHES x PER_BATCH."""
    headers = {"X-Auth-Token": token}

    def count(name, run_id):
        answer = requests.get(f"{api}/metrics/measurements", headers=headers, timeout=30, params={
            "name": name, "dimensions": f"run:{run_id}", "start_time": "2000-01-01T00:00:00Z",
            "group_by": "*", "limit": 10000})
        answer.raise_for_status()
        return sum(len(series["measurements"]) for series in answer.json().get("elements", []))

    def post(name, run_id, first, size, now):
        body = [{"name": name, "dimensions": {"run": run_id, "series": str(i % 10)},
                 "timestamp": now - first - i, "value": float(i)} for i in range(size)]
        requests.post(f"{api}/metrics", json=body, headers=headers, timeout=60).raise_for_status()

    def wait_count(name, run_id, total, start, limit=300):
        while count(name, run_id) < total:
            if time.monotonic() - start > limit:
                raise RuntimeError(f"{api}: not all {total} {name} queryable after {limit} s")
            time.sleep(0.5)

    run_id, now = uuid.uuid4().hex[:8], int(time.time() * 1000)
    for batch in range(10):  # every gunicorn worker's first requests, token cache, Kafka producer
        post("bench.warmup", run_id, batch * PER_BATCH, PER_BATCH, now)
    wait_count("bench.warmup", run_id, 10 * PER_BATCH, time.monotonic())
    total = BATCHES * PER_BATCH
    start = time.monotonic()
    for batch in range(BATCHES):
        post("bench.ingest", run_id, batch * PER_BATCH, PER_BATCH, now)
    posted = time.monotonic() - start
    for filler in range(0, PERSISTER_BATCH, PER_BATCH):
        post("bench.filler", run_id, filler, PER_BATCH, now)
    wait_count("bench.ingest", run_id, total, start)
    queryable = time.monotonic() - start
    return total / posted, total / queryable, queryable


def main():
    env = stack.env_values(ROOT)
    container_api = f"http://127.0.0.1:{env.get('MONASCA_API_PORT', '8070')}/v2.0"
    if env.get("KEYSTONE_PORT", "5000") != "5000":
        sys.exit("the host API reaches Keystone as keystone:5000 (its catalog): needs KEYSTONE_PORT=5000")
    auth = v3.Password(auth_url=f"http://127.0.0.1:{env.get('KEYSTONE_PORT', '5000')}/v3",
                       username="mini-mon", password=env["MONASCA_USER_PASSWORD"], project_name="mini-mon",
                       user_domain_name="Default", project_domain_name="Default")
    token = session.Session(auth=auth).get_token()
    tmp = Path(tempfile.mkdtemp(prefix="monasca-bench-"))
    (tmp / "logs").mkdir()
    procs = Processes(tmp / "logs")
    ok = False
    try:
        host_api = start_host_side(env, tmp, procs)
        print(versions(tmp))
        total = BATCHES * PER_BATCH
        results = {"container": [], "host": []}
        for _ in range(ROUNDS):  # alternating, so that neither side always goes first
            for side, api in (("container", container_api), ("host", host_api)):
                results[side].append(ingest(api, token))
                procs.check_alive()
        median = {side: [statistics.median(r[i] for r in rounds) for i in range(3)]
                  for side, rounds in results.items()}
        for side, (accept, e2e, secs) in median.items():
            print(f"{side}: {total} measurements accepted at {accept:.0f}/s "
                  f"(median of {ROUNDS}: {', '.join(f'{r[0]:.0f}' for r in results[side])})")
            print(f"{side}: all queryable after {secs:.1f} s, {e2e:.0f}/s end to end "
                  f"(median of {ROUNDS}: {', '.join(f'{r[1]:.0f}' for r in results[side])})")
        print(f"ratio host/container, accept rate: {median['host'][0] / median['container'][0]:.2f}")
        print(f"ratio host/container, end to end: {median['host'][1] / median['container'][1]:.2f}")
        ok = True
    finally:
        procs.stop()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"logs of the host side kept in {tmp / 'logs'}", file=sys.stderr)


if __name__ == "__main__":
    main()
