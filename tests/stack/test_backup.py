"""`monasca-docker backup` while the stack serves, and `restore` into a fresh stack: everything comes back.

The stack is filled through its real clients (python-monascaclient, the log
API, Keystone), backed up while metrics keep coming, taken down with its
volumes, started empty, and restored; then every count is compared.
"""
from .filled import LOGS, POINTS, Feeder, between, cli, counts, emptied, fill, now_ms, settled, token_is_valid


def test_a_backup_taken_while_serving_restores_everything_into_a_fresh_stack(
        disposable, emptied, running_stack, monasca, keystone_url, unique, tmp_path):
    feeder = Feeder(running_stack, keystone_url, unique)
    feeder.start()
    try:
        token = fill(monasca, running_stack, keystone_url, unique)
        before = settled(lambda: counts(monasca, running_stack, keystone_url, unique),
                         lambda found: found["points"] == POINTS and len(found["logs"]) == LOGS and found["history"],
                         180, "every point, log and history row queryable")

        archive = tmp_path / "monasca.tar"
        started = now_ms()
        made = cli("backup", str(archive))
        ended = now_ms()
        assert made.returncode == 0, made.stdout + made.stderr
        # Metrics kept coming while the backup ran: every one was accepted.
        assert between(feeder.accepted, started, ended) and not between(feeder.refused, started, ended)
        for part in ("keystone-keys.tar", "mysql.sql.gz", "influxdb.tar", "opensearch.tar"):
            assert f"backup: {part} " in made.stdout, made.stdout
        assert "what the stack stored before" in made.stdout

        # Into the same, serving stack: refused before anything changes.
        again = cli("restore", str(archive))
        assert again.returncode == 1 and "already holds data" in again.stderr, again.stdout + again.stderr

        assert cli("down", "--volumes").returncode == 0
        fresh = cli("up")
        assert fresh.returncode == 0, fresh.stdout[-2000:] + fresh.stderr[-2000:]
        restored = cli("restore", str(archive))
        assert restored.returncode == 0, restored.stdout[-3000:] + restored.stderr[-3000:]

        after = settled(lambda: counts(monasca, running_stack, keystone_url, unique),
                        lambda found: len(found["logs"]) == LOGS, 120, "the restored logs searchable")
    finally:
        feeder.stop.set()
    # The history goes on after the restore; what was in it stays.
    assert set(before.pop("history")) <= set(after.pop("history"))
    assert after == before
    assert token_is_valid(keystone_url, token), "a token issued before the backup no longer validates"
