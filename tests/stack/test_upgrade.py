"""From the previous OpenStack series to this one, on the same volumes: nothing lost, alarms go on.

The stack starts with its components' 2023.1 releases (`build --series
2023.1`, run with MONASCA_COMPONENT_TAG=2023.1), is filled through its
clients, then `up` with this series' images replaces them on the same
volumes while metrics keep coming. The migrations bring both schemas to
what a fresh install has, every count stays, every metric the API accepted
is stored, and an alarm crosses its threshold and notifies.
"""
import datetime
import os
import re

from monasca_docker import catalog

from .conftest import NETWORK, docker, eventually, in_network
from .filled import LOGS, POINTS, Feeder, between, cli, counts, emptied, fill, now_ms, settled, token_is_valid
from .test_smoke import RECEIVER, measurements, webhook_posts

SERIES = "2023.1"
KEYSTONE_MANAGE = ["keystone-manage", "--config-file", "/etc/monasca/keystone.conf"]


def release(service):
    """The component release the service's running image packages (its OCI version label)."""
    image = docker("inspect", "-f", "{{.Image}}", f"monasca-{service}-1").stdout.strip()
    return docker("image", "inspect", "-f", '{{index .Config.Labels "org.opencontainers.image.version"}}',
                  image).stdout.strip()


def as_root(sql_tool_args):
    """A MariaDB client command in the mysql container, as root (its password from the container's env)."""
    return docker("exec", "monasca-mysql-1", "sh", "-c",
                  f'MYSQL_PWD="$MYSQL_ROOT_PASSWORD" exec {sql_tool_args}').stdout


def schema(database):
    """Each table of a database: its columns, keys and constraints (in any order: a
    migration adds an index where a fresh CREATE TABLE lists it elsewhere) and its
    options, less the AUTO_INCREMENT counter."""
    dump = as_root(f"mariadb-dump --user=root --no-data --skip-comments --skip-dump-date {database}")
    return {name: (sorted(line.strip().rstrip(",") for line in body.strip().splitlines()),
                   re.sub(r" AUTO_INCREMENT=\d+", "", options))
            for name, body, options in re.findall(r"CREATE TABLE `(\w+)` \((.*?)\n\) ([^;]*);", dump, re.S)}


def fresh_monasca_schema(values):
    """The schema monasca_db of this series' API image makes in an empty database."""
    as_root("mariadb --user=root -e 'DROP DATABASE IF EXISTS mon_fresh; CREATE DATABASE mon_fresh'")
    try:
        url = f"mysql+pymysql://root:{values['MYSQL_ROOT_PASSWORD']}@mysql:3306/mon_fresh"
        docker("run", "--rm", "--network", NETWORK, "-e", "OS_DATABASE__CONNECTION", "monasca/api:latest",
               "monasca_db", "upgrade", env={**os.environ, "OS_DATABASE__CONNECTION": url}, timeout=300)
        return schema("mon_fresh")
    finally:
        as_root("mariadb --user=root -e 'DROP DATABASE IF EXISTS mon_fresh'")


def stamps(monasca, name, unique):
    """The timestamps (ms) of a metric's stored points."""
    return {int(datetime.datetime.fromisoformat(point[0].replace("Z", "+00:00")).timestamp() * 1000)
            for point in measurements(monasca, name, run=unique)}


def releases(series=None):
    """The API's and Keystone's releases in the catalog, of its own series or of `series`."""
    images = catalog.load()
    return tuple(dict(images[name].releases)[series] if series else images[name].version
                 for name in ("api", "keystone"))


def test_an_upgrade_from_the_previous_series_keeps_everything_and_alarms_go_on(
        disposable, emptied, running_stack, monasca, keystone_url, unique):
    assert cli("down", "--volumes").returncode == 0
    previous = cli("up", env={"MONASCA_COMPONENT_TAG": SERIES}, timeout=3600)
    assert previous.returncode == 0, previous.stdout[-2000:] + previous.stderr[-2000:]
    assert (release("api"), release("keystone")) == releases(SERIES)

    webhook_receiver = f"upgrade-webhook-{unique}"
    in_network(RECEIVER, name=webhook_receiver, detach=True)
    feeder = Feeder(running_stack, keystone_url, unique)
    feeder.start()
    try:
        token = fill(monasca, running_stack, keystone_url, unique, webhook=f"http://{webhook_receiver}:8080/")
        before = settled(lambda: counts(monasca, running_stack, keystone_url, unique),
                         lambda found: found["points"] == POINTS and len(found["logs"]) == LOGS and found["history"],
                         180, "every point, log and history row queryable")

        started = now_ms()
        upgraded = cli("up")
        ended = now_ms()
        assert upgraded.returncode == 0, upgraded.stdout[-2000:] + upgraded.stderr[-2000:]
        assert (release("api"), release("keystone")) == releases()
        after = settled(lambda: counts(monasca, running_stack, keystone_url, unique),
                        lambda found: len(found["logs"]) == LOGS, 180, "the logs searchable after the upgrade")

        # An alarm still evaluates: the low one crosses its threshold and notifies the webhook.
        low = f"filled-low-{unique}"
        monasca.metrics.create(jsonbody={"name": f"filled.level_{unique}", "dimensions": {"run": unique},
                                         "timestamp": now_ms(), "value": 100.0})
        eventually(lambda: [body for body in webhook_posts(webhook_receiver)
                            if body.get("alarm_name") == low and body.get("state") == "ALARM"],
                   180, "the low alarm's notification after the upgrade", interval=5)
    finally:
        feeder.stop.set()
        feeder.join()
        docker("rm", "--force", webhook_receiver, check=False)

    assert set(before.pop("history")) <= set(after.pop("history"))
    assert after == before
    assert token_is_valid(keystone_url, token), "a token issued before the upgrade no longer validates"
    # Every metric the API accepted, during the upgrade too, is stored.
    assert set(feeder.accepted) <= stamps(monasca, f"filled.level_{unique}", unique)
    refused = between(feeder.refused, started, ended)
    print(f"upgrade: `up` took {(ended - started) / 1000:.0f} s; the API refused or missed "
          f"{len(refused)} of {len(between(feeder.accepted, started, ended)) + len(refused)} posts, "
          f"one a second")

    upgraded_schema = schema("mon")
    assert "alarm_definition" in upgraded_schema and upgraded_schema == fresh_monasca_schema(running_stack)
    check = docker("exec", "monasca-keystone-1", *KEYSTONE_MANAGE, "db_sync", "--check", check=False)
    assert check.returncode == 0, check.stdout + check.stderr
