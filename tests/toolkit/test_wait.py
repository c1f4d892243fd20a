"""monasca-wait against real listeners and servers on 127.0.0.1."""

import socket

import pytest


class Listener:
    """A plain TCP listener that accepts (the kernel completes handshakes)."""

    def __init__(self, port):
        self.sock = socket.create_server(("127.0.0.1", port))

    def close(self):
        self.sock.close()


def wait(tool, *args, timeout=3, env=None):
    return tool("wait", "--timeout", timeout,
                "--interval", "0.2", *args, env=env)


def test_tcp_listener_that_starts_late(tool, later, free_port):
    later(1.0, lambda: Listener(free_port))
    result = wait(tool, f"tcp://127.0.0.1:{free_port}", timeout=10)
    assert result.returncode == 0, result.stderr
    assert f"monasca-wait: up: tcp://127.0.0.1:{free_port}" in result.stdout


def test_http_server_that_starts_late_with_expected_status(tool, later, free_port, status_server):

    def start():
        server = status_server(free_port)
        server.statuses.update({"/health": 200, "/v3": 300})
        return server

    later(1.0, start)
    result = wait(tool, f"http://127.0.0.1:{free_port}/health", f"http://127.0.0.1:{free_port}/v3#status=300",
                  timeout=10)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("monasca-wait: up:") == 2
    assert "all 2 targets up" in result.stdout


def test_http_status_not_yet_good_then_good(tool, http_server, later):
    http_server.statuses["/ready"] = 503

    class Flip:
        def __init__(self):
            http_server.statuses["/ready"] = 204

        def close(self):
            pass

    later(1.0, Flip)
    result = wait(tool, http_server.url("/ready"), timeout=10)
    assert result.returncode == 0, result.stderr


def test_timeout_names_every_target_and_its_last_error(tool, http_server, tmp_path, free_port):
    http_server.statuses["/down"] = 503
    result = wait(tool, f"tcp://127.0.0.1:{free_port}", http_server.url("/down"),
                  f"file://{tmp_path}/marker", http_server.url("/down#status=200"), timeout=1)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert "gave up after 1s; 4 of 4 targets never came up" in lines[0]
    assert f"  tcp://127.0.0.1:{free_port}: connection refused" in lines
    assert f"  {http_server.url('/down')}: HTTP 503" in lines
    assert f"  file://{tmp_path}/marker: no such file" in lines
    assert f"  {http_server.url('/down#status=200')}: HTTP 503" in lines


def test_still_waiting_report_names_target_and_reason(monkeypatch, capsys, free_port):
    from monasca_toolkit import targets, wait as wait_module
    monkeypatch.setattr(wait_module, "REPORT_EVERY_SECONDS", 0.3)
    target = targets.parse(f"mysql://u:hidden-pw@127.0.0.1:{free_port}/mon")
    failed = wait_module.wait([target], timeout=1, interval=0.1)
    assert failed == {target: "connection refused"}
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(line.startswith("monasca-wait: still waiting after ") and line.endswith(
        f"for mysql://u:***@127.0.0.1:{free_port}/mon: connection refused") for line in lines)


def test_file_target(tool, tmp_path, later):
    marker = tmp_path / "ready"

    class Touch:
        def __init__(self):
            marker.write_text("")

        def close(self):
            pass

    later(0.5, Touch)
    assert wait(tool, f"file://{marker}", timeout=10).returncode == 0


def test_malformed_url_is_a_usage_error(tool):
    result = wait(tool, "tcp://127.0.0.1")
    assert result.returncode == 2 and "tcp:// needs a port" in result.stderr
    result = wait(tool, "ftp://x")
    assert result.returncode == 2 and "unknown scheme 'ftp'" in result.stderr


# --- MySQL -----------------------------------------------------------------

def mysql_url(db, password=None, query="", database="mon"):
    from urllib.parse import quote
    password = db["password"] if password is None else password
    return (f"mysql://{db['user']}:{quote(password, safe='')}@{db['host']}:{db['port']}"
            f"/{database}{query}")


def test_mysql_up_with_database_and_tables(tool, mariadb):
    result = wait(tool, mysql_url(mariadb, query="?table=alarm"))
    assert result.returncode == 0, result.stderr
    assert mariadb['password'] not in result.stdout + result.stderr
    assert f"up: mysql://monapi:***@127.0.0.1:{mariadb['port']}/mon?table=alarm" in result.stdout


def test_mysql_password_from_environment(tool, mariadb):
    url = f"mysql://monapi:${{MYSQL_PW}}@127.0.0.1:{mariadb['port']}/mon"
    result = wait(tool, url, env={"MYSQL_PW": mariadb['password']})
    assert result.returncode == 0, result.stderr
    assert "up: mysql://monapi:${MYSQL_PW}@" in result.stdout
    result = wait(tool, url, env={"MYSQL_PW": None})
    assert result.returncode == 2 and "environment variable MYSQL_PW is not set" in result.stderr


def test_mysql_wrong_password_is_redacted(tool, mariadb):
    wrong = "WrongPassw0rd-xyz"
    result = wait(tool, mysql_url(mariadb, password=wrong), timeout=1)
    assert result.returncode == 1
    assert f"mysql://monapi:***@127.0.0.1:{mariadb['port']}/mon: access denied for user 'monapi'" \
        in result.stderr
    assert wrong not in result.stdout + result.stderr


def test_mysql_missing_database(tool, mariadb):
    result = wait(tool, mysql_url(mariadb, database="notyet"), timeout=1)
    assert result.returncode == 1
    assert "database 'notyet' does not exist" in result.stderr


def test_mysql_database_not_granted_reads_as_access_denied(tool, mariadb):
    result = wait(tool, mysql_url(mariadb, database="other"), timeout=1)
    assert result.returncode == 1
    assert "access denied for user 'monapi' to database 'other'" in result.stderr


def test_mysql_missing_table(tool, mariadb):
    result = wait(tool, mysql_url(mariadb, query="?table=alarm,metrics"), timeout=1)
    assert result.returncode == 1
    assert "table 'metrics' missing in database 'mon'" in result.stderr


def test_mysql_nothing_listening(tool, free_port):
    result = wait(tool, f"mysql://u:pw-never-shown@127.0.0.1:{free_port}/mon", timeout=1)
    assert result.returncode == 1
    assert f"mysql://u:***@127.0.0.1:{free_port}/mon: connection refused" in result.stderr
    assert "pw-never-shown" not in result.stderr


# --- InfluxDB --------------------------------------------------------------

def test_influxdb_up_with_database(tool, influxdb):
    url = f"influxdb://{influxdb['user']}:{influxdb['password']}@127.0.0.1:{influxdb['port']}/mon"
    result = wait(tool, url)
    assert result.returncode == 0, result.stderr
    assert influxdb['password'] not in result.stdout


def test_influxdb_missing_database_and_bad_credentials(tool, influxdb):
    base = f"127.0.0.1:{influxdb['port']}"
    result = wait(tool, f"influxdb://{influxdb['user']}:{influxdb['password']}@{base}/metrics",
                  f"influxdb://{influxdb['user']}:bad-influx-pw@{base}/mon", timeout=5)
    assert result.returncode == 1
    assert f"influxdb://{influxdb['user']}:***@{base}/metrics: database 'metrics' does not exist" \
        in result.stderr
    assert f"influxdb://{influxdb['user']}:***@{base}/mon: SHOW DATABASES got HTTP 401" \
        in result.stderr
    assert "bad-influx-pw" not in result.stderr and influxdb['password'] not in result.stderr


def test_influxdb_nothing_listening(tool, free_port):
    result = wait(tool, f"influxdb://127.0.0.1:{free_port}/mon", timeout=1)
    assert result.returncode == 1 and f"127.0.0.1:{free_port}/mon: connection refused" in result.stderr


# --- Kafka and Keystone: only the refused path until the stack tests -------

def test_kafka_nothing_listening(tool, free_port):
    url = f"kafka://127.0.0.1:{free_port}/metrics,events?partitions=3"
    result = wait(tool, url, timeout=1)
    assert result.returncode == 1
    assert f"  {url}: 127.0.0.1:{free_port} connection refused" in result.stderr.splitlines()


def test_keystone_nothing_listening_redacts_password(tool, free_port):
    url = (f"keystone+http://127.0.0.1:{free_port}/v3?user=monasca&password=ks-pass-123"
           "&project=service")
    result = wait(tool, url, timeout=1)
    assert result.returncode == 1
    assert (f"keystone+http://127.0.0.1:{free_port}/v3?user=monasca&password=***&project=service: "
            "connection refused") in result.stderr
    assert "ks-pass-123" not in result.stderr


def test_keystone_token_rejected(tool, http_server):
    # Keystone behind a path prefix; the token endpoint answers 401.
    http_server.statuses["/identity/v3/auth/tokens"] = 401
    url = f"keystone+{http_server.url('/identity')}?user=u&password=p"
    result = wait(tool, url, timeout=1)
    assert result.returncode == 1 and "token request got HTTP 401" in result.stderr


@pytest.mark.parametrize("url, message", [
    ("keystone+http://h:5000/v3?user=u", "needs password= in the query"),
    ("mysql://h/mon", "needs a user"),
    ("kafka:///metrics", "needs at least one broker"),
])
def test_incomplete_service_urls(tool, url, message):
    result = wait(tool, url)
    assert result.returncode == 2 and message in result.stderr
