"""Build images parent-first; skip the ones whose inputs have not changed."""
from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import datetime
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from . import __version__, catalog, engine, git, sources
from .errors import UserError
from .labels import INPUTS_LABEL, OCI, BuildFacts, inputs_digest, oci_labels, source_url, versions_record
from .progress import Progress
from .tags import TAG_GRAMMAR

CA_BUNDLE_CANDIDATES = (
    "/etc/ssl/certs/ca-certificates.crt",      # Debian, Ubuntu, Alpine
    "/etc/pki/tls/certs/ca-bundle.crt",        # Fedora, RHEL
    "/etc/ssl/cert.pem",                       # macOS, BSD
)


@dataclasses.dataclass
class Options:
    names: list[str]
    force: bool = False
    no_cache: bool = False
    verbose: bool = False
    ca_bundle: Path | None = None
    base_image: str | None = None     # replaces the Debian root image
    # Where the one named component image takes its code from (sources.choose).
    version: str | None = None
    repo: str | None = None
    ref: str | None = None
    local: Path | None = None
    tag: str | None = None            # tag for the one named image instead of the catalog's
    series: str | None = None         # another OpenStack series' releases (catalog.for_series)
    jobs: int = 2                     # independent images built at once

    def source_for(self, image: catalog.Image) -> sources.Source:
        asked = dict(version=self.version, repo=self.repo, ref=self.ref, local=self.local)
        if image.name not in self.names:
            asked = {}    # a parent built on the way keeps its default source
        return sources.choose(image, **asked)


@dataclasses.dataclass
class Outcome:
    image: str
    status: str          # "built", "up to date", "failed" or "skipped"
    seconds: float
    error: str = ""


def find_ca_bundle(explicit: Path | None = None) -> Path:
    """The CA bundle handed to builds: --ca-bundle, $SSL_CERT_FILE, or the host's."""
    if explicit is not None:
        if not explicit.is_file():
            raise UserError(f"--ca-bundle {explicit}: no such file")
        return explicit
    for candidate in (os.environ.get("SSL_CERT_FILE"), *CA_BUNDLE_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise UserError("no CA bundle found on this host: pass --ca-bundle PATH "
                    "(HTTPS downloads inside builds need one)")


NO_CHECKOUT = "unknown"      # the revision of a copy of the project that is not a checkout


def project_revision(root: Path) -> str:
    try:
        return git.revision(root)
    except UserError:
        return NO_CHECKOUT


def git_tags(root: Path) -> list[str]:
    return git.git("tag", "--list", cwd=root, default="").split()


def now_rfc3339() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclasses.dataclass(frozen=True)
class Setting:
    """What every image of one build run shares."""
    root: Path
    images: dict[str, catalog.Image]
    options: Options
    ca_bundle: Path
    revision: str
    source: str
    logs: Path
    # name -> (inputs digest, image id) of each image this run built or found up to date:
    # a child reads its parent and builder here instead of asking the engine again.
    finished: dict[str, tuple[str, str]] = dataclasses.field(default_factory=dict)


def build(options: Options, progress: Progress | None = None,
          images: dict[str, catalog.Image] | None = None) -> list[Outcome]:
    """Build the images in order, level by level, independent images of a level in parallel.

    An image whose build fails is reported with its error; its descendants
    are skipped; the others go on. The caller decides what a failure means.
    """
    root = catalog.project_root()
    images = images or catalog.load(root)       # the caller's, when it read the catalog already
    if options.series:
        images = catalog.for_series(images, options.series)
    order = _build_order(images, options)
    engine.require_engine()
    logs = root / "build" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    setting = Setting(root, images, options, find_ca_bundle(options.ca_bundle), project_revision(root),
                      source_url(git.git("remote", "get-url", "origin", cwd=root, default="")), logs)

    # --verbose streams docker's output to the terminal: no status line between it.
    with progress or Progress(live=False if options.verbose else None) as show:
        outcomes = _schedule(order, options.jobs, lambda image: _build_one(image, setting, show),
                             lambda image, outcome: show.finished(image.ref, f"skipped ({outcome.error})"))
    return [outcomes[image.name] for image in order]


def _schedule(order, jobs, build_one, skipped) -> dict[str, Outcome]:
    """Each image built as soon as what it needs is built, `jobs` at a time (not level by
    level, which left a job idle while a level's last image built); outcomes by name."""
    outcomes: dict[str, Outcome] = {}
    in_order = {image.name for image in order}
    waiting, running = list(order), {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        while waiting or running:
            ready = [image for image in waiting
                     if all(name in outcomes or name not in in_order for name in catalog.needs(image))]
            if not ready and not running:
                raise RuntimeError(f"nothing can build: {[image.name for image in waiting]} wait on each other")
            for image in ready:
                waiting.remove(image)
                failed = [name for name in catalog.needs(image)
                          if name in outcomes and outcomes[name].status in ("failed", "skipped")]
                if failed:
                    outcomes[image.name] = Outcome(image.ref, "skipped", 0.0, f"{failed[0]} did not build")
                    skipped(image, outcomes[image.name])
                else:
                    running[pool.submit(build_one, image)] = image
            if running:
                done, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in done:
                    outcomes[running.pop(future).name] = future.result()
    return outcomes


def _build_order(images: dict[str, catalog.Image], options: Options) -> list[catalog.Image]:
    """The named images and their ancestors, parents first, as the options say to build them."""
    order = catalog.build_order(images, options.names)
    if any((options.version, options.repo, options.ref, options.local, options.tag)) \
            and len(options.names) != 1:
        raise UserError("--version, --repo, --ref, --local and --tag apply to one image: name exactly one")
    if options.tag:
        if not TAG_GRAMMAR.fullmatch(options.tag):
            raise UserError(f"--tag {options.tag!r} is not a valid tag: letters, digits, "
                            f"'_', '.' and '-', at most 128, not starting with '.' or '-'")
        order = [dataclasses.replace(img, tag=options.tag) if img.name in options.names else img
                 for img in order]
    if options.base_image:
        order = [img for img in order if img.recipe != "rootfs"]
    return order


def _build_one(image: catalog.Image, setting: Setting, show: Progress) -> Outcome:
    started = time.monotonic()
    options = setting.options
    try:
        parent_ref, parent_inputs, parent_id = _parent(image, setting, options.base_image)
        builder_ref, builder_inputs, _ = _needed(image, image.builder, setting)
        with _context(image, setting.root, options) as (context, component_facts):
            inputs = inputs_digest(context, {"parent": parent_inputs,
                                             **({"builder": builder_inputs} if image.builder else {})})
            existing = engine.inspect_image(image.ref)
            if not options.force and _up_to_date(engine.labels_of(existing), inputs, setting):
                setting.finished[image.name] = (inputs, existing["Id"])
                show.finished(image.ref, "up to date")
                return Outcome(image.ref, "up to date", time.monotonic() - started)
            show.started(image.ref)
            facts = BuildFacts(version=__version__, revision=setting.revision, created=now_rfc3339(),
                               source=setting.source, base_name=parent_ref, base_digest=parent_id,
                               component_version=_component_version(image, setting))
            with _log(setting.logs / f"{image.name}.log", options.verbose) as log:
                if image.recipe == "rootfs":
                    _build_rootfs(image, context, facts, inputs, log)
                else:
                    if image.component:
                        sources.check_release(image, options.source_for(image))
                    engine.build(context, image.ref, log=log, no_cache=options.no_cache,
                                 build_args={"BASE_IMAGE": parent_ref,
                                             **({"BUILDER_IMAGE": builder_ref} if image.builder else {}),
                                             "BUILD_INFO": versions_record(image, facts, component_facts)},
                                 labels=oci_labels(image, facts, inputs),
                                 secrets={"ca-bundle": setting.ca_bundle})
    except UserError as exc:
        show.finished(image.ref, "failed")
        return Outcome(image.ref, "failed", time.monotonic() - started, str(exc))
    setting.finished[image.name] = (inputs, engine.inspect_image(image.ref)["Id"])
    outcome = Outcome(image.ref, "built", time.monotonic() - started)
    show.finished(image.ref, f"built in {outcome.seconds:.1f}s")
    return outcome


def _up_to_date(labels: dict[str, str], inputs: str, setting: Setting) -> bool:
    """Built from these inputs, by a commit this checkout has: an image another
    clone built (a commit of a fork, a benchmark's) would say in its `version`
    a revision nobody here can look up, so it is built again."""
    if labels.get(INPUTS_LABEL) != inputs:
        return False
    built_from = labels.get(OCI + "revision", "").removesuffix("-dirty")
    return setting.revision == NO_CHECKOUT or git.has_commit(setting.root, built_from)


def _component_version(image: catalog.Image, setting: Setting) -> str:
    """The release of the software the image packages, for its version label.

    An image with a component: the PyPI release it is built from ("" for a
    git or local build, which no release names). One without: its nearest
    component ancestor's, as that image says (agent-collector packages
    agent-base's monasca-agent); none: "".
    """
    if image.component:
        source = setting.options.source_for(image)
        return source.version if source.kind == "pypi" else ""
    for name in catalog.ancestors(setting.images, image.name):
        if setting.images[name].component:
            return engine.image_labels(setting.images[name].ref).get(OCI + "version", "")
    return ""


def _parent(image, setting, base_image):
    """(reference, inputs digest, image id) of the image's parent."""
    if image.parent is not None and base_image and setting.images[image.parent].recipe == "rootfs":
        return _needed(image, image.parent, setting, ref=base_image)
    return _needed(image, image.parent, setting)


def _needed(image, name, setting, ref=None):
    """(reference, inputs digest, image id) of the catalog entry `name` that image's build uses."""
    if name is None:
        return "", "", ""
    if ref is None and name in setting.finished:
        return (setting.images[name].ref, *setting.finished[name])
    ref = ref or setting.images[name].ref
    info = engine.inspect_image(ref)
    if info is None:
        raise UserError(f"image {ref}, which {image.name} is built with, does not exist: "
                        f"build it first, or check --base-image")
    labels = engine.labels_of(info)
    return ref, labels.get(INPUTS_LABEL, info["Id"]), info["Id"]


def _build_rootfs(image, folder, facts, inputs, log):
    """Make the Debian root filesystem with the folder's mkrootfs, then import it."""
    with tempfile.TemporaryDirectory(prefix="monasca-rootfs-") as tmp:
        tarball = Path(tmp) / "rootfs.tar"
        result = subprocess.run([str(folder / "mkrootfs"), str(tarball)],
                                stdout=log, stderr=subprocess.STDOUT)
        if result.returncode != 0:
            raise UserError(f"making the root filesystem of {image.ref} failed "
                            f"(exit {result.returncode}); see {getattr(log, 'name', 'the output above')}")
        digest = "sha256:" + hashlib.sha256(tarball.read_bytes()).hexdigest()
        facts = dataclasses.replace(facts, base_name="debian:bookworm (mmdebstrap)",
                                    base_digest=digest)
        engine.import_rootfs(tarball, image.ref, labels=oci_labels(image, facts, inputs), log=log)


@contextlib.contextmanager
def _context(image: catalog.Image, root: Path, options: Options):
    """(build context, component facts): the image folder, plus source/ for a component."""
    folder = catalog.folder(image, root)
    if image.component is None:
        yield folder, {}
        return
    with tempfile.TemporaryDirectory(prefix=f"monasca-{image.name}-") as tmp:
        context = Path(tmp) / "context"
        shutil.copytree(folder, context)
        facts = sources.prepare(image, options.source_for(image), root, context / "source")
        yield context, facts


@contextlib.contextmanager
def _log(path: Path, verbose: bool):
    """A build log file; None when verbose, so that output goes to the terminal."""
    if verbose:
        yield None
        return
    with path.open("w") as file:
        yield file
