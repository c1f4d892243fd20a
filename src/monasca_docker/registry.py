"""Thin adapter over a registry's HTTP API (distribution v2), for promotion.

Promotion copies a manifest, byte for byte, from the digest that passed
the tests to new tags, so the digest stays the same and nothing is rebuilt.
Basic auth (htpasswd registries) and bearer tokens (Docker Hub and most
others) are both answered.
"""
from __future__ import annotations

import base64
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from .errors import UserError

MANIFEST_TYPES = ", ".join((
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
))
USER_VAR, PASSWORD_VAR = "MONASCA_REGISTRY_USER", "MONASCA_REGISTRY_PASSWORD"


def credentials(registry: str) -> tuple[str, str] | None:
    """(user, password) from the environment, else from the Docker config."""
    if os.environ.get(USER_VAR) and os.environ.get(PASSWORD_VAR):
        return os.environ[USER_VAR], os.environ[PASSWORD_VAR]
    config = Path(os.environ.get("DOCKER_CONFIG", Path.home() / ".docker")) / "config.json"
    try:
        auth = json.loads(config.read_text())["auths"][registry]["auth"]
    except (OSError, ValueError, KeyError):
        return None
    user, _, password = base64.b64decode(auth).decode().partition(":")
    return user, password


def base_url(registry: str) -> str:
    host = "registry-1.docker.io" if registry == "docker.io" else registry
    # Loopback registries speak plain HTTP, as the engine assumes too.
    scheme = "http" if re.match(r"(127\.\d+\.\d+\.\d+|localhost)(:\d+)?$", host) else "https"
    return f"{scheme}://{host}/v2"


class Client:
    def __init__(self, registry: str, creds: tuple[str, str] | None):
        self.registry, self.creds, self.token = registry, creds, None

    def _request(self, method: str, path: str, body: bytes | None = None,
                 headers: dict[str, str] | None = None, retry: bool = True):
        request = urllib.request.Request(base_url(self.registry) + path, data=body,
                                         method=method, headers=dict(headers or {}))
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        elif self.creds:
            basic = base64.b64encode(":".join(self.creds).encode()).decode()
            request.add_header("Authorization", f"Basic {basic}")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.read(), response.headers
        except urllib.error.HTTPError as exc:
            challenge = exc.headers.get("WWW-Authenticate", "")
            if exc.code == 401 and retry and challenge.startswith("Bearer "):
                self.token = self._bearer_token(challenge)
                return self._request(method, path, body, headers, retry=False)
            if exc.code == 401:
                raise UserError(f"{self.registry} refused the credentials ({USER_VAR}/{PASSWORD_VAR} "
                                f"or `docker login {self.registry}`)") from None
            raise UserError(f"{method} {self.registry}{path}: HTTP {exc.code}") from None
        except urllib.error.URLError as exc:
            raise UserError(f"registry {self.registry} is unreachable: {exc.reason}") from None

    def _bearer_token(self, challenge: str) -> str:
        fields = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        query = urllib.parse.urlencode({k: v for k, v in fields.items() if k in ("service", "scope")})
        request = urllib.request.Request(f"{fields['realm']}?{query}")
        if self.creds:
            request.add_header("Authorization",
                               "Basic " + base64.b64encode(":".join(self.creds).encode()).decode())
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.loads(response.read())
        return answer.get("token") or answer["access_token"]

    def manifest(self, repository: str, reference: str) -> tuple[bytes, str, str]:
        """(bytes, media type, digest) of a manifest by tag or digest."""
        body, headers = self._request("GET", f"/{repository}/manifests/{reference}",
                                      headers={"Accept": MANIFEST_TYPES})
        return body, headers["Content-Type"], headers["Docker-Content-Digest"]

    def put_manifest(self, repository: str, tag: str, body: bytes, media_type: str) -> str:
        _, headers = self._request("PUT", f"/{repository}/manifests/{tag}", body=body,
                                   headers={"Content-Type": media_type})
        return headers["Docker-Content-Digest"]


def promote(registry: str, repository: str, source: str, tags: tuple[str, ...]) -> str:
    """Point each of tags at the manifest of source (a tag or digest); return its digest."""
    client = Client(registry, credentials(registry))
    body, media_type, digest = client.manifest(repository, source)
    for tag in tags:
        if client.put_manifest(repository, tag, body, media_type) != digest:
            raise UserError(f"{registry}/{repository}:{tag} got another digest than {digest}")
    return digest
