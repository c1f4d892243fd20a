"""A stack left running does not fill the host's disk with its containers' logs."""
from monasca_docker import stack

from .conftest import ROOT
from .test_privilege import containers


def test_every_container_rotates_its_log_as_monasca_env_says(running_stack):
    wanted = {"max-size": running_stack["MONASCA_LOG_MAX_SIZE"], "max-file": running_stack["MONASCA_LOG_MAX_FILE"]}
    logs = {service: record["HostConfig"]["LogConfig"] for service, record in containers().items()}
    assert set(logs) == set(stack.compose_config(ROOT)["services"])      # the services and the jobs
    unrotated = {service: config for service, config in logs.items()
                 if config != {"Type": "json-file", "Config": wanted}}
    assert unrotated == {}
