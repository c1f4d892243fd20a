"""Service-level probes: Kafka topics, MySQL schema, Keystone tokens, InfluxDB.

Each raises ``ProbeError`` with the last thing seen. Every import beyond
``probes`` is inside the function that needs it: ``monasca-health`` loads this
module on every run (a HEALTHCHECK every few seconds), and a tcp:// check
should pay neither for the Kafka client nor for logging (~9 ms).
"""

from monasca_toolkit import probes
from monasca_toolkit.probes import ProbeError


def kafka(brokers, topics, partitions, timeout):
    """Brokers answer metadata and every topic has at least ``partitions`` partitions.

    ``brokers`` is a list of (host, port).
    """
    # Probe the sockets first: kafka-python only says "NoBrokersAvailable",
    # while "connection refused" tells the operator what is wrong.
    errors = []
    for host, port in brokers:
        try:
            probes.tcp(host, port, timeout)
            break
        except ProbeError as exc:
            errors.append(f"{host}:{port} {exc}")
    else:
        raise ProbeError("; ".join(errors))

    import logging

    from kafka import KafkaConsumer
    from kafka.errors import KafkaError

    # kafka-python logs every failed connection attempt; the wait loop
    # already reports the outcome in one line.
    logging.getLogger("kafka").setLevel(logging.CRITICAL)
    millis = max(1000, int(timeout * 1000))
    try:
        consumer = KafkaConsumer(
            bootstrap_servers=[f"{h}:{p}" for h, p in brokers],
            client_id="monasca-wait",
            request_timeout_ms=millis,
            api_version_auto_timeout_ms=millis,
            enable_auto_commit=False,
        )
    except KafkaError as exc:
        raise ProbeError(f"kafka: {type(exc).__name__}") from None
    try:
        existing = consumer.topics()
        for topic in topics:
            if topic not in existing:
                raise ProbeError(f"topic {topic} missing")
            count = len(consumer.partitions_for_topic(topic) or ())
            if count < partitions:
                raise ProbeError(
                    f"topic {topic} has {count} partitions, want at least {partitions}")
    except KafkaError as exc:
        raise ProbeError(f"kafka: {type(exc).__name__}") from None
    finally:
        consumer.close()


# MySQL server error codes that have a clearer wording for an operator.
_ER_DBACCESS_DENIED = 1044
_ER_ACCESS_DENIED = 1045
_ER_BAD_DB = 1049
_CR_CONN_HOST_ERROR = 2003


def mysql(host, port, user, password, database, tables, timeout):
    """Credentials work, ``database`` exists and holds every table in ``tables``."""
    import pymysql

    try:
        connection = pymysql.connect(
            host=host, port=port, user=user, password=password or "",
            database=database or None, connect_timeout=timeout,
            read_timeout=timeout, write_timeout=timeout)
    except pymysql.err.MySQLError as exc:
        code = exc.args[0] if exc.args else None
        if code == _ER_ACCESS_DENIED:
            raise ProbeError(f"access denied for user '{user}'") from None
        if code == _ER_DBACCESS_DENIED:
            # The server says this also when the database is missing and the
            # user has no grant that would let it see so.
            raise ProbeError(f"access denied for user '{user}' to database '{database}' "
                             "(no grant, or it does not exist)") from None
        if code == _ER_BAD_DB:
            raise ProbeError(f"database '{database}' does not exist") from None
        if code == _CR_CONN_HOST_ERROR and exc.__context__ is not None:
            raise ProbeError(probes.describe(exc.__context__)) from None
        raise ProbeError(f"mysql: {exc.args[-1] if exc.args else exc}") from None
    with connection:
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute("SHOW TABLES LIKE %s", (table,))
                if cursor.fetchone() is None:
                    raise ProbeError(f"table '{table}' missing in database '{database}'")


def keystone_token_url(base):
    """The token endpoint for a Keystone URL given with or without /v3."""
    base = base.rstrip("/")
    if not base.endswith("/v3"):
        base += "/v3"
    return base + "/auth/tokens"


def keystone(base, user, password, project, user_domain, project_domain, timeout,
             insecure=False):
    """Keystone issues a token for the user (project-scoped if ``project``)."""
    import json

    auth = {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"name": user_domain}, "password": password}}}}
    if project:
        auth["scope"] = {"project": {"name": project, "domain": {"name": project_domain}}}
    status, _ = probes.http_request(
        keystone_token_url(base), timeout, method="POST",
        body=json.dumps({"auth": auth}).encode(),
        headers={"Content-Type": "application/json"}, insecure=insecure)
    if status != 201:
        raise ProbeError(f"token request got HTTP {status}")


def influxdb(base, user, password, database, timeout):
    """InfluxDB 1.x answers /ping with 204 and ``database`` exists."""
    import base64
    import json
    import urllib.parse

    status, _ = probes.http_request(base + "/ping", timeout)
    if status != 204:
        raise ProbeError(f"ping got HTTP {status}")
    if not database:
        return
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if user:
        # Basic auth keeps the credentials out of URLs and access logs.
        token = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    status, body = probes.http_request(
        base + "/query", timeout, method="POST", headers=headers,
        body=urllib.parse.urlencode({"q": "SHOW DATABASES"}).encode())
    if status != 200:
        raise ProbeError(f"SHOW DATABASES got HTTP {status}")
    try:
        series = json.loads(body)["results"][0].get("series", [])
        names = {row[0] for s in series for row in s.get("values", [])}
    except (ValueError, KeyError, IndexError, TypeError):
        raise ProbeError("unexpected answer to SHOW DATABASES") from None
    if database not in names:
        raise ProbeError(f"database '{database}' does not exist")
