"""Parse dependency URLs into checkable targets (shared by wait and health).

Grammar (``[]`` is optional; see README.rst for examples)::

    tcp://HOST:PORT
    http[s]://HOST[:PORT][/PATH][?QUERY][#OPTIONS]
        OPTIONS: status=CODE[,CODE...]   statuses that count as up (default 2xx)
                 insecure                 do not verify the TLS certificate
        (the fragment is never sent, so options cannot clash with the query)
    file:///PATH
    process:NAME
    kafka://HOST[:PORT][,HOST[:PORT]...][/TOPIC[,TOPIC...]][?partitions=N]
    mysql://USER[:PASSWORD]@HOST[:PORT][/DATABASE][?table=T[,T...]]
    keystone+http[s]://HOST[:PORT][/v3]?user=U&password=P[&project=P]
        [&user_domain=Default][&project_domain=Default][#insecure]
    influxdb://[USER[:PASSWORD]@]HOST[:PORT][/DATABASE]

Default ports: kafka 9092, mysql 3306, influxdb 8086.

Secrets: ``${NAME}`` in the user, the password or any query value is replaced
by environment variable NAME after the URL is parsed, so a password can hold
any character and stays out of ``ps`` (quote the URL so the shell leaves it).
Labels, the only form ever printed, mask literal passwords and secret query
values as ``***``; ``${NAME}`` references are shown as they are.
"""

import os
import re
import urllib.parse

from monasca_toolkit import probes, services
from monasca_toolkit.probes import ProbeError

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SECRET_KEYS = {"password", "passwd", "pass", "secret", "token", "p"}
MASK = "***"


class Target:
    """One URL to check. A plain class rather than a dataclass: importing
    dataclasses (and inspect with it) would cost every monasca-health run
    ~17 ms. Compared by identity: two equal URLs are still two targets."""

    def __init__(self, label, probe, secrets=()):
        self.label = label  # redacted: safe to print
        self.probe = probe  # probe(timeout) raises ProbeError while not up
        self.secrets = list(secrets)

    def __repr__(self):
        return f"Target({self.label!r})"

    def check(self, timeout):
        """Return None when up, else the scrubbed reason it is not."""
        try:
            self.probe(timeout)
        except ProbeError as exc:
            return self.scrub(str(exc))
        except Exception as exc:  # a client library bug must not kill the loop
            return self.scrub(f"{type(exc).__name__}: {exc}")
        return None

    def scrub(self, text):
        # Belt and braces: no library message may echo a password.
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text


def _expand(value):
    """Replace ${NAME} references by the environment's values."""
    def lookup(match):
        name = match.group(1)
        if name not in os.environ:
            raise ValueError(f"environment variable {name} is not set")
        return os.environ[name]

    return _REFERENCE.sub(lookup, value)


def _credentials(parts):
    """User and password from the URL, percent-decoded and expanded."""
    def decode(value):
        return None if value is None else _expand(urllib.parse.unquote(value))
    return decode(parts.username), decode(parts.password)


def _is_secret_literal(key, value):
    return key.lower() in _SECRET_KEYS and value and not _REFERENCE.fullmatch(value)


def redact(text):
    """The URL with literal passwords and secret query values masked."""
    parts = urllib.parse.urlsplit(text)
    netloc = parts.netloc
    userinfo, at, hostport = netloc.rpartition("@")
    if at and ":" in userinfo:
        user, _, password = userinfo.partition(":")
        if not _REFERENCE.fullmatch(password):
            netloc = f"{user}:{MASK}@{hostport}"
    query = "&".join(
        f"{key}={MASK}" if _is_secret_literal(key, value) else item
        for item in parts.query.split("&") if item
        for key, _, value in [item.partition("=")])
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc, query=query))


def _require_host(parts):
    if not parts.hostname:
        raise ValueError("missing host")
    return parts.hostname


def _hostport(text, default_port):
    parsed = urllib.parse.urlsplit("//" + text)
    if not parsed.hostname:
        raise ValueError(f"missing host in {text!r}")
    return parsed.hostname, parsed.port or default_port


def _query(parts):
    return {key: _expand(value) for key, value in
            urllib.parse.parse_qsl(parts.query, keep_blank_values=True)}


def _options(fragment):
    """Fragment options such as ``status=200,204&insecure``."""
    return dict(urllib.parse.parse_qsl(fragment, keep_blank_values=True))


def _statuses(options):
    if "status" not in options:
        return None
    try:
        return {int(code) for code in options["status"].split(",")}
    except ValueError:
        raise ValueError(f"bad status list {options['status']!r}") from None


def _tcp(parts):
    host, port = _hostport(parts.netloc, None)
    if port is None:
        raise ValueError("tcp:// needs a port")
    return lambda timeout: probes.tcp(host, port, timeout), []


def _http(parts):
    options = _options(parts.fragment)
    expect, insecure = _statuses(options), "insecure" in options
    url = urllib.parse.urlunsplit(parts._replace(fragment=""))
    return lambda timeout: probes.http(url, timeout, expect, insecure), []


def _file(parts):
    if parts.netloc:
        raise ValueError("file URLs take an absolute path: file:///path")
    return lambda timeout: probes.file(parts.path), []


def _process(parts):
    if not parts.path:
        raise ValueError("process: needs a name, e.g. process:monasca-api")
    return lambda timeout: probes.process(parts.path), []


def _kafka(parts):
    brokers = [_hostport(b, 9092) for b in parts.netloc.split(",") if b]
    if not brokers:
        raise ValueError("kafka:// needs at least one broker")
    topics = [t for t in parts.path.strip("/").split(",") if t]
    partitions = int(_query(parts).get("partitions", 1))
    return lambda timeout: services.kafka(brokers, topics, partitions, timeout), []


def _mysql(parts):
    user, password = _credentials(parts)
    if not user:
        raise ValueError("mysql:// needs a user: mysql://USER:PASSWORD@HOST/DB")
    host, port = _require_host(parts), parts.port or 3306
    database = parts.path.strip("/")
    tables = [t for t in _query(parts).get("table", "").split(",") if t]
    if tables and not database:
        raise ValueError("mysql:// table= needs a database in the path")
    return (lambda timeout: services.mysql(
        host, port, user, password, database, tables, timeout), [password])


def _keystone(parts):
    query = _query(parts)
    missing = [key for key in ("user", "password") if not query.get(key)]
    if missing:
        raise ValueError(f"keystone URL needs {' and '.join(missing)}= in the query")
    base = urllib.parse.urlunsplit(
        (parts.scheme.split("+", 1)[1], parts.netloc, parts.path, "", ""))
    insecure = "insecure" in _options(parts.fragment)
    return (lambda timeout: services.keystone(
        base, query["user"], query["password"], query.get("project"),
        query.get("user_domain", "Default"), query.get("project_domain", "Default"),
        timeout, insecure), [query["password"]])


def _influxdb(parts):
    user, password = _credentials(parts)
    base = f"http://{_require_host(parts)}:{parts.port or 8086}"
    database = parts.path.strip("/")
    return (lambda timeout: services.influxdb(base, user, password, database, timeout),
            [password])


_SCHEMES = {
    "tcp": _tcp, "http": _http, "https": _http, "file": _file, "process": _process,
    "kafka": _kafka, "mysql": _mysql, "keystone+http": _keystone,
    "keystone+https": _keystone, "influxdb": _influxdb,
}


def parse(text):
    """A Target for one URL; ValueError (with a redacted message) if malformed."""
    label = redact(text)
    parts = urllib.parse.urlsplit(text)
    builder = _SCHEMES.get(parts.scheme.lower())
    if builder is None:
        raise ValueError(f"{label}: unknown scheme {parts.scheme!r}; "
                         f"use one of {', '.join(sorted(_SCHEMES))}")
    try:
        probe, secrets = builder(parts)
    except ValueError as exc:
        raise ValueError(f"{label}: {exc}") from None
    return Target(label, probe, [s for s in secrets if s])
