"""Which heavy suites a change runs, as the suites.toml beside them declare
(src/monasca_docker/suites.py); pytest and `monasca-docker ci` both ask this."""
import pytest

from monasca_docker import suites
from monasca_docker.errors import UserError

from tests.support import ROOT

CLUSTER = {"tests/cluster/test_k8s.py", "tests/cluster/test_swarm.py"}
STACK = {f"tests/stack/test_{name}.py" for name in ("smoke", "tempest", "survival", "faults", "privilege",
                                                     "host_client")}


def running(*changed):
    return {module for module, runs in suites.selected(ROOT, list(changed)).items() if runs}


def test_a_change_to_one_image_runs_every_suite_that_starts_it():
    runs = running("images/api/Dockerfile")
    assert CLUSTER | STACK | {"tests/engines/test_engines.py", "tests/image/test_api.py"} <= runs
    assert "tests/image/test_kafka.py" not in runs and "tests/image/test_opensearch.py" not in runs


def test_a_change_to_base_runs_every_suite_that_starts_an_image():
    assert running("images/base/Dockerfile") == {module for module, suite in suites.load(ROOT).items()
                                                 if suite.images}


def test_a_lock_counts_as_its_image():
    assert "tests/image/test_client.py" in running("locks/2023.2/client.txt")
    assert "tests/image/test_client.py" not in running("locks/2023.2/api.txt")


def test_the_chart_runs_kubernetes_only_and_docs_run_nothing_heavy():
    assert running("deploy/helm/monasca/values.yaml") == {"tests/cluster/test_k8s.py"}
    assert running("docs/usage.md", "README.md", "benchmarks/stack.py") == set()


def test_a_suite_covers_its_own_module_and_the_shared_helpers():
    assert running("tests/cluster/test_swarm.py") == {"tests/cluster/test_swarm.py"}
    assert running("tests/support.py") == set(suites.load(ROOT))


def test_a_declaration_naming_no_image_says_what_it_takes(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "catalog.toml").write_text((ROOT / "images" / "catalog.toml").read_text())
    (tmp_path / "tests" / "probe").mkdir(parents=True)
    (tmp_path / "tests" / "probe" / "test_probe.py").write_text("")
    (tmp_path / "tests" / "probe" / "suites.toml").write_text('[test_probe]\nimages = ["apii"]\n')
    with pytest.raises(UserError, match=r"images = \['apii'\].*`monasca-docker list`"):
        suites.load(tmp_path)
    (tmp_path / "tests" / "probe" / "suites.toml").write_text('[test_gone]\nimages = ["api"]\n')
    with pytest.raises(UserError, match="there is no tests/probe/test_gone.py"):
        suites.load(tmp_path)


def test_the_engines_build_the_whole_catalog_for_a_change_to_the_build_tool_only():
    engines = suites.load(ROOT)["tests/engines/test_engines.py"]
    whole = engines.whole_catalog
    assert all(engines.touches([path]) for path in whole)       # the suite runs for each of them
    assert any(path.startswith("src/monasca_docker/build") for path in whole)
    # The compose file runs the suite (each engine starts the stack), its images loaded from this host.
    assert engines.touches(["deploy/compose/docker-compose.yml"])
    assert not any("deploy/compose/docker-compose.yml".startswith(path) for path in whole)
