"""monasca-version: read and write the image's build record, /VERSIONS.

Usage::

    monasca-version record [--json OBJECT] [--dist NAME]... [KEY=VALUE ...]
    monasca-version show [--json]

The record is one JSON object; ``MONASCA_VERSIONS_FILE`` overrides its path.
``record`` merges keys into it (creating the file), from KEY=VALUE pairs and
from ``--json`` (one JSON object, as the image build passes it) and from
``--dist`` (the installed version of a Python distribution, under its
name); a child image's keys join its parent's. ``show``
prints aligned ``key: value`` lines (``section.key`` for nested ones);
``--json`` prints the JSON as stored.
"""

import argparse
import importlib.metadata
import json
import os
import sys
import tempfile

DEFAULT_PATH = "/VERSIONS"


class VersionsError(Exception):
    pass


def versions_path():
    return os.environ.get("MONASCA_VERSIONS_FILE") or DEFAULT_PATH


def load(path, missing_ok=False):
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        if missing_ok:
            return {}
        raise VersionsError(f"{path} does not exist: this image has no build record") from None
    except ValueError as exc:
        raise VersionsError(f"{path} is not valid JSON: {exc}") from None
    except OSError as exc:
        raise VersionsError(f"cannot read {path}: {exc.strerror}") from None
    if not isinstance(data, dict):
        raise VersionsError(f"{path} must hold a JSON object")
    return data


def save(path, data):
    # Write beside the target and rename, so a reader never sees half a file.
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".versions-")
    except OSError as exc:
        raise VersionsError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.chmod(tmp, 0o644)  # world-readable: services run unprivileged
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def parse_pairs(pairs):
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise VersionsError(f"expected KEY=VALUE, got {pair!r}")
        result[key] = value
    return result


def parse_object(text):
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise VersionsError(f"--json is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise VersionsError("--json must be a JSON object")
    return value


def installed_versions(dists):
    """{dist: version} of installed Python distributions; an absent one is an error."""
    found = {}
    for dist in dists:
        try:
            found[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            raise VersionsError(f"--dist {dist}: not installed in this Python") from None
    return found


def record(path, pairs, extra=None):
    data = load(path, missing_ok=True)
    data.update(extra or {})
    data.update(parse_pairs(pairs))
    save(path, data)


def flatten(data, prefix=""):
    for key in sorted(data):
        value = data[key]
        if isinstance(value, dict):
            yield from flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def render(data):
    rows = list(flatten(data))
    width = max((len(key) for key, _ in rows), default=0)
    return "".join(f"{key + ':':<{width + 1}} {value}\n" for key, value in rows)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="monasca-version", description="Show or record the image's build information.")
    commands = parser.add_subparsers(dest="command", required=True)
    rec = commands.add_parser("record", help="merge KEY=VALUE pairs into the record")
    rec.add_argument("--json", dest="json_object", default="{}",
                     help="a JSON object to merge as well")
    rec.add_argument("--dist", action="append", default=[],
                     help="record the installed version of this distribution")
    rec.add_argument("pairs", nargs="*", metavar="KEY=VALUE")
    show = commands.add_parser("show", help="print the record")
    show.add_argument("--json", action="store_true", help="print the JSON as stored")
    args = parser.parse_args(argv)
    path = versions_path()
    try:
        if args.command == "record":
            extra = {**parse_object(args.json_object), **installed_versions(args.dist)}
            record(path, args.pairs, extra)
        elif args.json:
            print(json.dumps(load(path), indent=2, sort_keys=True))
        else:
            sys.stdout.write(render(load(path)))
    except VersionsError as exc:
        print(f"monasca-version: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
