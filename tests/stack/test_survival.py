"""The stack keeps its data across down/up and leaves nothing behind.

(A crashed service coming back by its restart policy, with nothing lost, is
test_faults.py's.)"""
import json
import subprocess
import time

from .conftest import CLI, ROOT, docker, eventually
from .test_smoke import measurements


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


def test_the_init_jobs_leave_no_anonymous_volume(running_stack):
    # Their images declare a data VOLUME; each `up` would otherwise leave a new one behind.
    for job in ("influxdb-init", "kafka-init"):
        mounts = json.loads(docker("inspect", "--format", "{{json .Mounts}}", f"monasca-{job}-1").stdout)
        assert not [m for m in mounts if m["Type"] == "volume"], mounts
