"""Thin adapter over the `docker` CLI: the only module that runs it."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import UserError

CHUNK = 1 << 20            # bytes copied at a time through pipe()
SETUP_HINT = "run scripts/setup-engine (as root) to install and start one"


def docker(*args: str, capture: bool = True, config: Path | None = None, env: dict[str, str] | None = None,
           host: str | None = None, **kwargs) -> subprocess.CompletedProcess:
    """Run the docker CLI; `config` is a DOCKER_CONFIG folder (credentials) to use,
    `env` variables added to the environment, `host` another engine's
    DOCKER_HOST (a cluster node's) instead of this one."""
    if shutil.which("docker") is None:
        raise UserError(f"the docker CLI is not installed: {SETUP_HINT}")
    env = {**os.environ, "DOCKER_BUILDKIT": "1", **(env or {})}
    if config is not None:
        env["DOCKER_CONFIG"] = str(config)
    if host is not None:
        env["DOCKER_HOST"] = host
    return subprocess.run(["docker", *args], text=True, env=env,
                          capture_output=capture, **kwargs)


def require_engine() -> str:
    """The engine's version; a clear error when none answers."""
    result = docker("version", "--format", "{{.Server.Version}}")
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["no answer"])[-1]
        raise UserError(f"no Docker engine answers ({detail}): {SETUP_HINT}")
    return result.stdout.strip()


def inspect_image(ref: str) -> dict | None:
    """`docker image inspect` of ref, or None when the image does not exist."""
    result = docker("image", "inspect", ref)
    if result.returncode != 0:
        return None
    return json.loads(result.stdout)[0]


def image_labels(ref: str) -> dict[str, str]:
    return labels_of(inspect_image(ref))


def labels_of(info: dict | None) -> dict[str, str]:
    """The labels of an inspect_image result ({} for a missing image or one without labels)."""
    return (info or {}).get("Config", {}).get("Labels") or {}


def build(context: Path, tag: str, *, build_args: dict[str, str], labels: dict[str, str],
          secrets: dict[str, Path], no_cache: bool = False, log=None) -> None:
    args = ["build", "--tag", tag, "--progress", "plain"]
    for key, value in build_args.items():
        args += ["--build-arg", f"{key}={value}"]
    for key, value in labels.items():
        args += ["--label", f"{key}={value}"]
    for key, path in secrets.items():
        args += ["--secret", f"id={key},src={path}"]
    if no_cache:
        args.append("--no-cache")
    _run_logged(args + [str(context)], log, f"building {tag} failed")


def import_rootfs(tarball: Path, tag: str, *, labels: dict[str, str], log=None) -> None:
    args = ["import", "--change", 'CMD ["bash"]']
    for key, value in labels.items():
        args += ["--change", f"LABEL {key}={json.dumps(value)}"]
    _run_logged(args + [str(tarball), tag], log, f"importing {tag} failed")


def _run_logged(args: list[str], log, failure: str) -> None:
    """Run docker with its output going to `log` (a file) or to our stdout."""
    result = docker(*args, capture=False, stdout=log, stderr=subprocess.STDOUT)
    if result.returncode == 0:
        return
    message = f"{failure} (exit {result.returncode})"
    if log is not None:
        log.flush()
        tail = Path(log.name).read_text(errors="replace").splitlines()[-15:]
        message += "; last lines of " + log.name + ":\n  " + "\n  ".join(tail)
    raise UserError(message)


def run_image(ref: str, *args: str) -> str:
    """Output of `docker run --rm ref args...`."""
    result = docker("run", "--rm", ref, *args)
    if result.returncode != 0:
        raise UserError(f"docker run {ref} {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def versions() -> dict[str, str]:
    """Versions of the engine, CLI and plugins ('missing' where absent)."""
    def first_line(*args):
        result = docker(*args)
        return result.stdout.strip().splitlines()[0] if result.returncode == 0 and result.stdout.strip() else "missing"
    return {
        "engine": first_line("version", "--format", "{{.Server.Version}}"),
        "client": first_line("version", "--format", "{{.Client.Version}}"),
        "compose": first_line("compose", "version", "--short"),
        "buildx": first_line("buildx", "version"),
    }


def compose_args(project: str, files: list[Path], env_file: Path) -> list[str]:
    """`docker compose` on one project: its files (each read over the one before;
    the first one's folder is the project directory) and its env file."""
    return ["compose", "--project-name", project, "--project-directory", str(files[0].parent),
            *[arg for file in files for arg in ("--file", str(file))], "--env-file", str(env_file)]


def compose(project: str, files: list[Path], env_file: Path, *args: str, capture: bool = False,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`docker compose` (compose_args) with `args`; `env` adds variables the files interpolate."""
    return docker(*compose_args(project, files, env_file), *args, capture=capture, env=env)


def pipe(*args: str, source=None, sink=None, env: dict[str, str] | None = None) -> tuple[int, str]:
    """A docker command fed from `source` and writing to `sink` (binary file
    objects; None: nothing): its exit status and its stderr."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(["docker", *args], env={**os.environ, **(env or {})}, stderr=errors,
                                   stdin=subprocess.PIPE if source else subprocess.DEVNULL,
                                   stdout=subprocess.PIPE if sink else subprocess.DEVNULL)
        if source:
            try:
                shutil.copyfileobj(source, process.stdin, CHUNK)
                process.stdin.close()
            except BrokenPipeError:     # it stopped reading: its status and stderr say why
                pass
        if sink:
            shutil.copyfileobj(process.stdout, sink, CHUNK)
        status = process.wait()
        errors.seek(0)
        return status, errors.read().decode(errors="replace")


def container_labels(selector: str, label: str) -> set[str]:
    """The values of `label` on every container (running or not) that has the label `selector`."""
    result = docker("ps", "--all", "--filter", f"label={selector}", "--format", f'{{{{.Label "{label}"}}}}')
    return set(result.stdout.split())


def run_attached(*args: str, env: dict[str, str] | None = None) -> int:
    """A docker command whose output goes to ours: its exit status. `env` is
    for values (passwords) that `-e NAME` hands on without putting them in argv."""
    return docker(*args, capture=False, env=env).returncode


def remove_image(ref: str) -> None:
    docker("image", "rm", "--force", ref)


def root_dir() -> str:
    """Where the engine keeps images (for disk space checks)."""
    return docker("info", "--format", "{{.DockerRootDir}}").stdout.strip() or "/"


def login(registry: str, user: str, password: str, config: Path) -> None:
    """Store credentials in the DOCKER_CONFIG folder `config` (password via stdin)."""
    result = docker("login", "--username", user, "--password-stdin", registry,
                    config=config, input=password)
    if result.returncode == 0:
        return
    detail = (result.stderr.strip().splitlines() or ["no output"])[-1]
    if re.search(r"unauthorized|incorrect|denied", detail, re.I):
        raise UserError(f"{registry} refused the credentials of {user} ({detail})")
    raise UserError(f"docker login {registry} as {user} failed: {detail}")


def push(local: str, target: str, config: Path | None = None) -> str:
    """Tag local as target, push it, return the pushed manifest digest."""
    result = docker("tag", local, target)
    if result.returncode != 0:
        raise UserError(f"docker tag {local} {target} failed: {result.stderr.strip()}")
    result = docker("push", target, config=config)
    if result.returncode != 0:
        detail = (result.stderr.strip() or result.stdout.strip()).splitlines()[-1:]
        raise UserError(f"pushing {target} was refused: {' '.join(detail)} "
                        f"(credentials: MONASCA_REGISTRY_USER/MONASCA_REGISTRY_PASSWORD or docker login)")
    found = re.search(r"digest: (sha256:[0-9a-f]{64})", result.stdout)
    if not found:
        raise UserError(f"pushing {target} reported no digest")
    return found.group(1)


def copy_images(refs: list[str], hosts: list[str]) -> None:
    """Copy images from this engine to the engines at `hosts` (DOCKER_HOST
    URLs): one `docker save` stream fed to every host's `docker load`, so
    nothing is written to disk and no registry is needed."""
    loads = [subprocess.Popen(["docker", "load", "--quiet"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              env={**os.environ, "DOCKER_HOST": host}) for host in hosts]
    save = subprocess.Popen(["docker", "save", *refs], stdout=subprocess.PIPE)
    while chunk := save.stdout.read(1 << 20):
        for load in loads:
            load.stdin.write(chunk)
    for load in loads:
        load.stdin.close()
    if save.wait() != 0 or any(load.wait() != 0 for load in loads):
        raise UserError("copying the images failed (docker save | docker load): see above")


def run(*args: str, stdin: str | None = None) -> str:
    """Any docker command; its output, or a UserError naming the command and its last error line."""
    result = docker(*args, input=stdin)
    if result.returncode != 0:
        lines = [line for line in (result.stderr + result.stdout).splitlines()
                 if line.strip() and not line.startswith("Run 'docker")]
        raise UserError(f"docker {' '.join(args[:3])} failed: {(lines or ['no output'])[-1]}")
    return result.stdout
