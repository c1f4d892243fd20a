"""Fixtures for the toolkit tests: the commands, and real servers on loopback.

Every server listens on 127.0.0.1 only. MariaDB and InfluxDB are started
from Debian's packages in throwaway directories, once per session.
"""

import http.server
import os
import shutil
import subprocess
import sys
import threading
import time

import pytest

from .. import support
from ..support import ROOT

TOOLKIT = ROOT / "images" / "base" / "toolkit"
# The few in-process tests import the package from the source tree too.
sys.path.insert(0, str(TOOLKIT))


def _tool_environ():
    environ = dict(os.environ)
    environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TOOLKIT), environ.get("PYTHONPATH")]))
    return environ


def run_tool(module, *args, env=None, timeout=60):
    """Run ``python -m monasca_toolkit.<module> args`` as a user would.

    ``env`` entries are added to a copy of the environment; a value of None
    removes that variable.
    """
    environ = _tool_environ()
    for key, value in (env or {}).items():
        if value is None:
            environ.pop(key, None)
        else:
            environ[key] = value
    return subprocess.run(
        [sys.executable, "-m", f"monasca_toolkit.{module}", *map(str, args)],
        env=environ, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def tool():
    return run_tool


@pytest.fixture
def tool_environ():
    """An environment in which ``python -m monasca_toolkit.X`` works."""
    return _tool_environ()


@pytest.fixture
def free_port():
    return support.free_port()


class StatusServer:
    """A real HTTP server whose answer for each path is set by the test."""

    def __init__(self, port=0):
        self.statuses = {}
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                status = owner.statuses.get(self.path, 404)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_GET

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def http_server():
    server = StatusServer()
    yield server
    server.close()


@pytest.fixture
def status_server():
    """The StatusServer class, for a test that starts one on a chosen port."""
    return StatusServer


@pytest.fixture
def later():
    """Run a callable after a delay in a thread; its results are closed at teardown."""
    started = []

    def schedule(delay, start):
        def body():
            time.sleep(delay)
            started.append(start())
        threading.Thread(target=body, daemon=True).start()

    yield schedule
    for thing in started:
        thing.close()


# --- MariaDB ---------------------------------------------------------------

MYSQL_USER = "monapi"
MYSQL_PASSWORD = "s3cr3t-Pa55@word"


def _wait_for_socket(path, proc, log, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        if os.path.exists(path):
            return
        time.sleep(0.1)
    pytest.fail(f"server did not start within {seconds}s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory):
    """A private MariaDB on 127.0.0.1 with database ``mon``, table ``alarm``
    and user ``monapi`` (password MYSQL_PASSWORD) granted ``mon`` and the
    missing ``notyet``; database ``other`` exists without a grant."""
    mariadbd = shutil.which("mariadbd") or shutil.which("mariadbd", path="/usr/sbin")
    install_db = shutil.which("mariadb-install-db")
    if not mariadbd or not install_db:
        pytest.fail("mariadbd not found: the MySQL wait tests need a real server; "
                    "run `apt-get install -y mariadb-server`")
    base = tmp_path_factory.mktemp("mariadb")
    datadir, sock, log = base / "data", base / "mysqld.sock", base / "mysqld.log"
    subprocess.run(
        [install_db, "--no-defaults", f"--datadir={datadir}", "--user=root",
         "--auth-root-authentication-method=normal", "--skip-test-db"],
        check=True, capture_output=True, timeout=120)
    port = support.free_port()
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [mariadbd, "--no-defaults", f"--datadir={datadir}", f"--socket={sock}",
             "--bind-address=127.0.0.1", f"--port={port}", "--user=root",
             f"--pid-file={base / 'mysqld.pid'}", "--skip-name-resolve",
             "--skip-log-bin", "--innodb-buffer-pool-size=16M"],
            stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for_socket(sock, proc, log)
        import pymysql
        for _ in range(100):  # the socket file appears just before it accepts
            try:
                connection = pymysql.connect(unix_socket=str(sock), user="root")
                break
            except pymysql.err.OperationalError:
                time.sleep(0.1)
        else:
            pytest.fail(f"mariadbd does not accept connections:\n{log.read_text()[-3000:]}")
        with connection, connection.cursor() as cursor:
            cursor.execute("CREATE DATABASE mon")
            cursor.execute("CREATE TABLE mon.alarm (id INT PRIMARY KEY)")
            cursor.execute("CREATE DATABASE other")
            cursor.execute(f"CREATE USER '{MYSQL_USER}'@'%%' IDENTIFIED BY %s", (MYSQL_PASSWORD,))
            cursor.execute(f"GRANT ALL ON mon.* TO '{MYSQL_USER}'@'%'")
            # Granted but never created: the server can say it does not exist.
            cursor.execute(f"GRANT ALL ON notyet.* TO '{MYSQL_USER}'@'%'")
        yield {"host": "127.0.0.1", "port": port, "user": MYSQL_USER, "password": MYSQL_PASSWORD}
    finally:
        proc.terminate()
        proc.wait(timeout=60)


# --- InfluxDB 1.x ----------------------------------------------------------

INFLUX_USER = "influxadmin"
INFLUX_PASSWORD = "infl-ux-Secret"

INFLUX_CONFIG = """\
reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"
[meta]
  dir = "{base}/meta"
[data]
  dir = "{base}/data"
  wal-dir = "{base}/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:{port}"
  auth-enabled = true
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
[subscriber]
  enabled = false
"""


def _influx_query(port, query, user=None, password=None):
    import urllib.parse
    import urllib.request
    auth = f"?{urllib.parse.urlencode({'u': user, 'p': password})}" if user else ""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/query{auth}",
                                     data=urllib.parse.urlencode({"q": query}).encode())
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.read()


@pytest.fixture(scope="session")
def influxdb(tmp_path_factory):
    """A private InfluxDB 1.x with auth on, an admin user and database ``mon``."""
    influxd = shutil.which("influxd")
    if not influxd:
        pytest.fail("influxd not found: the InfluxDB wait tests need a real server; "
                    "run `apt-get install -y influxdb`")
    base = tmp_path_factory.mktemp("influxdb")
    port, log = support.free_port(), base / "influxd.log"
    config = base / "influxdb.conf"
    config.write_text(INFLUX_CONFIG.format(base=base, port=port, rpc_port=support.free_port()))
    with open(log, "w") as out:
        proc = subprocess.Popen([influxd, "run", "-config", str(config)],
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                # With auth on, the first user may be created without credentials.
                _influx_query(port, f"CREATE USER {INFLUX_USER} WITH PASSWORD "
                              f"'{INFLUX_PASSWORD}' WITH ALL PRIVILEGES")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"influxd did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
        _influx_query(port, "CREATE DATABASE mon", INFLUX_USER, INFLUX_PASSWORD)
        yield {"port": port, "user": INFLUX_USER, "password": INFLUX_PASSWORD}
    finally:
        proc.terminate()
        proc.wait(timeout=60)
