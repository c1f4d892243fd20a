"""The host tool installs on its own: every dependency is on an index or named by its path."""
import json
import subprocess
import sys

from ..support import ROOT


def test_pip_resolves_the_host_tool_from_the_checkout_alone(tmp_path):
    report = tmp_path / "report.json"
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
                             "--disable-pip-version-check", "--report", str(report), str(ROOT)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    installs = {item["metadata"]["name"]: item for item in json.loads(report.read_text())["install"]}
    toolkit = installs["monasca-toolkit"]["download_info"]["url"]
    assert toolkit == (ROOT / "images" / "base" / "toolkit").as_uri()
    assert {"monasca-docker", "packaging", "Jinja2"} <= set(installs)
