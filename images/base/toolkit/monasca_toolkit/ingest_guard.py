"""WSGI middleware in front of the metrics and logs APIs: bounded bodies, and
no metric the store cannot hold.

Paste filter (see the api and log-api images' paste files)::

    [filter:ingest_guard]
    paste.filter_factory = monasca_toolkit.ingest_guard:filter_factory
    max_body_size = 4194304
    max_dimensions = 50

A body past ``max_body_size`` bytes gets 413 after reading at most that many
bytes plus one, whether it came with a Content-Length or chunked. On
``POST .../metrics`` a metric whose timestamp InfluxDB cannot store, with a
control character in its name, a dimension or value_meta, or with more
dimensions than ``max_dimensions`` gets 422 naming the metric and the field.
A body of any request nested deeper than MAX_DEPTH arrays and objects gets
400: Python's JSON parser fails near 1000 levels, which the APIs answer 500.
Everything else (malformed JSON included) is left to monasca-api's own
validation.
"""
import io
import itertools
import json
import re

# InfluxDB stores int64 nanoseconds: 2262-04-11T23:47:16.854775806Z at most.
# Monasca timestamps are milliseconds. Before 1970 is refused too: no
# monitoring sample predates the epoch, and a negative value is a sender's bug.
MAX_TIMESTAMP_MS = (2 ** 63 - 2) // 1_000_000
LATEST = "2262-04-11T23:47:16.854Z"
# C0, DEL and C1 controls; value_meta values may hold tabs and line breaks.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# No Monasca request nests past a handful of levels (a list of metrics, each
# with its dimensions); 100 leaves room and stays far below Python's limit.
MAX_DEPTH = 100
NOT_A_BRACKET = bytes(sorted(set(range(256)) - set(b"[]{}")))
STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class Refused(Exception):
    def __init__(self, status, title, description):
        super().__init__(description)
        self.status, self.title, self.description = status, title, description


def filter_factory(global_conf, **local_conf):
    max_body = int(local_conf.get("max_body_size", 4194304))
    max_dimensions = int(local_conf.get("max_dimensions", 50))
    return lambda app: IngestGuard(app, max_body, max_dimensions)


class IngestGuard:
    def __init__(self, app, max_body, max_dimensions):
        self.app, self.max_body, self.max_dimensions = app, max_body, max_dimensions

    def __call__(self, environ, start_response):
        try:
            body = self.read_body(environ)
            if body is not None:
                check_depth(body)
            if body is not None and environ["REQUEST_METHOD"] == "POST" \
                    and environ.get("PATH_INFO", "").rstrip("/").endswith("/metrics"):
                self.check_metrics(body)
        except Refused as refused:
            payload = json.dumps({"title": refused.title, "description": refused.description}).encode()
            start_response(refused.status, [("Content-Type", "application/json"),
                                            ("Content-Length", str(len(payload))), ("Connection", "close")])
            return [payload]
        return self.app(environ, start_response)

    def read_body(self, environ):
        """The body, at most max_body bytes, put back for the app as a plain stream; None when there is none."""
        length = environ.get("CONTENT_LENGTH") or ""
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked and not length.strip():
            return None
        if not chunked and length.strip().isdigit() and int(length) > self.max_body:
            raise self.too_large()
        # gunicorn decodes chunked framing; reading one byte past the limit
        # tells an oversized body without reading the rest of it.
        limit = self.max_body + 1 if chunked or not length.strip().isdigit() else int(length)
        body = environ["wsgi.input"].read(limit)
        if len(body) > self.max_body:
            raise self.too_large()
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return body

    def too_large(self):
        return Refused("413 Request Entity Too Large", "Request Entity Too Large",
                       f"the request body is larger than {self.max_body} bytes (MAX_BODY_SIZE): "
                       "send fewer items per request")

    def check_metrics(self, body):
        try:
            metrics = json.loads(body)
        except ValueError:
            return  # monasca-api answers malformed JSON itself
        for metric in metrics if isinstance(metrics, list) else [metrics]:
            if isinstance(metric, dict):
                problem = self.problem(metric)
                if problem:
                    raise Refused("422 Unprocessable Entity", "Unprocessable Entity",
                                  f"metric {metric.get('name')!r}: {problem}")

    def problem(self, metric):
        """What in this metric the store cannot hold, or None."""
        timestamp = metric.get("timestamp")
        if isinstance(timestamp, (int, float)) and not isinstance(timestamp, bool):
            if timestamp < 0:
                return f"timestamp {timestamp} is before 1970-01-01: timestamps are milliseconds since the epoch"
            if timestamp > MAX_TIMESTAMP_MS:
                return (f"timestamp {timestamp} is after {LATEST}, the latest InfluxDB can store:"
                        " timestamps are milliseconds since the epoch")
        name = metric.get("name")
        if isinstance(name, str) and CONTROL.search(name):
            return "control character in the name"
        dimensions = metric.get("dimensions")
        if isinstance(dimensions, dict):
            if len(dimensions) > self.max_dimensions:
                return f"{len(dimensions)} dimensions, more than {self.max_dimensions} (MAX_DIMENSIONS)"
            for key, value in dimensions.items():
                if CONTROL.search(key) or (isinstance(value, str) and CONTROL.search(value)):
                    return f"control character in dimension {key!r}"
        value_meta = metric.get("value_meta")
        if isinstance(value_meta, dict):
            for key, value in value_meta.items():
                if CONTROL.search(key) or (isinstance(value, str) and CONTROL_IN_TEXT.search(value)):
                    return f"control character in value_meta {key!r}"
        return None


def check_depth(body):
    """Refuse a body nested past MAX_DEPTH. The brackets outside strings, each +1 or -1,
    summed as they come: the deepest running sum is the depth. Without its escaped
    backslashes and quotes, every other piece between quotes is a string. It costs
    about what one json.loads of the body does (all in C), and runs only for bodies
    with more brackets than MAX_DEPTH."""
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:
        return
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    brackets = b"".join(unescaped.split(b'"')[::2]).translate(None, NOT_A_BRACKET)
    if max(itertools.accumulate(map(STEP.__getitem__, brackets)), default=0) > MAX_DEPTH:
        raise Refused("400 Bad Request", "Bad Request",
                      f"the JSON body nests arrays and objects more than {MAX_DEPTH} deep: no Monasca request"
                      " needs that")
