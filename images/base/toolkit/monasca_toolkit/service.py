"""What this project's own Python services share: a YAML settings file
checked against the service's defaults, and a health endpoint on loopback."""
import http.server
import json
import threading

import yaml


class ConfigError(Exception):
    """A settings file the service cannot start with; the message says why and what to do."""


def load_config(path, defaults, positive=()):
    """The service's defaults, overridden by the file's settings (a section,
    a dict, one key at a time). Unknown settings are refused, with the known
    ones named; so are values of `positive` that are not positive numbers."""
    try:
        with open(path, encoding="utf-8") as file:
            given = yaml.safe_load(file) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    unknown = set(given) - set(defaults)
    if unknown:
        raise ConfigError(f"{path}: unknown settings {sorted(unknown)}; known: {sorted(defaults)}")
    config = {key: ({**value, **(given.get(key) or {})} if isinstance(value, dict) else given.get(key, value))
              for key, value in defaults.items()}
    for key in positive:
        whole = isinstance(defaults[key], int)     # a float default takes a whole number too
        value = config[key]
        if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)) or value <= 0:
            kind = "whole number" if whole else "number"
            raise ConfigError(f"{path}: {key} must be a positive {kind}, not {value!r}")
    return config


def serve_health(report, port):
    """Serve GET /healthcheck on 127.0.0.1:port from a thread. report()
    gives (healthy, body): the body as JSON, with 200 if healthy, else 503."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path != "/healthcheck":
                self.send_error(404, "only /healthcheck is served")
                return
            healthy, body = report()
            data = json.dumps(body).encode()
            self.send_response(200 if healthy else 503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):      # no access log: the check runs every few seconds
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True, name="health").start()
    return server
