"""monasca/notification: start path and the configuration the engine reads."""
import json

import pytest

from tests.support import build, docker

IMAGE = "monasca/notification:latest"

# Render (the wait then fails fast: no Kafka here), then print what
# monasca-notification's own option parsing makes of the result.
PARSE = ("/start.sh >/dev/null 2>&1; python3 -c \"import json; from monasca_notification import config; "
         "config.parse_args(['--config-file', '/etc/monasca/monasca-notification.conf']); c = config.CONF; "
         "email = 'monasca_notification.plugins.email_notifier:EmailNotifier' in c.notification_types.enabled; "
         "print(json.dumps({'enabled': c.notification_types.enabled, 'passwd': c.mysql.passwd, "
         "'webhook_timeout': c.webhook_notifier.timeout, 'statsd': c.statsd.enable, "
         "'email': [c.email_notifier.server, c.email_notifier.port, c.email_notifier.user, "
         "c.email_notifier.password] if email else None}))\" 2>/dev/null")


@pytest.fixture(scope="module")
def notification_image(base_image):
    build("notification")
    return IMAGE


def parsed(image, *env):
    args = ["run", "--rm", "-e", "MONASCA_WAIT_TIMEOUT=1"]
    for pair in env:
        args += ["-e", pair]
    return json.loads(docker(*args, image, "sh", "-c", PARSE).stdout)


def test_missing_password_is_named(notification_image):
    result = docker("run", "--rm", notification_image, check=False)
    assert result.returncode != 0
    assert "MYSQL_PASSWORD is required" in result.stderr


def test_wait_names_kafka_topics_and_mysql_schema(notification_image):
    result = docker("run", "--rm", "-e", "MYSQL_PASSWORD=s3cr$t", "-e", "MONASCA_WAIT_TIMEOUT=3",
                    notification_image, check=False)
    assert result.returncode != 0
    assert ("kafka://kafka:9092/retry-notifications,alarm-state-transitions,"
            "alarm-notifications,60-seconds-notifications") in result.stderr
    assert "mysql://notification:${MYSQL_PASSWORD}@mysql:3306/mon?table=" in result.stderr
    assert "s3cr$t" not in result.stdout + result.stderr


def test_webhook_is_the_default_plugin(notification_image):
    conf = parsed(notification_image, "MYSQL_PASSWORD=a$b$$c", "NF_WEBHOOK_TIMEOUT=7", "STATSD_ENABLED=no")
    assert conf["enabled"] == ["monasca_notification.plugins.webhook_notifier:WebhookNotifier"]
    assert conf["webhook_timeout"] == 7
    assert conf["statsd"] is False
    assert conf["passwd"] == "a$b$$c"  # '$' is not oslo.config interpolation
    assert conf["email"] is None


def test_email_plugin_from_nf_variables(notification_image):
    conf = parsed(notification_image, "MYSQL_PASSWORD=x", "NF_PLUGINS=webhook, email",
                  "NF_EMAIL_SERVER=smtp.example.org", "NF_EMAIL_PORT=587",
                  "NF_EMAIL_USER=alerts", "NF_EMAIL_PASSWORD=p$ss")
    assert conf["enabled"][1] == "monasca_notification.plugins.email_notifier:EmailNotifier"
    assert conf["email"] == ["smtp.example.org", 587, "alerts", "p$ss"]


@pytest.mark.parametrize("env, message", [
    (["NF_PLUGINS=email"], "NF_EMAIL_SERVER is required with the email plugin"),
    (["NF_PLUGINS=email", "NF_EMAIL_SERVER=smtp", "NF_EMAIL_USER=u"],
     "NF_EMAIL_PASSWORD is required when NF_EMAIL_USER is set"),
    (["NF_PLUGINS=,"], "NF_PLUGINS is empty"),
])
def test_incomplete_plugin_settings_are_named(notification_image, env, message):
    args = ["run", "--rm", "-e", "MYSQL_PASSWORD=x"]
    for pair in env:
        args += ["-e", pair]
    result = docker(*args, notification_image, check=False)
    assert result.returncode != 0
    assert message in result.stderr
