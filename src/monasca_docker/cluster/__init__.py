"""`monasca-docker cluster`: three (or more) nodes as containers on this engine.

Each kind is a module with the same three functions:

    up(root: Path, nodes: int) -> int      build what is missing (cached), start the
                                           nodes, hand them the project's images,
                                           print how to reach the cluster
    down(root: Path) -> int                remove the nodes, their network and data
    status(root: Path) -> int              one line per node; non-zero when any is not ready

Nodes are unprivileged Docker-in-Docker style containers (nodes.py), as
--privileged fails on this kernel.
"""
from __future__ import annotations

import importlib
from pathlib import Path

KINDS = ("k8s", "swarm")


def kind(name: str):
    """The module that runs clusters of this kind."""
    return importlib.import_module(f".{name}", __name__)


def up(root: Path, name: str, nodes: int) -> int:
    return kind(name).up(root, nodes)


def down(root: Path, name: str) -> int:
    return kind(name).down(root)


def status(root: Path, name: str) -> int:
    return kind(name).status(root)
