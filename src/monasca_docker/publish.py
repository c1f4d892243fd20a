"""`monasca-docker publish` and `promote`: tags from the policy, pushed to any registry."""
from __future__ import annotations

import contextlib
import dataclasses
import os
import tempfile
from pathlib import Path

from . import engine, registry
from .catalog import Image
from .errors import UserError
from .tags import Publication

DEFAULT_REGISTRY = "docker.io"
DEFAULT_NAMESPACE = "monasca"


@dataclasses.dataclass(frozen=True)
class Pushed:
    image: str
    target: str
    digest: str


def remote_repository(image: Image, namespace: str) -> str:
    """monasca/api -> <namespace>/api."""
    return f"{namespace}/{image.repository.rsplit('/', 1)[-1]}"


@contextlib.contextmanager
def credentials_for(target_registry: str):
    """A DOCKER_CONFIG with the credentials of the environment; None: the user's own config.

    A temporary folder, so that credentials given for one run are not left behind.
    """
    user, password = os.environ.get(registry.USER_VAR), os.environ.get(registry.PASSWORD_VAR)
    if not (user and password):
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="monasca-docker-config-") as config:
        engine.login(target_registry, user, password, config=Path(config))
        yield Path(config)


def publish(images: list[Image], publication: Publication, *, target_registry: str = DEFAULT_REGISTRY,
            namespace: str = DEFAULT_NAMESPACE) -> list[Pushed]:
    if not publication.publishes:
        return []
    for image in images:
        if engine.inspect_image(image.ref) is None:
            raise UserError(f"{image.ref} is not built: nothing to publish")
    pushed = []
    with credentials_for(target_registry) as config:
        for image in images:
            repository = remote_repository(image, namespace)
            targets = [f"{target_registry}/{repository}:{tag}" for tag in publication.tags]
            pushed += [Pushed(image.ref, target, digest) for target, digest in _push(image.ref, targets, config)]
    return pushed


def _push(local: str, targets: list[str], config: Path | None) -> list[tuple[str, str]]:
    """(target, digest) of each target pushed; a failure takes back the local tags of this image.

    The tags exist only to push; left behind, they would name images the
    registry does not have. (Removing one of several tags only untags.)
    """
    done = []
    try:
        for target in targets:
            done.append((target, engine.push(local, target, config)))
    except UserError:
        for target in targets[:len(done) + 1]:
            engine.remove_image(target)
        raise
    return done


def promote(images: list[Image], source_tag: str, publication: Publication, *,
            target_registry: str = DEFAULT_REGISTRY, namespace: str = DEFAULT_NAMESPACE) -> list[Pushed]:
    """Retag, in the registry, the manifest that source_tag names: no rebuild, same digest."""
    promoted = []
    with credentials_for(target_registry) as config:
        for image in images:
            repository = remote_repository(image, namespace)
            digest = registry.promote(target_registry, repository, source_tag, publication.tags, config)
            promoted += [Pushed(image.ref, f"{target_registry}/{repository}:{tag}", digest)
                         for tag in publication.tags]
    return promoted


def carry_out(images: list[Image], publication: Publication, source: str | None, *,
              target_registry: str = DEFAULT_REGISTRY, namespace: str = DEFAULT_NAMESPACE) -> list[Pushed]:
    """Push the images with the publication's tags, or promote `source` when it says so."""
    where = dict(target_registry=target_registry, namespace=namespace)
    if not publication.promote:
        return publish(images, publication, **where)
    if not source:
        raise UserError("a release promotes a tested image: give --from TAG_OR_DIGEST")
    return promote(images, source, publication, **where)
