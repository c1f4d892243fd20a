"""`monasca-docker backup` and `restore`: the compose stack's data in one archive file.

The archive is a tar of these parts, manifest.json first:

  manifest.json      the archive's format, times, the stack's images, each part's size and sha256
  keystone-keys.tar  Keystone's fernet and credential keys
  mysql.sql.gz       the mon and keystone databases (mariadb-dump --single-transaction)
  influxdb.tar       the metrics database, the alarms' state history in it (influxd backup -portable)
  opensearch.tar     the snapshot repository, holding one snapshot of the logs-* indices

`backup` runs while the stack serves. `restore` reads the whole archive and
looks at the target stack before it changes anything; then it puts every part
back into a stack that holds none of that data (fresh after `down
--volumes`, or on another machine) and brings the stack up again. The
archive holds password hashes and keys: it is readable by its owner only.
"""
from __future__ import annotations

import datetime
import gzip
import hashlib
import io
import json
import shutil
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import __version__, engine, labels, stack
from .errors import UserError

FORMAT = 1                      # of the archive: a newer one is refused
MANIFEST = "manifest.json"
BACKUPS = Path("backups")       # the default folder, in the checkout
METRICS_DATABASE = "mon"
INFLUX_SCRATCH = "/var/lib/monasca/influxdb/backup"     # on InfluxDB's volume: as large as the backup
SNAPSHOTS = "/var/lib/monasca/opensearch/snapshots"     # path.repo of monasca/opensearch
# MariaDB's root, its password from the mysql container's own environment.
AS_ROOT = 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD" exec'
# Stopped while a restore replaces their data (memcached: what Keystone cached); `up` starts them again.
WRITERS = ("persister", "log-persister", "thresh", "notification", "keystone", "memcached")
STORES = ("mysql", "influxdb", "opensearch", "keystone")
# Does the API image know a schema revision of the archive? (upstream's
# migrations are named <revision>_<slug>.py)
KNOWN_REVISION = ("import pathlib, sys, monasca_api; "
                  "folder = pathlib.Path(monasca_api.__file__).parent / 'db' / 'alembic' / 'versions'; "
                  "sys.exit(0 if any(folder.glob(sys.argv[1] + '_*.py')) else 3)")


@dataclass(frozen=True)
class Part:
    name: str
    service: str
    save: str       # shell, in the service's container: the part on stdout
    load: str       # shell, in the service's container: the part from stdin


PARTS = (
    Part("keystone-keys.tar", "keystone",
         "tar -C /var/lib/monasca/keystone -c fernet-keys credential-keys",
         "cd /var/lib/monasca/keystone && rm -rf fernet-keys credential-keys && tar -x"),
    Part("mysql.sql.gz", "mysql",
         f"{AS_ROOT} mariadb-dump --user=root --single-transaction --routines --triggers "
         f"--databases mon keystone",
         f"{AS_ROOT} mariadb --user=root"),
    # The admin's name and password come as INFLUX_USERNAME and INFLUX_PASSWORD (influx reads them).
    Part("influxdb.tar", "influxdb",
         f"rm -rf {INFLUX_SCRATCH} && influxd backup -portable -database {METRICS_DATABASE} -host 127.0.0.1:8088 "
         f"{INFLUX_SCRATCH} >&2 && tar -C {INFLUX_SCRATCH} -c . && rm -rf {INFLUX_SCRATCH}",
         f"rm -rf {INFLUX_SCRATCH} && mkdir {INFLUX_SCRATCH} && tar -x -C {INFLUX_SCRATCH} "
         f"&& influx -execute 'DROP DATABASE \"{METRICS_DATABASE}\"' "
         f"&& influxd restore -portable -db {METRICS_DATABASE} -host 127.0.0.1:8088 {INFLUX_SCRATCH} >&2 "
         f"&& rm -rf {INFLUX_SCRATCH}"),
    Part("opensearch.tar", "opensearch",
         f"snapshot create {{snapshot}} >&2 && tar -C {SNAPSHOTS} -c . && snapshot delete {{snapshot}} >&2",
         f"snapshot forget && rm -rf {SNAPSHOTS}/* && tar -x -C {SNAPSHOTS} && snapshot restore {{snapshot}} >&2 "
         f"&& snapshot delete {{snapshot}} >&2"),
)


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def sha256(stream) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(engine.CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


def influx_admin(root: Path) -> dict[str, str]:
    """InfluxDB's admin as the `influx` shell reads it from its environment."""
    return {"INFLUX_USERNAME": "admin", "INFLUX_PASSWORD": stack.env_values(root)["INFLUXDB_ADMIN_PASSWORD"]}


def exec_in(root: Path, service: str, *command: str, env: dict[str, str] | None = None,
            source=None, sink=None) -> tuple[int, str]:
    """A command in a service's running container, binary in and out: (status, stderr).
    `env`'s values reach it by name (`-e NAME`), never on a command line."""
    env = env or {}
    return stack.compose_pipe(root, "exec", "-T", *[arg for name in env for arg in ("-e", name)], service,
                              *command, source=source, sink=sink, env=env)


def in_service(root: Path, part: Part, script: str, *, source=None, sink=None) -> None:
    """Run a part's shell script in its service's container; a UserError naming the part when it fails."""
    # InfluxDB's admin is what the restore's DROP DATABASE needs; the other parts need nothing of monasca.env.
    env = influx_admin(root) if part.service == "influxdb" else None
    status, errors = exec_in(root, part.service, "sh", "-c", script, env=env, source=source, sink=sink)
    if status != 0:
        raise UserError(f"{part.name} ({part.service}) failed with status {status}: "
                        f"{errors.strip()[-800:] or 'no message'}")


def output(root: Path, service: str, *command: str, env: dict[str, str] | None = None) -> list[str]:
    """The lines a command prints in a service's container; a UserError with its error otherwise."""
    with tempfile.TemporaryFile() as sink:
        status, errors = exec_in(root, service, *command, env=env, sink=sink)
        sink.seek(0)
        out = sink.read().decode()
    if status != 0:
        raise UserError(f"{service} did not answer `{' '.join(command)}`: {errors.strip()[-500:]}")
    return out.splitlines()


def query_mysql(root: Path, sql: str) -> list[str]:
    """The rows of a query to MariaDB as its root, tab-separated."""
    return output(root, "mysql", "sh", "-c", f"{AS_ROOT} mariadb --user=root --batch --skip-column-names -e '{sql}'")


def require_running(root: Path, services: tuple[str, ...]) -> None:
    states = {s["service"]: s["state"] for s in stack.service_states(root)}
    stopped = [name for name in services if states.get(name) != "running"]
    if stopped:
        raise UserError(f"the stack's {', '.join(stopped)} {'is' if len(stopped) == 1 else 'are'} not running: "
                        f"start the stack with `monasca-docker up`")


def image_facts(root: Path) -> dict[str, dict]:
    """Each running service's image: reference, id, and the release it packages."""
    facts = {}
    for record in stack.compose_ps(root):
        info = engine.inspect_image(record["Image"]) or {}
        found = engine.labels_of(info)
        facts[record["Service"]] = {"image": record["Image"], "id": info.get("Id", ""),
                                    "version": found.get(labels.OCI + "version", ""),
                                    "built_by": found.get(labels.VERSION_LABEL, "")}
    return facts


# --- backup --------------------------------------------------------------------------


def backup(root: Path, archive: Path | None) -> int:
    stack.check_owner(root)
    require_running(root, STORES)
    started, clock = now(), time.monotonic()
    stamp = started.replace(":", "").replace("-", "")          # 20261207T105821Z
    archive = archive or root / BACKUPS / f"monasca-{stamp}.tar"
    if archive.exists():
        raise UserError(f"{archive} exists: name another file, or move that one away")
    archive.parent.mkdir(parents=True, exist_ok=True)
    snapshot = f"monasca-{stamp.lower()}"       # OpenSearch's snapshot names are lowercase
    staging = archive.with_name(archive.name + ".parts")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(mode=0o700)
    try:
        schema = query_mysql(root, "SELECT version_num FROM mon.alembic_version")
        parts = {}
        for part in PARTS:
            parts[part.name] = save_part(root, part, staging / part.name, snapshot)
        manifest = {"format": FORMAT, "made_by": f"monasca-docker {__version__}", "started": started,
                    "finished": now(), "snapshot": snapshot, "mon_schema": schema[0] if schema else "",
                    "images": image_facts(root), "parts": parts}
        write_archive(archive, manifest, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    print(f"backup: {archive} ({megabytes(archive.stat().st_size)}) in {time.monotonic() - clock:.1f} s; it holds "
          f"what the stack stored before {started}, each part a consistent copy taken by {manifest['finished']}")
    return 0


def save_part(root: Path, part: Part, path: Path, snapshot: str) -> dict:
    print(f"backup: {part.name} from {part.service} ...", flush=True)
    clock = time.monotonic()
    with path.open("wb") as file:
        if part.name.endswith(".gz"):
            with gzip.GzipFile(fileobj=file, mode="wb", compresslevel=6) as packed:
                in_service(root, part, part.save.format(snapshot=snapshot), sink=packed)
        else:
            in_service(root, part, part.save.format(snapshot=snapshot), sink=file)
    with path.open("rb") as file:
        digest = sha256(file)
    size = path.stat().st_size
    print(f"backup: {part.name} {megabytes(size)} in {time.monotonic() - clock:.1f} s", flush=True)
    return {"bytes": size, "sha256": digest}


def write_archive(archive: Path, manifest: dict, staging: Path) -> None:
    """The tar, manifest first, made under another name and renamed when whole."""
    partial = archive.with_name(archive.name + ".partial")
    try:
        with partial.open("wb") as file:
            partial.chmod(0o600)
            with tarfile.open(fileobj=file, mode="w", format=tarfile.PAX_FORMAT) as tar:
                data = json.dumps(manifest, indent=1).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
                tar.addfile(info, fileobj=io.BytesIO(data))
                for part in PARTS:
                    tar.add(staging / part.name, arcname=part.name)
        partial.replace(archive)
    finally:
        partial.unlink(missing_ok=True)


# --- restore -------------------------------------------------------------------------


def read_manifest(archive: Path) -> dict:
    """The manifest of a whole and unchanged archive this version can restore;
    a UserError naming what is wrong otherwise. Reads every byte."""
    if not archive.is_file():
        raise UserError(f"no backup archive at {archive}")
    try:
        with tarfile.open(archive, mode="r:") as tar:
            try:
                manifest = json.load(tar.extractfile(MANIFEST))
            except KeyError:
                raise UserError(f"{archive} is no monasca-docker backup: it has no {MANIFEST}") from None
            check_format(archive, manifest)
            for part in PARTS:
                want = manifest["parts"].get(part.name)
                try:
                    member = tar.getmember(part.name)
                except KeyError:
                    raise UserError(f"{archive} is incomplete: {part.name} is missing") from None
                got = {"bytes": member.size, "sha256": sha256(tar.extractfile(member))}
                if want != got:
                    raise UserError(f"{archive} is damaged: {part.name} has {got['bytes']} bytes, sha256 "
                                    f"{got['sha256'][:12]}, the manifest says {want}; restore from another copy")
    except (tarfile.TarError, EOFError, OSError, ValueError, AttributeError) as exc:
        raise UserError(f"{archive} is damaged or no backup archive ({exc}); restore from another copy") from None
    return manifest


def check_format(archive: Path, manifest: dict) -> None:
    if not isinstance(manifest, dict) or not isinstance(manifest.get("parts"), dict):
        raise UserError(f"{archive}: its {MANIFEST} is not a backup's manifest")
    made = manifest.get("format")
    if not isinstance(made, int) or made > FORMAT:
        raise UserError(f"{archive} was made by a newer monasca-docker ({manifest.get('made_by')}, archive format "
                        f"{made}; this one reads format {FORMAT}): restore it with that version")


def check_target(root: Path, manifest: dict) -> None:
    """Refuse a stack that holds data, or whose API does not know the archive's schema."""
    defs, methods = query_mysql(root, "SELECT (SELECT COUNT(*) FROM mon.alarm_definition), "
                                      "(SELECT COUNT(*) FROM mon.notification_method)")[0].split("\t")
    indices = output(root, "opensearch", "snapshot", "indices")
    held = [f"{count} {what}" for count, what in ((int(defs), "alarm definitions"),
                                                   (int(methods), "notification methods"),
                                                   (len(indices), "log indices")) if count]
    if held:
        raise UserError(f"the stack already holds data ({', '.join(held)}): a restore goes into a stack without "
                        f"any; `monasca-docker down --volumes && monasca-docker up` first (that deletes it)")
    revision = manifest.get("mon_schema", "")
    api_image = stack.compose_config(root)["services"]["mon-db-upgrade"]["image"]
    known = engine.docker("run", "--rm", "--entrypoint", "python3", api_image, "-c", KNOWN_REVISION, revision)
    if known.returncode not in (0, 3):
        raise UserError(f"cannot read the migrations of {api_image}: {known.stderr.strip()[-500:]}")
    if revision and known.returncode == 3:
        raise UserError(f"the archive's Monasca schema {revision} is newer than {api_image} knows: restore it "
                        f"into a stack of the release that made it ({manifest.get('images', {}).get('api', {})})")


def restore(root: Path, archive: Path, timeout: int) -> int:
    stack.check_owner(root)
    clock = time.monotonic()
    print(f"restore: checking {archive} ...", flush=True)
    manifest = read_manifest(archive)
    require_running(root, STORES)
    check_target(root, manifest)
    print(f"restore: the backup of {manifest['started']} (made by {manifest['made_by']})", flush=True)
    with tarfile.open(archive, mode="r:") as tar:
        keys, *data = PARTS
        load_part(root, keys, tar, manifest)      # Keystone reads its keys at each token: while it runs
        result = stack.compose(root, "stop", *WRITERS, capture=True)
        if result.returncode != 0:
            raise UserError(f"cannot stop {', '.join(WRITERS)}: {result.stderr.strip()}")
        try:
            for part in data:
                load_part(root, part, tar, manifest)
        except UserError as exc:
            raise UserError(f"{exc}\nThe stack's data is now partly restored: `monasca-docker down --volumes`, "
                            f"`monasca-docker up`, then restore again") from None
    print("restore: starting the stack again (the init jobs grant the users on the restored data) ...", flush=True)
    stack.up(root, timeout)
    print(f"restore: {archive} restored in {time.monotonic() - clock:.1f} s")
    return 0


def load_part(root: Path, part: Part, tar: tarfile.TarFile, manifest: dict) -> None:
    print(f"restore: {part.name} into {part.service} ...", flush=True)
    clock = time.monotonic()
    source = tar.extractfile(part.name)
    if part.name.endswith(".gz"):
        source = gzip.GzipFile(fileobj=source, mode="rb")
    in_service(root, part, part.load.format(snapshot=manifest["snapshot"]), source=source)
    print(f"restore: {part.name} {megabytes(manifest['parts'][part.name]['bytes'])} in "
          f"{time.monotonic() - clock:.1f} s", flush=True)
