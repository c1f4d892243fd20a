"""`monasca-docker up/down/status/logs/smoke`: the single-node stack on Docker Compose."""
from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from . import build as builder
from . import catalog, engine
from .errors import UserError

PROJECT = "monasca"
COMPOSE_DIR = Path("deploy") / "compose"
ENV_FILE = "monasca.env"           # the user's passwords; made from the example once
ENV_EXAMPLE = "monasca.env.example"
PLACEHOLDER = "generate"           # a value `up` replaces with a random password


def compose_dir(root: Path) -> Path:
    return root / COMPOSE_DIR


def compose(root: Path, *args: str, capture: bool = False, overrides: tuple[Path, ...] = (),
            host: str | None = None) -> subprocess.CompletedProcess:
    """Compose on the stack's file (with `overrides` over it). Keystone's public
    endpoints are at `host`: by default where this host reaches the published ports."""
    return engine.compose(PROJECT, [compose_dir(root) / "docker-compose.yml", *overrides], ensure_env_file(root),
                          *args, capture=capture,
                          env={"MONASCA_PUBLIC_HOST": host or public_host(env_values(root))})


def compose_pipe(root: Path, *args: str, source=None, sink=None, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Compose (as `compose`) with binary input from `source` and output to `sink`:
    engine.pipe's (status, stderr). `env` is for values `-e NAME` hands on."""
    files = [compose_dir(root) / "docker-compose.yml"]
    return engine.pipe(*engine.compose_args(PROJECT, files, ensure_env_file(root)), *args, source=source, sink=sink,
                       env={"MONASCA_PUBLIC_HOST": public_host(env_values(root)), **(env or {})})


def compose_config(root: Path, overrides: tuple[Path, ...] = (), host: str | None = None) -> dict:
    """The compose file as Compose reads it: interpolated, defaults filled in."""
    result = compose(root, "config", "--format", "json", capture=True, overrides=overrides, host=host)
    if result.returncode != 0:
        raise UserError(f"Compose cannot read the stack's files: {result.stderr.strip()}")
    return json.loads(result.stdout)


def ensure_env_file(root: Path) -> Path:
    """The env file, made on first use from the example with fresh random passwords.

    A setting the example gained since (a new service user's password, say)
    is appended to an existing file, generated the same way; nothing in the
    file is changed.
    """
    folder = compose_dir(root)
    env_file = folder / ENV_FILE
    example = (folder / ENV_EXAMPLE).read_text() if (folder / ENV_EXAMPLE).exists() else ""
    if not env_file.exists():
        env_file.write_text(generated(example))
        env_file.chmod(0o600)
        print(f"wrote {env_file.relative_to(root)} with new random passwords (change them there)")
        return env_file
    text = env_file.read_text()
    have = set(re.findall(r"^\s*([A-Za-z_][A-Za-z0-9_]*)=", text, re.MULTILINE))
    missing = [line for line in example.splitlines()
               if re.match(r"[A-Za-z_][A-Za-z0-9_]*=", line) and line.split("=", 1)[0] not in have]
    if missing:
        with env_file.open("a") as stream:
            stream.write(("" if text.endswith("\n") or not text else "\n") + generated("\n".join(missing) + "\n"))
        print(f"added {', '.join(line.split('=', 1)[0] for line in missing)} to {env_file.relative_to(root)}")
    return env_file


def generated(text: str) -> str:
    """text with every `=generate` replaced by a fresh random password."""
    return re.sub(rf"=({PLACEHOLDER})$", lambda _: "=" + secrets.token_urlsafe(18), text, flags=re.MULTILINE)


def env_values(root: Path) -> dict[str, str]:
    """The stack's settings as Compose sees them: the shell environment overrides the file."""
    values = {}
    for line in ensure_env_file(root).read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            values[key.strip()] = os.environ.get(key.strip(), value.strip())
    return values


def public_host(values: dict[str, str]) -> str:
    """Where this host reaches the published ports, as a URL's host part.

    A local engine publishes on MONASCA_BIND (a wildcard is reached on the
    loopback); a remote engine (DOCKER_HOST tcp:// or ssh://, a
    Docker-in-Docker engine among them) publishes on its own host.
    """
    engine = urlsplit(os.environ.get("DOCKER_HOST", ""))
    bind = values.get("MONASCA_BIND", "127.0.0.1")
    host = engine.hostname if engine.scheme in ("tcp", "ssh") else bind
    host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    return f"[{host}]" if ":" in host else host


def endpoints(values: dict[str, str]) -> dict[str, str]:
    """The URLs of the published services, as seen from this host: the
    public endpoints of Keystone's catalog (the compose file makes them of
    the same host and ports)."""
    host = public_host(values)
    return {"api": f"http://{host}:{values.get('MONASCA_API_PORT', '8070')}/v2.0",
            "keystone": f"http://{host}:{values.get('KEYSTONE_PORT', '5000')}/v3",
            "log_api": f"http://{host}:{values.get('MONASCA_LOG_API_PORT', '5607')}/v2.0"}


def stack_images(root: Path) -> list[str]:
    """Catalog names of the images the compose file runs (whatever their tag)."""
    repositories = {service["image"].rsplit(":", 1)[0] for service in compose_config(root)["services"].values()}
    return [img.name for img in catalog.load(root).values() if img.repository in repositories]


def component_series(root: Path) -> str | None:
    """The OpenStack series whose component images the stack runs (MONASCA_COMPONENT_TAG), None for latest."""
    tag = env_values(root).get("MONASCA_COMPONENT_TAG", "latest")
    return None if tag == "latest" else tag


def owners() -> set[str]:
    """The compose folders that the project's existing containers were started from."""
    return engine.container_labels(f"com.docker.compose.project={PROJECT}", "com.docker.compose.project.working_dir")


def check_owner(root: Path) -> None:
    """Refuse to drive a stack another checkout started: its passwords are in that checkout."""
    foreign = owners() - {str(compose_dir(root))}
    if foreign:
        raise UserError(f"a {PROJECT} stack started from {', '.join(sorted(foreign))} exists: "
                        f"run `monasca-docker down` in that checkout first")


def build_images(names: list[str], purpose: str, series: str | None = None) -> None:
    """Build what is missing of these images (their releases of `series`, if
    given); a UserError naming each that did not build."""
    failed = [o for o in builder.build(builder.Options(names=names, series=series))
              if o.status in ("failed", "skipped")]
    if failed:
        raise UserError(f"cannot {purpose}: " + "; ".join(f"{o.image}: {o.error}" for o in failed))


def up(root: Path, timeout: int) -> int:
    check_owner(root)
    ensure_env_file(root)
    build_images(stack_images(root), "start the stack", component_series(root))
    build_images(["client"], "run the client image as `up` prints it")
    result = compose(root, "up", "--detach", "--wait", "--wait-timeout", str(timeout),
                     overrides=start_checks(root))
    if result.returncode != 0:
        unwell = problems(root)
        if not unwell:      # compose refused before anything ran: its own error is above
            raise UserError("`docker compose up` failed: its message above says why")
        print(compose(root, "ps", "--all", capture=True).stdout, file=sys.stderr)
        raise UserError(f"the stack is not healthy ({'; '.join(unwell)}): "
                        f"`monasca-docker logs SERVICE` shows why")
    print(ready_message(root, env_values(root)))
    return 0


def start_checks(root: Path) -> tuple[Path, ...]:
    """On an engine that has it (Docker 25, API 1.44), an override checking each
    service every 2 s while it starts, so `up --wait` sees it healthy as soon as
    it is, not at the first 30 s check; Compose refuses the key on older engines."""
    api = engine.docker("version", "--format", "{{.Server.APIVersion}}").stdout.strip()
    if tuple(int(part) for part in api.split(".") if part.isdigit()) < (1, 44):
        return ()
    services = {name: {"healthcheck": {"start_interval": "2s"}}
                for name, service in compose_config(root)["services"].items()
                if "healthcheck" in service and not service["healthcheck"].get("disable")}
    override = root / "build" / "compose-start-checks.json"
    override.parent.mkdir(parents=True, exist_ok=True)
    written = override.with_suffix(f".{os.getpid()}")     # renamed whole: another `up` may read it
    written.write_text(json.dumps({"services": services}, indent=1) + "\n")
    written.replace(override)
    return (override,)


def ready_message(root: Path, values: dict[str, str]) -> str:
    """What `up` prints: the addresses, and a monasca client's login on this
    host as shell lines to paste (the password read from the env file, so
    that it is in no log)."""
    urls = endpoints(values)
    client = catalog.load(catalog.project_root())["client"].ref
    return f"""
Monasca is up.
  API:      {urls['api']}
  Keystone: {urls['keystone']}
  Log API:  {urls['log_api']}
The monasca CLI (python-monascaclient) on this host, as the monasca user:
  export OS_AUTH_URL={urls['keystone']} OS_INTERFACE=public OS_USERNAME=mini-mon \\
         OS_PROJECT_NAME=mini-mon OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default
  export OS_PASSWORD="$(sed -n 's/^MONASCA_USER_PASSWORD=//p' {shlex.quote(str(ensure_env_file(root)))})"
  monasca metric-list
On the stack's network, the client image takes the internal endpoints:
  docker run --rm --pull never --network {PROJECT}_default -e OS_PASSWORD -e OS_INTERFACE=internal \\
         {client} metric-list"""


def down(root: Path, volumes: bool) -> int:
    check_owner(root)
    return compose(root, "down", *(["--volumes"] if volumes else [])).returncode


def status(root: Path, as_json: bool = False) -> int:
    """The services' table (or, as_json, their records), and exit 1 naming
    each one that is not as it should be."""
    if as_json:
        services = service_states(root)
        healthy = not any(service["problem"] for service in services)
        print(json.dumps({"healthy": healthy, "services": services}, indent=2))
        return 0 if healthy else 1
    result = compose(root, "ps", "--all")
    if result.returncode != 0:
        return result.returncode
    unwell = problems(root)
    for problem in unwell:
        print(f"not healthy: {problem}", file=sys.stderr)
    return 1 if unwell else 0


def problems(root: Path) -> list[str]:
    """"SERVICE: what is wrong" for each service that is not as it should be."""
    return [f"{s['service']}: {s['problem']}" for s in service_states(root) if s["problem"]]


def service_states(root: Path) -> list[dict]:
    """Each service of the stack, sorted by name: {service, state, health,
    exit_code, problem}, problem None when it is as it should be (_problem).
    `status --json` prints these as they are."""
    config = compose_config(root)
    states = {c["Service"]: c for c in compose_ps(root)}
    found = []
    for name, service in sorted(config.get("services", {}).items()):
        state = states.get(name, {})
        found.append({"service": name, "state": state.get("State", "not created"),
                      "health": state.get("Health") or None,
                      "exit_code": state.get("ExitCode") if state.get("State") == "exited" else None,
                      "problem": _problem(state, job=service.get("restart", "no") == "no")})
    return found


def _problem(state: dict, job: bool) -> str | None:
    """What is wrong with a service in this state ({} when not created), or None:
    a long-running one must be running and healthy (or have no health check);
    a job (restart "no") may run or have exited 0."""
    if not state:
        return None if job else "not created"
    if state["State"] == "exited":
        return f"exited with {state.get('ExitCode')}" if not job or state.get("ExitCode", 1) != 0 else None
    if state["State"] != "running":
        return state["State"]
    if state.get("Health") not in ("", "healthy"):     # unhealthy, or still starting
        return state["Health"]
    return None


def compose_ps(root: Path) -> list[dict]:
    """`docker compose ps --all` as records (one JSON array before Compose 2.21, one object a line after)."""
    out = compose(root, "ps", "--all", "--format", "json", capture=True).stdout.strip()
    if out.startswith("["):
        return json.loads(out)
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def logs(root: Path, service: str, follow: bool) -> int:
    return compose(root, "logs", *(["--follow"] if follow else []), service).returncode


def smoke(root: Path) -> int:
    """monasca/client's `monasca-smoke` on the stack's network, as the monasca
    user with the internal endpoints: token, metrics, an alarm, a log."""
    client = catalog.load(root)["client"]
    build_images([client.name], "run the smoke check")
    password = env_values(root)["MONASCA_USER_PASSWORD"]
    return engine.run_attached("run", "--rm", "--network", f"{PROJECT}_default", "--read-only", "--tmpfs", "/tmp",
                               "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
                               "--env", "OS_PASSWORD", "--env", "OS_INTERFACE=internal", client.ref, "monasca-smoke",
                               env={"OS_PASSWORD": password})
