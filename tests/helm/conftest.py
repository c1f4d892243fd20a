"""The Helm chart, checked offline: helm and kubeconform built by
scripts/helm-tools (cached), Kubernetes schemas from kubernetes-validate.
Every helm and kubeconform run is in a network namespace of its own
(`unshare -n`), so a test that passes proves the chart needs no network."""
import subprocess
from pathlib import Path

import pytest
import yaml

from ..support import ROOT

CHART = ROOT / "deploy" / "helm" / "monasca"
KUBE_VERSION = "1.34.0"      # scripts/helm-tools converts this version's schemas


@pytest.fixture(scope="session")
def tools() -> Path:
    done = subprocess.run([str(ROOT / "scripts" / "helm-tools")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip())


def offline(*command, check=True, stdin=None):
    """Run command with no network at all: a loopback-only namespace."""
    done = subprocess.run(["unshare", "-n", *map(str, command)], capture_output=True, text=True, input=stdin)
    if check:
        assert done.returncode == 0, f"{command[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done


def helm(tools, *args, check=True):
    return offline(tools / "bin" / "helm", *args, check=check)


def render(tools, *sets, check=True):
    """helm template of the chart with --set pairs: (the text, its objects)."""
    args = [a for pair in sets for a in ("--set", pair)]
    done = helm(tools, "template", "rel", CHART, "--namespace", "mon", "--kube-version", KUBE_VERSION,
                *args, check=check)
    return done, [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def kubeconform(tools, manifest: str):
    schemas = tools / "schemas"
    version_dir = next(schemas.iterdir())      # the one kubernetes-validate version converted
    location = f"{version_dir}/{{{{ .NormalizedKubernetesVersion }}}}-standalone{{{{ .StrictSuffix }}}}/" \
               "{{ .ResourceKind }}{{ .KindSuffix }}.json"
    return offline(tools / "bin" / "kubeconform", "-strict", "-summary", "-kubernetes-version", KUBE_VERSION,
                   "-schema-location", location, "-", check=False, stdin=manifest)
