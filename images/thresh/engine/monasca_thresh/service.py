"""monasca-thresh: the service around the engine (Kafka, MySQL, health, signals).

    monasca-thresh --config /etc/monasca/thresh.yml

The MySQL password is read from MYSQL_DB_PASSWORD only. One thread runs the
engine: it polls `events` before `metrics` so that a definition is known
before its metrics, ticks every `tick` seconds, and stores a message's offset
only after the message is handled (at least once). A message the engine
cannot use is counted, logged once with its offset, and skipped.
"""
from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import signal
import sys
import time

import confluent_kafka
import pymysql

from monasca_toolkit.service import ConfigError, serve_health
from monasca_toolkit.service import load_config as load_settings

from . import messages
from .engine import Engine
from .store import Store

LOG = logging.getLogger("monasca_thresh")
POLL_SECONDS = 0.1
STALE_POLL = 30              # s without a poll: not consuming
FUTURE_LIMIT = 86400         # s: a metric further ahead would slide its windows past all others
RECONCILE_TAIL = 1000        # transitions per partition read back at start
# Failures of the infrastructure, not of a message: stop, and let the
# restart policy bring the engine back once MySQL or Kafka answer again.
INFRASTRUCTURE_ERRORS = (pymysql.err.OperationalError, pymysql.err.InterfaceError,
                         confluent_kafka.KafkaException, BufferError)

DEFAULTS = {
    "kafka": {"uri": "kafka:9092", "metrics_topic": "metrics", "events_topic": "events",
              "alarm_state_transitions_topic": "alarm-state-transitions",
              "metrics_group": "thresh-metric", "events_group": "thresh-event"},
    "database": {"host": "mysql", "port": 3306, "name": "mon", "user": "thresh", "ssl": False},
    "alarm_delay": 30, "tick": 60, "health_port": 8092, "log_level": "WARNING",
}


def load_config(path: str) -> dict:
    config = load_settings(path, DEFAULTS, positive=("alarm_delay", "tick", "health_port"))
    password = os.environ.get("MYSQL_DB_PASSWORD")
    if not password:
        raise ConfigError("MYSQL_DB_PASSWORD is not set: give the password of the MySQL user "
                          f"{config['database']['user']!r} in the environment")
    config["database"]["password"] = password
    return config


class Status:
    """What the health endpoint reports; written by the engine thread only."""

    def __init__(self):
        self.assigned = {"metrics": False, "events": False}
        self.last_poll = 0.0
        self.counts = {"metrics": 0, "events": 0, "bad_messages": 0}

    def healthy(self) -> bool:
        return all(self.assigned.values()) and time.monotonic() - self.last_poll < STALE_POLL

    def report(self, engine_stats) -> tuple[bool, dict]:
        consuming = self.healthy()
        return consuming, {"consuming": consuming, "assigned": self.assigned,
                           "seconds_since_poll": round(time.monotonic() - self.last_poll, 1),
                           **self.counts, **engine_stats()}


def consumer(config: dict, group: str, topic: str, status: Status, name: str):
    """A consumer that starts a new group at the end of the topic, decided at assignment."""
    kafka = confluent_kafka.Consumer({
        "bootstrap.servers": config["kafka"]["uri"], "group.id": group,
        "client.id": f"monasca-thresh-{name}", "auto.offset.reset": "latest",
        "enable.auto.commit": True, "auto.commit.interval.ms": 1000,
        "enable.auto.offset.store": False, "fetch.wait.max.ms": 100,
        # A backlog is prefetched 16 MiB at a time, not librdkafka's 64 MiB.
        "queued.max.messages.kbytes": 16384,
        "logger": logging.getLogger(f"monasca_thresh.kafka.{name}")})

    def on_assign(client, partitions):
        # Pin the start of a new group now, before MySQL is read, so that no
        # event between the read and a later "latest" is missed.
        for part, done in zip(partitions, client.committed(partitions, timeout=10)):
            if done.offset < 0:
                part.offset = client.get_watermark_offsets(part, timeout=10)[1]
        client.assign(partitions)
        status.assigned[name] = True

    def on_revoke(client, partitions):
        status.assigned[name] = False

    kafka.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
    return kafka


class Publisher:
    """Sends transitions and waits until the brokers acknowledged every one."""

    def __init__(self, config: dict):
        self.topic = config["kafka"]["alarm_state_transitions_topic"]
        self.producer = confluent_kafka.Producer({
            "bootstrap.servers": config["kafka"]["uri"], "client.id": "Threshold_Engine",
            "acks": "all", "enable.idempotence": True, "linger.ms": 0,
            "logger": logging.getLogger("monasca_thresh.kafka.producer")})

    def __call__(self, transitions: list[tuple[str, bytes]]) -> None:
        reports = []
        for alarm_id, message in transitions:
            self.producer.produce(self.topic, message, key=alarm_id.encode(),
                                  on_delivery=lambda err, _msg: reports.append(err))
        undelivered = self.producer.flush(60)
        failed = [err for err in reports if err is not None]
        if undelivered or failed:
            raise confluent_kafka.KafkaException(
                failed[0] if failed else f"{undelivered} transitions not delivered in 60 s")


def reconcile(config: dict, store: Store) -> int:
    """Apply to MySQL the transitions Kafka has and MySQL lacks.

    A transition is sent before its state is written; a crash between the two
    leaves Kafka ahead. Reading back the newest transitions per alarm and
    writing their state closes that gap without sending anything twice.
    """
    tail = confluent_kafka.Consumer({"bootstrap.servers": config["kafka"]["uri"],
                                     "group.id": "thresh-reconcile", "enable.auto.commit": False})
    topic = config["kafka"]["alarm_state_transitions_topic"]
    try:
        partitions = tail.list_topics(topic, timeout=10).topics[topic].partitions
        ends, assignment = {}, []
        for number in partitions:
            part = confluent_kafka.TopicPartition(topic, number)
            low, high = tail.get_watermark_offsets(part, timeout=10)
            if high > low:
                ends[number] = high
                assignment.append(confluent_kafka.TopicPartition(topic, number, max(low, high - RECONCILE_TAIL)))
        tail.assign(assignment)
        newest, deadline = {}, time.monotonic() + 30
        while ends and time.monotonic() < deadline:
            for msg in tail.consume(500, timeout=1):
                if msg.error():
                    continue
                if msg.offset() + 1 >= ends.get(msg.partition(), 0):
                    ends.pop(msg.partition(), None)
                try:
                    body = json.loads(msg.value())["alarm-transitioned"]
                    sent = (body["newState"], int(body["timestamp"]))
                except (ValueError, KeyError, TypeError):
                    continue
                # The newest by time: the API's own transitions are unkeyed, so
                # one alarm's messages may sit on several partitions.
                if sent[1] >= newest.get(body["alarmId"], ("", -1))[1]:
                    newest[body["alarmId"]] = sent
    finally:
        tail.close()
    fixed = 0
    for alarm_id, (state, updated) in store.alarm_states().items():
        if alarm_id not in newest:
            continue
        new_state, sent_ms = newest[alarm_id]
        updated_s = updated.replace(tzinfo=datetime.timezone.utc).timestamp()
        if new_state != state and sent_ms // 1000 >= int(updated_s):
            store.update_states([(alarm_id, new_state, sent_ms)], [])
            fixed += 1
    return fixed


class Service:
    def __init__(self, config: dict):
        self.config, self.status, self.running = config, Status(), True
        self.early = []          # (consumer, handler, message) polled while joining
        database = config["database"]
        self.store = Store(host=database["host"], port=database["port"], database=database["name"],
                           user=database["user"], password=database["password"], ssl=database["ssl"])
        self.engine = Engine(self.store, Publisher(config), delay=config["alarm_delay"])
        kafka = config["kafka"]
        self.events = consumer(config, kafka["events_group"], kafka["events_topic"], self.status, "events")
        self.metrics = consumer(config, kafka["metrics_group"], kafka["metrics_topic"], self.status, "metrics")

    def stats(self) -> dict:
        engine = self.engine
        return {"definitions": len(engine.definitions), "alarms": len(engine.alarms),
                "transitions": engine.transitions}

    def start(self) -> None:
        """Join both groups, then read MySQL: what comes after is on the topics."""
        deadline = time.monotonic() + 120
        while not all(self.status.assigned.values()):
            if time.monotonic() > deadline:
                raise confluent_kafka.KafkaException("no partitions assigned within 120 s")
            # Assignment happens inside a poll, which may already return a
            # message: it is kept for after the load, not dropped.
            for kafka, handle in ((self.events, self._event), (self.metrics, self._metric)):
                self.early += [(kafka, handle, msg) for msg in kafka.consume(100, timeout=0.2)]
        fixed = reconcile(self.config, self.store)
        if fixed:
            LOG.warning("recorded in MySQL %d transitions that Kafka had and MySQL lacked", fixed)
        self.engine.load()

    def run(self) -> None:
        self._batch(self.early)
        next_tick = time.monotonic() + self.config["tick"]
        while self.running:
            batch = [(self.events, self._event, msg) for msg in self.events.consume(500, timeout=0)]
            batch += [(self.metrics, self._metric, msg)
                      for msg in self.metrics.consume(500, timeout=POLL_SECONDS)]
            self._batch(batch)
            self.status.last_poll = time.monotonic()
            if time.monotonic() >= next_tick:
                self.engine.tick()
                self.engine.flush()
                next_tick += self.config["tick"]

    def _batch(self, batch) -> None:
        """Handle messages, flush their transitions, and only then store their offsets."""
        for kafka, handle, msg in batch:
            self._handle(handle, msg)
        self.engine.flush()
        for kafka, _, msg in batch:
            if not msg.error():
                kafka.store_offsets(msg)

    def stop(self, *_):
        self.running = False

    def close(self) -> None:
        for kafka in (self.events, self.metrics):
            kafka.close()          # commits the stored offsets

    def _handle(self, handle, msg) -> None:
        """Handle one message; one that fails is counted, logged with its offset and skipped."""
        if msg.error():
            if msg.error().fatal():
                raise confluent_kafka.KafkaException(msg.error())
            LOG.warning("kafka: %s", msg.error())
            return
        try:
            handle(msg.value())
        except INFRASTRUCTURE_ERRORS:
            raise
        except Exception as exc:    # the message, not the engine: skip it, say where it was
            self.status.counts["bad_messages"] += 1
            LOG.error("skipped message %s[%d]@%d: %s", msg.topic(), msg.partition(), msg.offset(),
                      exc, exc_info=not isinstance(exc, messages.BadMessage))

    def _metric(self, raw: bytes) -> None:
        self.status.counts["metrics"] += 1
        tenant, metric, value, timestamp, created = messages.metric(raw)
        if timestamp / 1000 > time.time() + FUTURE_LIMIT:
            raise messages.BadMessage(f"metric {metric.name!r}: timestamp {timestamp} is more "
                                      f"than a day ahead of this engine's clock")
        self.engine.on_metric(tenant, metric, value, timestamp, created)

    def _event(self, raw: bytes) -> None:
        self.status.counts["events"] += 1
        self.engine.on_event(*messages.event(raw))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="monasca-thresh", description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="the YAML settings (see README.rst)")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"monasca-thresh: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=config["log_level"].upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    service = Service(config)
    signal.signal(signal.SIGTERM, service.stop)
    signal.signal(signal.SIGINT, service.stop)
    serve_health(lambda: service.status.report(service.stats), config["health_port"])
    try:
        service.start()
        service.run()
    finally:
        service.close()
    LOG.warning("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
