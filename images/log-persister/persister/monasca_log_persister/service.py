"""monasca-log-persister: the log API's topic into OpenSearch, nothing lost, nothing twice.

    monasca-log-persister --config /etc/monasca/log-persister.yml

Messages are written in batches with `_bulk`; a batch's offsets are
committed only after the store took it. A document's id is its
topic-partition-offset, so a batch written again after a crash or a
rebalance replaces itself instead of adding copies. A message that is not
a log envelope, or a document the store refuses (HTTP 4xx for that item),
is counted, logged as `Skipped topic[P]@O: reason` and skipped; the rest
of the batch is written. When the store does not answer, the batch is
retried for `retry_seconds`, then the process exits (uncommitted, so the
restart reads the batch again).

Retention: every `retention_check_seconds` the daily indices older than
`retention_days` are deleted, and a log older than that is skipped rather
than written into an index the next check would delete (0 keeps all).
"""
from __future__ import annotations

import argparse
import datetime
import logging
import signal
import sys
import time

import confluent_kafka

from monasca_toolkit.service import ConfigError, serve_health
from monasca_toolkit.service import load_config as load_settings

from . import documents
from .store import Store, StoreUnavailable, transient

LOG = logging.getLogger("monasca_log_persister")
POLL_SECONDS = 1.0
STALE_POLL = 30               # s without a poll: not consuming
MAX_BACKOFF = 5.0

DEFAULTS = {
    "kafka": {"uri": "kafka:9092", "topic": "log", "group": "log-persister"},
    "opensearch": {"url": "http://opensearch:9200", "shards": 1, "replicas": 0, "timeout": 30},
    "batch_size": 500, "batch_wait": 1.0, "retry_seconds": 60, "health_port": 8094, "log_level": "WARNING",
    "retention_days": 7, "retention_check_seconds": 3600,
}


def load_config(path: str) -> dict:
    config = load_settings(path, DEFAULTS, positive=("batch_size", "batch_wait", "retry_seconds", "health_port",
                                                     "retention_check_seconds"))
    days = config["retention_days"]
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ConfigError(f"{path}: retention_days must be a whole number of days, 0 to keep every log, "
                          f"not {days!r}")
    return config


def utc_today() -> datetime.date:
    return datetime.datetime.now(datetime.timezone.utc).date()


class Status:
    """What the health endpoint reports."""

    def __init__(self):
        self.assigned = False
        self.last_poll = 0.0
        self.counts = {"written": 0, "skipped": 0}

    def healthy(self) -> bool:
        return self.assigned and time.monotonic() - self.last_poll < STALE_POLL

    def report(self) -> tuple[bool, dict]:
        consuming = self.healthy()
        return consuming, {"consuming": consuming, "assigned": self.assigned,
                           "seconds_since_poll": round(time.monotonic() - self.last_poll, 1), **self.counts}


class Stopped(Exception):
    """A stop was requested while the store was not taking the batch."""


class Persister:
    def __init__(self, config: dict, store: Store, status: Status):
        self.store, self.status, self.running = store, status, True
        kafka = config["kafka"]
        self.topic, self.batch_size = kafka["topic"], int(config["batch_size"])
        self.wait, self.retry_seconds = float(config["batch_wait"]), float(config["retry_seconds"])
        self.retention_days = int(config["retention_days"])
        self.retention_check = float(config["retention_check_seconds"])
        self.next_retention = 0.0      # at the first turn of the loop
        self.consumer = confluent_kafka.Consumer({
            "bootstrap.servers": kafka["uri"], "group.id": kafka["group"],
            "client.id": "monasca-log-persister", "auto.offset.reset": "earliest",
            # Offsets are committed only by _flush, as an explicit list, after the write.
            "enable.auto.commit": False, "enable.auto.offset.store": False,
            # The prefetch queue: logs are large, librdkafka's 64 MiB default is memory for nothing.
            "queued.max.messages.kbytes": 16384,
            "logger": logging.getLogger("monasca_log_persister.kafka")})
        self.consumer.subscribe([self.topic], on_assign=self._assigned, on_revoke=self._revoked)
        self._start_batch()

    def _start_batch(self) -> None:
        self.pending = []         # (index, id, document, where)
        self.next_offsets = {}    # partition -> offset after the last message taken
        self.taken = 0
        self.due = None

    def run(self) -> None:
        while self.running:
            if self.retention_days and time.monotonic() >= self.next_retention:
                self._enforce_retention()
            if self.due is None:
                # An empty batch: return with the first message, to start its timer.
                messages = self.consumer.consume(1, timeout=POLL_SECONDS)
            else:
                left = min(POLL_SECONDS, max(0.0, self.due - time.monotonic()))
                messages = self.consumer.consume(self.batch_size - self.taken, timeout=left)
            for message in messages:
                self._take(message)
            self.status.last_poll = time.monotonic()
            if self.taken and (self.taken >= self.batch_size or time.monotonic() >= self.due):
                self._flush()
        try:
            self._flush()
        except Stopped:
            LOG.warning("stopped with %d logs unwritten: they are read again at the next start", len(self.pending))
            self._start_batch()     # nothing for the revocation in close() to write
        self.consumer.close()

    def stop(self, *_) -> None:
        self.running = False

    def _take(self, message) -> None:
        error = message.error()
        if error is not None:
            if error.fatal():
                raise confluent_kafka.KafkaException(error)
            if error.code() != confluent_kafka.KafkaError._PARTITION_EOF:
                LOG.warning("kafka: %s", error)
            return
        where = f"{message.topic()}[{message.partition()}]@{message.offset()}"
        self.next_offsets[message.partition()] = message.offset() + 1
        self.taken += 1
        if self.due is None:
            self.due = time.monotonic() + self.wait
        try:
            index, doc = documents.document(message.value(), time.time())
        except documents.BadMessage as exc:
            self._skip(where, f"invalid message: {exc}")
            return
        if self.retention_days and documents.expired([index], utc_today(), self.retention_days):
            self._skip(where, f"older than the log retention ({self.retention_days} days)")
            return
        self.pending.append((index, f"{message.topic()}-{message.partition()}-{message.offset()}", doc, where))

    def _enforce_retention(self) -> None:
        """Delete the indices past the retention; a store that does not answer is asked again next time."""
        self.next_retention = time.monotonic() + self.retention_check
        try:
            old = documents.expired(self.store.log_indices(), utc_today(), self.retention_days)
            self.store.delete_indices(old)
        except StoreUnavailable as exc:
            LOG.warning("log retention not enforced, tried again in %g s: %s", self.retention_check, exc)
            return
        if old:
            LOG.warning("deleted %d log indices older than %d days: %s", len(old), self.retention_days,
                        " ".join(old))

    def _skip(self, where: str, reason: str) -> None:
        self.status.counts["skipped"] += 1
        LOG.warning("Skipped %s: %s (%d skipped since start)", where, reason[:500], self.status.counts["skipped"])

    def _flush(self) -> None:
        """Write the batch, then commit the offsets after its messages."""
        if not self.taken:
            return
        self._write(self.pending)
        offsets = [confluent_kafka.TopicPartition(self.topic, partition, offset)
                   for partition, offset in self.next_offsets.items()]
        try:
            self.consumer.commit(offsets=offsets, asynchronous=False)
        except confluent_kafka.KafkaException as exc:
            # Written but not committed: read and written again later, under the same ids.
            LOG.warning("offset commit failed (these logs will be written again, as the same documents): %s", exc)
        LOG.info("handled %d messages from topic %s (%d logs written since start)", self.taken, self.topic,
                 self.status.counts["written"])
        self._start_batch()

    def _write(self, pending: list) -> None:
        """Write until every document is stored or refused; raise when the store stays away."""
        deadline, backoff = time.monotonic() + self.retry_seconds, 0.5
        while pending:
            try:
                results = self.store.bulk([(index, doc_id, doc) for index, doc_id, doc, _ in pending])
            except StoreUnavailable as exc:
                LOG.warning("the store did not take %d logs, retrying: %s", len(pending), exc)
                results = None
            if results is not None:
                retry = []
                for item, (status, error) in zip(pending, results):
                    if status < 300:
                        self.status.counts["written"] += 1
                    elif transient(status):
                        retry.append(item)
                    else:
                        self._skip(item[3], f"the store refused it: HTTP {status}: {error}")
                pending = retry
                if not pending:
                    return
            if time.monotonic() + backoff > deadline:
                raise StoreUnavailable(f"{len(pending)} logs not stored within {self.retry_seconds:g} s")
            if not self.running:
                raise Stopped()
            time.sleep(backoff)
            backoff = min(MAX_BACKOFF, backoff * 2)

    def _assigned(self, consumer, partitions) -> None:
        self.status.assigned = True

    def _revoked(self, consumer, partitions) -> None:
        # Before the partitions go to another consumer: write and commit what
        # was read from them, or it would be read (and written) again.
        self.status.assigned = False
        self._flush()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="monasca-log-persister", description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="the YAML settings (see README.rst)")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"monasca-log-persister: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=str(config["log_level"]).upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    search = config["opensearch"]
    store = Store(search["url"], timeout=float(search["timeout"]))
    try:
        store.put_template(int(search["shards"]), int(search["replicas"]))
    except StoreUnavailable as exc:
        LOG.error("cannot install the index template: %s", exc)
        return 1
    status = Status()
    persister = Persister(config, store, status)
    signal.signal(signal.SIGTERM, persister.stop)
    signal.signal(signal.SIGINT, persister.stop)
    serve_health(status.report, int(config["health_port"]))
    try:
        persister.run()
    except (StoreUnavailable, confluent_kafka.KafkaException) as exc:
        # Nothing unwritten was committed: the restart reads it again.
        LOG.error("stopping: %s", exc)
        return 1
    LOG.warning("stopped: %d logs written, %d skipped", status.counts["written"], status.counts["skipped"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
