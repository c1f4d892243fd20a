"""Acknowledged publishing to Kafka for the metrics API and the logs API.

monasca-api 11.0.0 publishes through monasca-common 3.8.0's producer, which
flushes for 2 s and ignores what is still unsent, so a POST answered 2xx
while Kafka was down and the messages were lost with the process; its logs
API also swallows every publishing error. Here a publish returns only when
every message has been acknowledged by the in-sync replicas (acks=all,
idempotent) and raises otherwise, within ``[kafka_producer] timeout``.

- ``KafkaPublisher``: monasca-api's ``[messaging] driver``; a failure
  answers 503.
- ``Logs``: monasca-api's logs resource (``[dispatcher] logs``) publishing
  with the same producer and answering 503 when Kafka did not acknowledge.

``[kafka] is_async = true`` keeps fire-and-forget (no wait, no error), for
comparison only. Importable only where monasca-api is installed.
"""
import os
import threading

import confluent_kafka
import falcon
from monasca_api.v2.reference import logs
from oslo_config import cfg

OPTS = [
    cfg.FloatOpt("timeout", default=5.0, min=0.1,
                 help="Seconds a publish may take before the request fails with 503"),
    cfg.IntOpt("linger_ms", default=5, min=0,
               help="librdkafka linger.ms: how long to wait for more messages before sending a batch"),
    cfg.IntOpt("batch_size", default=1000000, min=1,
               help="librdkafka batch.size: most bytes in one batch to a partition"),
]


class NotAcknowledged(Exception):
    pass


def options():
    cfg.CONF.register_opts(OPTS, group="kafka_producer")
    return cfg.CONF.kafka_producer


class AckedProducer:
    """One confluent-kafka producer per process, made at first use (gunicorn forks after loading the app)."""

    def __init__(self, servers, timeout, is_async=False, linger_ms=5, batch_size=1000000):
        self.timeout, self.is_async = timeout, is_async
        self.config = {
            "bootstrap.servers": servers,
            "enable.idempotence": True,  # acks=all; a retried batch is not written twice
            "message.timeout.ms": int(timeout * 1000),
            "linger.ms": linger_ms,
            "batch.size": batch_size,
        }
        self._producer, self._pid = None, None
        self._lock = threading.Lock()

    def producer(self):
        with self._lock:
            if self._pid != os.getpid():
                self._producer, self._pid = confluent_kafka.Producer(self.config), os.getpid()
            return self._producer

    def publish(self, topic, messages, key=None):
        """Send messages to topic; return once Kafka acknowledged all of them, else raise NotAcknowledged."""
        producer = self.producer()
        failures = []

        def delivered(error, _message):
            if error is not None:
                failures.append(error)

        try:
            for message in messages:
                producer.produce(topic, message.encode() if isinstance(message, str) else message, key,
                                 on_delivery=None if self.is_async else delivered)
                producer.poll(0)
        except BufferError as error:
            raise NotAcknowledged(f"the producer's queue to topic {topic} is full: {error}") from error
        if self.is_async:
            return
        # message.timeout.ms ends every delivery within the timeout; the extra
        # second covers the delivery reports themselves.
        unsent = producer.flush(self.timeout + 1)
        if any(error.fatal() for error in failures):
            self._pid = None  # a fatal error ends this producer; the next publish makes another
        if failures or unsent:
            reason = failures[0].str() if failures else f"no answer within {self.timeout} s"
            raise NotAcknowledged(f"Kafka did not acknowledge {len(failures) + unsent} of {len(messages)}"
                                  f" messages to topic {topic}: {reason}")


def unavailable(error):
    return falcon.HTTPServiceUnavailable(title="Service unavailable", description=str(error), retry_after=60)


def producer_from_config():
    conf = options()
    return AckedProducer(",".join(cfg.CONF.kafka.uri), conf.timeout, cfg.CONF.kafka.is_async,
                         conf.linger_ms, conf.batch_size)


class KafkaPublisher:
    """monasca-api's messaging driver (``send_message`` of one message or a list)."""

    def __init__(self, topic):
        self.topic = topic
        self._producer = producer_from_config()

    def send_message(self, message):
        try:
            self._producer.publish(self.topic, message if isinstance(message, list) else [message])
        except NotAcknowledged as error:
            # Not MessageQueueException: monasca-api turns that into a 503
            # with falcon 2's positional arguments, which falcon 3.1 takes as
            # headers and fails on, so the client got a 500.
            raise unavailable(error) from error

    def close(self):
        pass


class Logs(logs.Logs):
    """monasca-api's logs resource: 503 unless Kafka acknowledged the logs, 422 for logs it dropped."""

    def __init__(self):
        super().__init__()
        # Upstream's processor logs and swallows publishing errors and drops
        # invalid logs one by one, answering 204 all the same: its producer
        # is replaced by one that remembers, for this request, the error and
        # how many logs went out.
        self._request = threading.local()
        self._processor._kafka_publisher = _Remembering(producer_from_config(), self._request)

    def _get_logs(self, request_body):
        found = super()._get_logs(request_body)
        # Upstream's envelope needs each log's own dimensions: without them
        # the log was dropped (KeyError) though the API documents them optional.
        for log in found if isinstance(found, list) else []:
            if isinstance(log, dict):
                log.setdefault("dimensions", {})
        self._request.received = len(found) if isinstance(found, list) else 0
        return found

    def on_post(self, req, res):
        self._request.error, self._request.received, self._request.published = None, 0, 0
        super().on_post(req, res)
        if self._request.error is not None:
            raise unavailable(self._request.error)
        dropped = self._request.received - self._request.published
        if dropped > 0:
            raise falcon.HTTPUnprocessableEntity(
                title="Unprocessable Entity",
                description=f"{dropped} of {self._request.received} logs refused (each needs a 'message' and"
                            f" valid dimensions; the log-api's log says why); the other"
                            f" {self._request.published} were published")


class _Remembering:
    def __init__(self, producer, request):
        self.producer, self.request = producer, request

    def publish(self, topic, messages, key=None):
        try:
            self.producer.publish(topic, messages, key)
            self.request.published = len(messages)
        except NotAcknowledged as error:
            self.request.error = error
            raise
