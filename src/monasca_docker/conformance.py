"""The project's own rules that keep every image folder alike.

Each rule is a function of one image folder that returns the problems it
finds (an empty list when the folder conforms). Pure: reads files only.
"""
from __future__ import annotations

import re
from pathlib import Path

import docutils.core
import docutils.utils
import jinja2.meta
import yaml
from monasca_toolkit.templer import environment_for

from .catalog import Image

START_SCRIPT = "start.sh"
# Variables that templates take from templer itself, not from the environment.
TEMPLER_NAMES = {"env"}


def _dockerfile(folder: Path) -> str:
    return (folder / "Dockerfile").read_text()


def required_files(image: Image, folder: Path, is_parent: bool) -> list[str]:
    wanted = ["Dockerfile", "README.rst"] + ([] if is_parent else [START_SCRIPT])
    return [f"{name} is missing" for name in wanted if not (folder / name).is_file()]


def built_from_parent(image: Image, folder: Path, is_parent: bool) -> list[str]:
    """FROM what monasca-docker passes: the parent, and for the build stage the catalog's builder."""
    lines = [line for line in _dockerfile(folder).splitlines() if line.strip() and not line.startswith("#")]
    problems = []
    if not lines or not lines[0].startswith("ARG BASE_IMAGE="):
        problems.append("the first instruction must be ARG BASE_IMAGE=<parent> (monasca-docker passes it)")
    stages = [line.split()[1:] for line in lines if line.upper().startswith("FROM ")]
    if image.builder:
        if not any(line.startswith("ARG BUILDER_IMAGE=") for line in lines):
            problems.append("the catalog names a builder: declare ARG BUILDER_IMAGE=<its image>")
        if ["${BUILDER_IMAGE}", "AS", "builder"] not in stages:
            problems.append("the catalog names a builder: the build stage must be FROM ${BUILDER_IMAGE} AS builder")
        stages = [stage for stage in stages if stage[0] != "${BUILDER_IMAGE}"]
    if not all(stage[0] == "${BASE_IMAGE}" for stage in stages):
        problems.append("every stage must be FROM ${BASE_IMAGE}"
                        + (" (or the build stage FROM ${BUILDER_IMAGE})" if image.builder else ""))
    return problems


COMPILERS = re.compile(r"apt-get install[^\n]*\b(gcc|g\+\+|python3-dev|libc6-dev)\b")


def compiles_only_in_the_builder(image: Image, folder: Path, is_parent: bool) -> list[str]:
    """One place for compilers and headers: images/builder, which build stages start from."""
    if is_parent or not COMPILERS.search(_dockerfile(folder)):
        return []
    return ["installs compilers or headers: add them to images/builder and name it as the image's "
            "builder in images/catalog.toml"]


def takes_only_the_venv_layer(image: Image, folder: Path, is_parent: bool) -> list[str]:
    """Copying the build stage's whole /opt/monasca stores base's venv a second time
    and keeps the files of the toolkit's packages the install replaced."""
    text = _dockerfile(folder)
    installs_python = "monasca-pip-install" in text or "pip install" in text
    takes_the_layer = ("monasca-venv-layer save /layer" in text and "monasca-venv-layer apply /layer" in text
                       and "--from=builder /opt/monasca" not in text)
    if not (image.builder and installs_python) or takes_the_layer:
        return []
    return ["the build stage must end with `monasca-venv-layer save /layer` and the runtime stage take only "
            "that layer (`monasca-venv-layer apply /layer` with /layer mounted from the builder: "
            "images/builder/README.rst), not all of /opt/monasca"]


def runs_unprivileged(image: Image, folder: Path, is_parent: bool) -> list[str]:
    users = re.findall(r"^USER\s+(\S+)", _dockerfile(folder), re.MULTILINE)
    if users and users[-1] in ("root", "0"):
        return ["the last USER is root: the service must run as monasca"]
    return []


def has_health_check(image: Image, folder: Path, is_parent: bool) -> list[str]:
    text = _dockerfile(folder)
    if is_parent or "MONASCA_HEALTH=" in text or re.search(r"^HEALTHCHECK ", text, re.MULTILINE):
        return []
    return ["no health check: set ENV MONASCA_HEALTH (or a HEALTHCHECK, NONE with a reason)"]


def execs_its_service(image: Image, folder: Path, is_parent: bool) -> list[str]:
    script = folder / START_SCRIPT
    if not script.is_file():
        return []
    if not re.search(r"^\s*exec\s", script.read_text(), re.MULTILINE):
        return [f"{START_SCRIPT} must exec the service so that docker stop reaches it"]
    return []


def no_package_caches(image: Image, folder: Path, is_parent: bool) -> list[str]:
    problems = []
    for run in re.findall(r"^RUN .*?(?<!\\)$", _dockerfile(folder), re.MULTILINE | re.DOTALL):
        if "apt-get install" in run and "rm -rf /var/lib/apt/lists" not in run:
            problems.append("an apt-get install leaves /var/lib/apt/lists behind")
        if "pip install" in run and "--no-cache-dir" not in run:
            problems.append("a pip install leaves its cache behind (use --no-cache-dir)")
    return problems


def readme_is_valid_rst(image: Image, folder: Path, is_parent: bool) -> list[str]:
    readme = folder / "README.rst"
    if not readme.is_file():
        return []
    try:
        docutils.core.publish_doctree(readme.read_text(), source_path=str(readme),
                                      settings_overrides={"halt_level": 2, "report_level": 5})
    except docutils.utils.SystemMessage as exc:
        return [f"README.rst is not valid reStructuredText: {exc}"]
    return []


def template_variables(folder: Path) -> set[str]:
    """Every name the folder's templates read."""
    environment = environment_for(str(folder / "templates"))
    names, assigned = set(), set()
    for template in (folder / "templates").glob("**/*.j2"):
        text = template.read_text()
        names |= jinja2.meta.find_undeclared_variables(environment.parse(text))
        # Jinja2 counts a name set inside a block and read after it as undeclared.
        assigned |= set(re.findall(r"{%-?\s*(?:set|for)\s+(\w+)", text))
    return names - assigned - TEMPLER_NAMES


def template_defaults(folder: Path) -> dict:
    path = folder / "templates" / "defaults.yml"
    return (yaml.safe_load(path.read_text()) or {}).get("defaults", {}) if path.is_file() else {}


def readme_documents_variables(image: Image, folder: Path, is_parent: bool) -> list[str]:
    """Each template variable has a README row naming it and its default."""
    readme = folder / "README.rst"
    if not readme.is_file():
        return []
    # A table row: ``NAME`` then its default cell, a ``literal`` or a (remark).
    rows = {m.group(1): m.group(0)
            for m in re.finditer(r"^``(\w+)``\s+(?:``|\().*$", readme.read_text(), re.MULTILINE)}
    defaults = template_defaults(folder)
    problems = []
    for name in sorted(template_variables(folder)):
        if name not in rows:
            problems.append(f"README.rst does not document {name}")
        elif name in defaults and not _shows_default(rows[name], defaults[name]):
            problems.append(f"README.rst gives another default for {name} than defaults.yml ({defaults[name]!r})")
    for name in sorted(set(defaults) - template_variables(folder) - set(rows)):
        problems.append(f"defaults.yml sets {name}, which neither a template reads nor README.rst documents")
    return problems


def _shows_default(row: str, default) -> bool:
    if isinstance(default, bool):
        shown = "true" if default else "false"
    elif isinstance(default, list):
        shown = ",".join(str(item) for item in default)
    else:
        shown = str(default)
    if shown == "" and "(empty)" in row:
        return True
    cells = re.findall(r"``([^`]*)``", row)
    # The default cell may abbreviate a long value with "..." (the meaning column spells it out).
    return any(cell == shown or (cell.endswith("...") and shown.startswith(cell[:-3])) for cell in cells[1:]) \
        or f"``{shown}``" in row


RULES = (required_files, built_from_parent, compiles_only_in_the_builder, takes_only_the_venv_layer,
         runs_unprivileged, has_health_check, execs_its_service, no_package_caches, readme_is_valid_rst,
         readme_documents_variables)


def check(image: Image, folder: Path, is_parent: bool) -> list[str]:
    # Without a Dockerfile the other rules have nothing to read.
    rules = RULES if (folder / "Dockerfile").is_file() else (required_files,)
    return [f"{image.name}: {problem}" for rule in rules for problem in rule(image, folder, is_parent)]
