"""`monasca-docker`: build, list and inspect the Monasca images."""
from __future__ import annotations

import argparse
import collections
import datetime
import json
import shlex
import sys
from pathlib import Path

from . import build as builder
from . import __version__, backup, catalog, ci, cluster, doctor, engine, lock, publish, stack, tags
from .errors import UserError


def cmd_list(args) -> int:
    images = catalog.load().values()
    if args.json:
        print(json.dumps([{"name": image.name, "image": image.ref, "parent": image.parent,
                           "builder": image.builder, "component": image.component,
                           "version": image.version, "description": image.description}
                          for image in images], indent=2))
        return 0
    for image in images:
        parent = f"  (FROM {image.parent})" if image.parent else ""
        print(f"{image.name:<16} {image.ref:<32} {image.description}{parent}")
    return 0


def cmd_build(args) -> int:
    outcomes = builder.build(builder.Options(
        names=args.images, force=args.force, no_cache=args.no_cache, verbose=args.verbose,
        ca_bundle=args.ca_bundle, base_image=args.base_image, jobs=args.jobs,
        version=args.version, repo=args.repo, ref=args.ref, local=args.local, tag=args.tag, series=args.series))
    counts = collections.Counter(outcome.status for outcome in outcomes)
    print(", ".join(f"{counts[status]} {status}" for status in ("built", "up to date", "failed", "skipped")))
    failures = [outcome for outcome in outcomes if outcome.status == "failed"]
    if failures:
        raise UserError("\n".join(f"{outcome.image}: {outcome.error}" for outcome in failures))
    return 0


def cmd_lock(args) -> int:
    root = catalog.project_root()
    images = catalog.load(root)
    catalog.check_names(images, args.images)
    if args.series:
        images = catalog.for_series(images, args.series)
    for name in args.images or [n for n, img in images.items()
                                if img.component and (not args.series or img.series == args.series)]:
        path = lock.write_lock(root, images[name], args.upper_constraints)
        print(f"{name}: {path.relative_to(root)}")
    return 0


def event_from(args) -> tags.Event:
    """The event of the command line, with the facts git knows filled in."""
    root = catalog.project_root()
    sha = args.sha or builder.project_revision(root).removesuffix("-dirty")
    try:
        day = datetime.date.fromisoformat(args.date) if args.date else \
            datetime.datetime.now(datetime.timezone.utc).date()
    except ValueError:
        raise UserError(f"--date {args.date!r} is not a date: give YYYY-MM-DD") from None
    releases = tuple(builder.git_tags(root))
    return tags.Event(args.event, ref=args.ref or "", sha=sha, date=day, releases=releases)


def cmd_publish(args) -> int:
    images = catalog.load()
    catalog.check_names(images, args.images)
    chosen = [images[n] for n in (args.images or images) if images[n].recipe == "dockerfile"]
    done = publish.carry_out(chosen, tags.tags_for(event_from(args)), args.source,
                             target_registry=args.registry, namespace=args.namespace)
    for item in done:
        print(f"{item.target} {item.digest}")
    if not done:
        print(f"a {args.event} event publishes nothing")
    return 0


def add_target_arguments(command) -> None:
    command.add_argument("--registry", default=publish.DEFAULT_REGISTRY, help="where images are pushed")
    command.add_argument("--namespace", default=publish.DEFAULT_NAMESPACE,
                         help="the registry's namespace for the images")


def add_event_arguments(command) -> None:
    command.add_argument("--event", required=True, choices=tags.EVENTS, help="what happened: the tag policy's event")
    command.add_argument("--ref", help="branch (merge), release tag (tag) or series (release)")
    command.add_argument("--sha", help="the commit (default: this checkout's HEAD)")
    command.add_argument("--date", help="YYYY-MM-DD of the event (default: today, UTC)")


def cmd_lint(args) -> int:
    from . import lint   # here, not at the top: its docutils and Jinja2 cost every other command 0.2 s
    problems = lint.run(catalog.project_root(), args.images)
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s)" if problems else "lint: clean")
    return 1 if problems else 0


def cmd_ci(args) -> int:
    return ci.run(ci.Request(event=event_from(args), base=args.base, dry_run=args.dry_run,
                             registry=args.registry, namespace=args.namespace, source=args.source,
                             jobs=args.jobs, test_command=tuple(shlex.split(args.test_command))))


def cmd_up(args) -> int:
    return stack.up(catalog.project_root(), args.timeout)


def cmd_down(args) -> int:
    return stack.down(catalog.project_root(), args.volumes)


def cmd_status(args) -> int:
    return stack.status(catalog.project_root(), args.json)


def cmd_logs(args) -> int:
    return stack.logs(catalog.project_root(), args.service, args.follow)


def cmd_smoke(args) -> int:
    return stack.smoke(catalog.project_root())


def cmd_backup(args) -> int:
    return backup.backup(catalog.project_root(), args.archive)


def cmd_restore(args) -> int:
    return backup.restore(catalog.project_root(), args.archive, args.timeout)


def cmd_cluster(args) -> int:
    root = catalog.project_root()
    if args.action == "up":
        return cluster.up(root, args.kind, args.nodes)
    return getattr(cluster, args.action)(root, args.kind)


def cmd_info(args) -> int:
    images = catalog.load()
    catalog.check_names(images, [args.image])
    ref = images[args.image].ref
    if engine.inspect_image(ref) is None:
        raise UserError(f"{ref} is not built yet: run `monasca-docker build {args.image}`")
    print(json.dumps({"image": ref,
                      "labels": engine.image_labels(ref),
                      "versions": json.loads(engine.run_image(ref, "version", "--json"))},
                     indent=2, sort_keys=True))
    return 0


def cmd_doctor(args) -> int:
    return doctor.run(args.ca_bundle)


class _Version(argparse.Action):
    """--version: the tool's release and the commit it runs from (asked of git only when given)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, help="print the tool's version and revision, and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        here = Path(__file__).resolve().parents[2]     # the checkout this package runs from
        print(f"monasca-docker {__version__} (revision {builder.project_revision(here)})")
        parser.exit()


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="monasca-docker", description=__doc__)
    top.add_argument("--version", action=_Version)
    sub = top.add_subparsers(dest="command", required=True)

    list_cmd = sub.add_parser("list", help="the images the catalog knows")
    list_cmd.add_argument("--json", action="store_true", help="print them as a JSON array, for scripts")
    list_cmd.set_defaults(run=cmd_list)

    build = sub.add_parser("build", help="build images, parents first (all when none named)")
    build.add_argument("images", nargs="*", metavar="IMAGE", help="catalog names (see `list`)")
    build.add_argument("--force", action="store_true", help="rebuild even when inputs are unchanged")
    build.add_argument("--no-cache", action="store_true", help="do not use the layer cache")
    build.add_argument("--verbose", "-v", action="store_true", help="show build output")
    build.add_argument("--ca-bundle", type=Path, help="CA bundle for HTTPS inside builds")
    build.add_argument("--base-image", help="build on this image instead of the Debian root image")
    build.add_argument("--jobs", "-j", type=int, default=2, help="independent images built at once")
    build.add_argument("--series", help="build the components' releases of this OpenStack series, "
                                        "tagged SERIES (images/catalog.toml `releases`)")
    source = build.add_argument_group("source of the component (one image only)")
    source.add_argument("--version", help="a PyPI release (default: the catalog's)")
    source.add_argument("--repo", help="a git repository URL (default: the catalog's)")
    source.add_argument("--ref", help="branch, tag, sha or refs/changes/NN/NNNNN/P of --repo")
    source.add_argument("--local", type=Path, help="a local checkout, uncommitted changes included")
    source.add_argument("--tag", help="tag the image so instead of the catalog's tag")
    build.set_defaults(run=cmd_build)

    lock_cmd = sub.add_parser("lock", help="regenerate the lock files of component images")
    lock_cmd.add_argument("images", nargs="*", metavar="IMAGE", help="component images (default: all)")
    lock_cmd.add_argument("--series", help="lock the releases `releases` names for this OpenStack series "
                                           "(locks/SERIES/; default: each image's own series)")
    lock_cmd.add_argument("--upper-constraints", type=Path,
                      help="OpenStack's upper constraints of the series (default: ../shared/reference)")
    lock_cmd.set_defaults(run=cmd_lock)

    pub = sub.add_parser("publish", help="push built images with the tags of an event")
    pub.add_argument("images", nargs="*", metavar="IMAGE", help="catalog names (default: all)")
    add_event_arguments(pub)
    add_target_arguments(pub)
    pub.add_argument("--from", dest="source", help="tag or digest to promote (release events)")
    pub.set_defaults(run=cmd_publish)

    ci_cmd = sub.add_parser("ci", help="plan, build, test and publish for a CI event")
    add_event_arguments(ci_cmd)
    ci_cmd.add_argument("--base", help="revision a change is compared with (default: merge base)")
    ci_cmd.add_argument("--dry-run", action="store_true", help="print the plan as JSON and stop")
    add_target_arguments(ci_cmd)
    ci_cmd.add_argument("--from", dest="source", help="tag or digest to promote (release events)")
    ci_cmd.add_argument("--jobs", "-j", type=int, default=2, help="independent images built at once")
    ci_cmd.add_argument("--test-command", default=shlex.join(ci.PYTEST),
                        help="the test suite to run after the build (default: pytest)")
    ci_cmd.set_defaults(run=cmd_ci)

    lint_cmd = sub.add_parser("lint", help="hadolint, shellcheck and the conformance rules")
    lint_cmd.add_argument("images", nargs="*", metavar="IMAGE", help="catalog names (default: all)")
    lint_cmd.set_defaults(run=cmd_lint)

    up = sub.add_parser("up", help="build what is missing, start the stack, wait until healthy")
    up.add_argument("--timeout", type=int, default=900, help="seconds to wait for health")
    up.set_defaults(run=cmd_up)
    down = sub.add_parser("down", help="stop and remove the stack")
    down.add_argument("--volumes", "-v", action="store_true", help="remove its data too")
    down.set_defaults(run=cmd_down)
    status = sub.add_parser("status", help="the stack's services and their health")
    status.add_argument("--json", action="store_true",
                        help="print each service's state, health and problem as JSON, for scripts")
    status.set_defaults(run=cmd_status)
    logs = sub.add_parser("logs", help="the log of one service of the stack")
    logs.add_argument("service", help="a service of the stack (see `status`)")
    logs.add_argument("--follow", "-f", action="store_true", help="keep printing as it logs")
    logs.set_defaults(run=cmd_logs)
    sub.add_parser("smoke", help="the smoke test against the running stack").set_defaults(run=cmd_smoke)
    back = sub.add_parser("backup", help="the running stack's data into one archive file, online")
    back.add_argument("archive", nargs="?", type=Path,
                      help="the file to write (default: backups/monasca-TIME.tar in the checkout)")
    back.set_defaults(run=cmd_backup)
    rest = sub.add_parser("restore", help="a backup archive into a running stack that holds no data yet")
    rest.add_argument("archive", type=Path, help="a file `backup` wrote")
    rest.add_argument("--timeout", type=int, default=900, help="seconds to wait for health after it")
    rest.set_defaults(run=cmd_restore)

    clu = sub.add_parser("cluster", help="a cluster of node containers on this engine (Kubernetes or Swarm)")
    clu.add_argument("action", choices=("up", "down", "status"), help="start, remove or show the cluster")
    clu.add_argument("--kind", choices=cluster.KINDS, default="k8s", help="Kubernetes (default) or Swarm")
    clu.add_argument("--nodes", type=int, default=3, help="nodes to start (up)")
    clu.set_defaults(run=cmd_cluster)

    info = sub.add_parser("info", help="labels and /VERSIONS of a built image")
    info.add_argument("image", help="a catalog name (see `list`)")
    info.set_defaults(run=cmd_info)

    doc = sub.add_parser("doctor", help="check the engine, plugins, disk and HTTPS in builds")
    doc.add_argument("--ca-bundle", type=Path, help="the CA bundle builds would use (default: the host's)")
    doc.set_defaults(run=cmd_doctor)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except UserError as exc:
        print(f"monasca-docker: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
