"""The settings file and the health endpoint this project's own services share."""
import json
import urllib.error
import urllib.request

import pytest

from monasca_toolkit.service import ConfigError, load_config, serve_health

DEFAULTS = {"kafka": {"servers": "kafka:9092", "group": "g"}, "batch_wait": 1.0, "health_port": 8092}


def settings(tmp_path, text):
    path = tmp_path / "settings.yml"
    path.write_text(text)
    return path


def test_the_file_overrides_defaults_one_key_of_a_section_at_a_time(tmp_path):
    config = load_config(settings(tmp_path, "kafka: {group: mine}\nbatch_wait: 2\n"), DEFAULTS,
                         positive=("batch_wait", "health_port"))
    assert config == {"kafka": {"servers": "kafka:9092", "group": "mine"}, "batch_wait": 2, "health_port": 8092}


@pytest.mark.parametrize("text, message", [
    ("batchwait: 2\n", r"unknown settings \['batchwait'\]; known: \['batch_wait', 'health_port', 'kafka'\]"),
    ("health_port: 80.5\n", "health_port must be a positive whole number, not 80.5"),
    ("batch_wait: 0\n", "batch_wait must be a positive number, not 0"),
    ("batch_wait: true\n", "batch_wait must be a positive number, not True"),
    ("kafka: [\n", "cannot read .*settings.yml"),
])
def test_a_setting_the_service_cannot_use_is_refused_by_name(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_config(settings(tmp_path, text), DEFAULTS, positive=("batch_wait", "health_port"))


def test_health_answers_200_or_503_with_the_report(free_port):
    state = {"healthy": False}
    server = serve_health(lambda: (state["healthy"], {"consuming": state["healthy"], "written": 3}), free_port)
    url = f"http://127.0.0.1:{free_port}"
    try:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{url}/healthcheck", timeout=5)
        assert refused.value.code == 503 and json.loads(refused.value.read()) == {"consuming": False, "written": 3}
        state["healthy"] = True
        with urllib.request.urlopen(f"{url}/healthcheck", timeout=5) as answer:
            assert answer.status == 200 and json.loads(answer.read())["consuming"] is True
        with pytest.raises(urllib.error.HTTPError) as elsewhere:
            urllib.request.urlopen(f"{url}/other", timeout=5)
        assert elsewhere.value.code == 404
    finally:
        server.shutdown()
