"""The ingest guard's JSON depth limit, through its WSGI interface; the
running API's answer to the same bodies is tested in tests/image/test_api.py."""
import io
import json

import pytest

from monasca_toolkit import ingest_guard


def post(body, path="/v2.0/alarm-definitions"):
    """(status, JSON answer or None) of the guard in front of an app that answers 204."""
    answered = []

    def app(environ, start_response):
        start_response("204 No Content", [])
        return [b""]

    guard = ingest_guard.filter_factory({})(app)
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "CONTENT_LENGTH": str(len(body)),
               "wsgi.input": io.BytesIO(body)}
    payload = b"".join(guard(environ, lambda status, headers: answered.append(status)))
    return answered[0], json.loads(payload) if payload else None


@pytest.mark.parametrize("path", ["/v2.0/metrics", "/v2.0/alarm-definitions", "/v2.0/logs"])
def test_a_body_nested_past_the_limit_gets_400_naming_it(path):
    status, answer = post(b"[" * 100_000, path)
    assert status == "400 Bad Request"
    assert "more than 100 deep" in answer["description"]


@pytest.mark.parametrize("body", [
    b"[" * 100 + b"]" * 100,                                          # at the limit
    json.dumps([{"name": "m", "dimensions": {"d": "[{" * 500}}] * 50).encode(),     # brackets in strings
    json.dumps(['\\"' + "[" * 200, "\\\\", '"{{{' * 60]).encode(),     # escaped quotes and backslashes
    json.dumps([[[["\\\\"]]]] * 60).encode(),
])
def test_brackets_in_strings_and_escapes_do_not_count(body):
    assert post(body) == ("204 No Content", None)


def test_nesting_hidden_behind_closing_brackets_in_strings_is_found():
    body = b'["' + b"]" * 200 + b'", ' + b"[" * 150 + b"]" * 150 + b"]"
    assert post(body)[0] == "400 Bad Request"
