"""The stack file for Swarm, made from the compose file (no engine needed: `docker compose config`)."""
import pytest

from monasca_docker import stack
from monasca_docker.cluster import swarm
from tests.support import ROOT


@pytest.fixture(scope="module")
def config():
    return swarm.stack_config(ROOT, "192.0.2.7")


def test_every_compose_service_is_in_the_stack_and_nothing_swarm_ignores(config):
    assert set(config["services"]) == set(stack.compose_config(ROOT)["services"])
    for name, service in config["services"].items():
        assert not set(service) & set(swarm.IGNORED), name
        assert service["deploy"]["endpoint_mode"] == "dnsrr", name      # no IPVS for virtual IPs
        assert service["cap_drop"] == ["ALL"], name


def test_every_service_rotates_its_log_on_compose_and_on_swarm(config):
    settings = stack.env_values(ROOT)
    rotated = {"driver": "json-file", "options": {"max-size": settings["MONASCA_LOG_MAX_SIZE"],
                                                  "max-file": settings["MONASCA_LOG_MAX_FILE"]}}
    assert all(service["logging"] == rotated for service in stack.compose_config(ROOT)["services"].values())
    assert all(service["logging"] == rotated for service in config["services"].values())


def test_no_compose_service_pulls_its_image_and_the_stack_file_says_nothing_of_it(config):
    """Docker Hub's monasca/* are upstream's retired images: never fetched in their place."""
    pulled = {name for name, service in stack.compose_config(ROOT)["services"].items()
              if service.get("pull_policy") != "never"}
    assert pulled == set()
    assert not any("pull_policy" in service for service in config["services"].values())


def test_retention_settings_reach_influxdb_init_and_the_log_persister_on_compose_and_on_swarm(config):
    settings = stack.env_values(ROOT)
    for services in (stack.compose_config(ROOT)["services"], config["services"]):
        assert services["influxdb-init"]["environment"]["INFLUXDB_DEFAULT_RETENTION"] == \
            settings["MONASCA_METRICS_RETENTION"] == "30d"
        assert services["log-persister"]["environment"]["LOGS_RETENTION_DAYS"] == \
            settings["MONASCA_LOGS_RETENTION_DAYS"] == "7"


def test_ports_are_published_on_the_nodes(config):
    ports = {name: service["ports"] for name, service in config["services"].items() if service["ports"]}
    assert set(ports) == {"api", "keystone", "log-api", "log-search"}
    assert all(port["mode"] == "host" and set(port) == {"target", "published", "protocol", "mode"}
               for published in ports.values() for port in published)


def test_jobs_restart_only_on_failure_without_a_health_check_and_services_always(config):
    conditions = {name: s["deploy"]["restart_policy"]["condition"] for name, s in config["services"].items()}
    assert {name for name, c in conditions.items() if c == "on-failure"} == {"mon-db-upgrade", "influxdb-init",
                                                                               "kafka-init"}
    assert set(conditions.values()) == {"on-failure", "any"}
    # the images' server checks would have Swarm stop a job, and a stopped job counts as done
    assert all(config["services"][name]["healthcheck"] == {"disable": True}
               for name, condition in conditions.items() if condition == "on-failure")


def test_stores_stay_with_their_volumes_on_the_manager_and_the_api_runs_everywhere(config):
    services = config["services"]
    pinned = {name for name, s in services.items()
              if s["deploy"].get("placement", {}).get("constraints") == ["node.role == manager"]}
    assert pinned == {name for name, s in services.items()
                      if any(v["type"] == "volume" for v in s.get("volumes", []))}
    assert services["api"]["deploy"]["mode"] == "global"


def test_the_public_endpoints_are_the_managers(config):
    assert config["services"]["keystone"]["environment"]["KEYSTONE_PUBLIC_URL"].startswith("http://192.0.2.7:")
