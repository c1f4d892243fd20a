"""OpenSearch over HTTP: the index template of the log indices, `_bulk` writes, and their deletion."""
from __future__ import annotations

import json

import requests

from .documents import PREFIX

DELETE_CHUNK = 50     # index names in one DELETE: ~50 bytes each


class StoreUnavailable(Exception):
    """The store did not take the request as a whole: retry it later, skip nothing."""


def template(shards: int, replicas: int) -> dict:
    """The index template of every logs-* index.

    Dimensions and other string fields are keywords (exact values, as
    metric dimensions are queried); the message is full text.
    """
    return {
        "index_patterns": [f"{PREFIX}-*"],
        "template": {
            "settings": {"number_of_shards": shards, "number_of_replicas": replicas},
            "mappings": {
                "dynamic_templates": [{"strings_as_keywords": {
                    "match_mapping_type": "string",
                    "mapping": {"type": "keyword", "ignore_above": 1024}}}],
                "properties": {
                    "message": {"type": "text"},
                    "tenant": {"type": "keyword"},
                    "region": {"type": "keyword"},
                    "log_level": {"type": "keyword"},
                    "log_level_original": {"type": "keyword"},
                    "@timestamp": {"type": "date"},
                    "creation_time": {"type": "date"},
                },
            },
        },
    }


def transient(status: int) -> bool:
    """A refusal that says nothing about the document: too busy, or a server failure."""
    return status == 429 or status >= 500


class Store:
    def __init__(self, url: str, timeout: float = 30.0):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def _request(self, method: str, path: str, body: bytes | None = None,
                 content_type: str = "application/json") -> dict | list:
        try:
            response = self.session.request(method, f"{self.url}{path}", data=body, timeout=self.timeout,
                                            headers={"Content-Type": content_type})
        except requests.RequestException as exc:
            raise StoreUnavailable(f"{method} {path}: {exc}") from None
        if response.status_code >= 300:
            raise StoreUnavailable(f"{method} {path}: HTTP {response.status_code}: {response.text[:500]}")
        return response.json()

    def put_template(self, shards: int, replicas: int) -> None:
        self._request("PUT", f"/_index_template/monasca-{PREFIX}",
                      json.dumps(template(shards, replicas)).encode(), "application/json")

    def log_indices(self) -> list[str]:
        """The names of every logs-* index."""
        return [row["index"] for row in self._request("GET", f"/_cat/indices/{PREFIX}-*?h=index&format=json")]

    def delete_indices(self, names: list[str]) -> None:
        """Delete these indices; one already gone is no error (another persister may have deleted it)."""
        # A few dozen names a request: OpenSearch reads at most 4 KB of request line.
        for start in range(0, len(names), DELETE_CHUNK):
            chunk = ",".join(names[start:start + DELETE_CHUNK])
            self._request("DELETE", f"/{chunk}?ignore_unavailable=true")

    def bulk(self, actions: list[tuple[str, str, dict]]) -> list[tuple[int, str]]:
        """Index (index, id, document) triples; the (status, error) of each, in order.

        The same id written twice is the same document, so a retried write
        stores nothing twice.
        """
        lines = []
        for index, doc_id, doc in actions:
            lines.append(json.dumps({"index": {"_index": index, "_id": doc_id}}))
            lines.append(json.dumps(doc, ensure_ascii=False))
        body = ("\n".join(lines) + "\n").encode()
        answer = self._request("POST", "/_bulk", body, "application/x-ndjson")
        items = answer.get("items", [])
        if len(items) != len(actions):
            raise StoreUnavailable(f"_bulk answered {len(items)} items for {len(actions)} documents")
        results = []
        for item in items:
            result = next(iter(item.values()))
            error = result.get("error")
            if isinstance(error, dict):
                error = f"{error.get('type')}: {error.get('reason')}"
            results.append((int(result.get("status", 0)), error or ""))
        return results
