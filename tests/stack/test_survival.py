"""The stack keeps its data across down/up and recovers a killed service by itself."""
import os
import signal
import subprocess
import time

from .conftest import CLI, ROOT, docker, eventually
from .test_smoke import measurements


def wait_healthy(container, timeout=300):
    eventually(lambda: docker("inspect", "--format", "{{.State.Health.Status}}", container,
                              check=False).stdout.strip() == "healthy", timeout, f"{container} healthy")


def test_metrics_survive_down_and_up(monasca, unique):
    name = f"smoke.kept_{unique}"
    monasca.metrics.create(jsonbody={"name": name, "dimensions": {"run": unique},
                                     "timestamp": int(time.time() * 1000), "value": 42.0})
    eventually(lambda: measurements(monasca, name, run=unique), 90, "the metric before down")

    for command in (["down"], ["up"]):
        result = subprocess.run([CLI, *command], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    points = eventually(lambda: measurements(monasca, name, run=unique), 120, "the metric after up")
    assert [point[1] for point in points] == [42.0]


def test_a_killed_service_comes_back_by_its_restart_policy(monasca, unique):
    # SIGKILL to the container's init from outside, as the OOM killer or a
    # crash would. (`docker kill` itself counts as a manual stop, which a
    # restart policy leaves stopped by design.)
    pid = int(docker("inspect", "--format", "{{.State.Pid}}", "monasca-persister-1").stdout)
    os.kill(pid, signal.SIGKILL)
    eventually(lambda: int(docker("inspect", "--format", "{{.RestartCount}}", "monasca-persister-1")
                           .stdout) > 0, 60, "the restart of the killed persister")
    wait_healthy("monasca-persister-1")
    name = f"smoke.after_kill_{unique}"
    monasca.metrics.create(jsonbody={"name": name, "dimensions": {"run": unique},
                                     "timestamp": int(time.time() * 1000), "value": 1.0})
    eventually(lambda: measurements(monasca, name, run=unique), 120, "a metric persisted after the kill")
