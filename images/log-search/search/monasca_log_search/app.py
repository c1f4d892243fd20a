"""monasca-log-search: Keystone-authenticated, project-scoped search of the logs in OpenSearch.

A WSGI application (gunicorn ``monasca_log_search.app:create()``). Served:

    GET|POST /elasticsearch[/<indices>]/_search
    GET|POST /elasticsearch[/<indices>]/_count
    GET|POST /elasticsearch[/<indices>]/_msearch
    GET      /healthcheck                 (no token: 200 when OpenSearch answers)

Every other path is 404. The /elasticsearch prefix is the path under which
upstream's Kibana plugin served searches, which monasca-tempest-plugin's
``logs-search`` client calls. keystonemiddleware validates the
X-Auth-Token (401 without a valid one); the token's roles decide the scope
(see access.py) and the indices are rewritten to it before the request goes
to OpenSearch. The settings come from the YAML file named by
``LOG_SEARCH_CONFIG``; the service user's password only from the
environment (``KEYSTONE_SERVICE_PASSWORD``).
"""
from __future__ import annotations

import json
import logging
import os

import requests
import webob
from keystonemiddleware import auth_token
from monasca_toolkit import ingest_guard
from monasca_toolkit.service import ConfigError
from monasca_toolkit.service import load_config as load_settings

from . import access

LOG = logging.getLogger("monasca_log_search")
ACTIONS = ("_search", "_count", "_msearch")

DEFAULTS = {
    "opensearch": {"url": "http://opensearch:9200", "timeout": 60},
    "keystone": {"auth_url": "http://keystone:5000", "www_authenticate_uri": "http://keystone:5000",
                 "username": "monasca-log-search", "project_name": "service", "domain_name": "Default",
                 "insecure": False, "memcached_servers": "memcached:11211"},
    "authorized_roles": "admin,domainuser,domainadmin,monasca-user,monasca-read-only-user",
    "delegate_roles": "admin",
    "max_body_size": 1048576,
    "log_level": "WARNING",
}


def load_config(path: str) -> dict:
    config = load_settings(path, DEFAULTS)
    password = os.environ.get("KEYSTONE_SERVICE_PASSWORD")
    if not password:
        raise ConfigError("KEYSTONE_SERVICE_PASSWORD is not set: give the password of the Keystone user "
                          f"{config['keystone']['username']!r} in the environment")
    config["keystone"]["password"] = password
    return config


def roles(text: str) -> set[str]:
    return {role.strip().lower() for role in str(text).split(",") if role.strip()}


def answer(status: int, body, content_type="application/json") -> webob.Response:
    text = body if isinstance(body, bytes) else json.dumps(body).encode()
    return webob.Response(status=status, body=text, content_type=content_type, charset=None)


def refusal(status: int, description: str) -> webob.Response:
    titles = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed"}
    return answer(status, {"title": titles.get(status, "Error"), "description": description})


class Search:
    """The authenticated part: scope, rewrite, forward."""

    def __init__(self, config: dict):
        self.url = config["opensearch"]["url"].rstrip("/")
        self.timeout = float(config["opensearch"]["timeout"])
        self.authorized = roles(config["authorized_roles"])
        self.delegates = roles(config["delegate_roles"])
        self.session = requests.Session()

    def __call__(self, environ, start_response):
        request = webob.Request(environ)
        try:
            response = self.handle(request)
        except access.Refused as refused:
            response = refusal(refused.status, refused.description)
        return response(environ, start_response)

    def scope(self, request: webob.Request) -> str | None:
        """The caller's project, or None for every project (a delegate role)."""
        held = roles(request.headers.get("X-Roles", ""))
        if held & self.delegates:
            return None
        project = request.headers.get("X-Project-Id")
        if not held & self.authorized or not project:
            raise access.Refused(403, "searching logs needs a project-scoped token with one of the roles "
                                      + ", ".join(sorted(self.authorized | self.delegates)))
        return project

    def handle(self, request: webob.Request) -> webob.Response:
        parts = request.path_info.strip("/").split("/")
        if parts[0] != "elasticsearch" or len(parts) not in (2, 3) or parts[-1] not in ACTIONS:
            return refusal(404, "served: /elasticsearch[/<indices>]/{_search,_count,_msearch}")
        if request.method not in ("GET", "POST"):
            return refusal(405, f"{parts[-1]} is served for GET and POST")
        project = self.scope(request)
        params = access.params(dict(request.GET))
        path_indices = parts[1] if len(parts) == 3 else None
        if parts[-1] == "_msearch":
            target = f"/{parts[-1]}"
            data = access.msearch(request.body, path_indices, project)
            content_type = "application/x-ndjson"
        else:
            target = f"/{access.indices(path_indices, project)}/{parts[-1]}"
            data = json.dumps(access.body(request.body)).encode()
            content_type = "application/json"
        try:
            found = self.session.request(request.method, self.url + target, params=params, data=data,
                                         headers={"Content-Type": content_type}, timeout=self.timeout)
        except requests.RequestException as exc:
            LOG.warning("OpenSearch did not answer: %s", exc)
            return answer(503, {"title": "Service Unavailable", "description": "the log store did not answer"})
        return answer(found.status_code, found.content,
                      found.headers.get("Content-Type", "application/json").split(";")[0])


def health(url: str, timeout: float):
    def application(environ, start_response):
        try:
            state = requests.get(f"{url.rstrip('/')}/_cluster/health", timeout=min(timeout, 5)).json()["status"]
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            state = f"unreachable: {type(exc).__name__}"
        ok = state in ("green", "yellow")
        return answer(200 if ok else 503, {"opensearch": state})(environ, start_response)
    return application


def keystone_options(config: dict) -> dict:
    """keystonemiddleware's settings, as a paste filter would get them (strings)."""
    keystone = config["keystone"]
    return {"auth_type": "password", "auth_url": keystone["auth_url"],
            "www_authenticate_uri": keystone["www_authenticate_uri"],
            "username": keystone["username"], "password": keystone["password"],
            "user_domain_name": keystone["domain_name"], "project_name": keystone["project_name"],
            "project_domain_name": keystone["domain_name"], "insecure": str(keystone["insecure"]).lower(),
            "memcached_servers": keystone["memcached_servers"], "service_token_roles_required": "true",
            "delay_auth_decision": "false"}


def create(path: str | None = None):
    """The whole application: health without a token, everything else behind the body limit and Keystone."""
    config = load_config(path or os.environ.get("LOG_SEARCH_CONFIG", "/etc/monasca/log-search.yml"))
    logging.basicConfig(level=str(config["log_level"]).upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The password plugin's options (username, password, ...) are read when the
    # plugin loads, after keystonemiddleware warned it does not know them.
    logging.getLogger("keystonemiddleware._common.config").setLevel(logging.ERROR)
    guarded = ingest_guard.filter_factory({}, max_body_size=config["max_body_size"])(
        auth_token.AuthProtocol(Search(config), keystone_options(config)))
    healthcheck = health(config["opensearch"]["url"], float(config["opensearch"]["timeout"]))

    def application(environ, start_response):
        if environ.get("PATH_INFO") == "/healthcheck":
            return healthcheck(environ, start_response)
        return guarded(environ, start_response)
    return application
