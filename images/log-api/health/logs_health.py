"""/healthcheck of the logs-only monasca-api (the monasca/log-api image).

monasca-api's own health resource checks the metrics topics, MySQL and the
metrics store, none of which a logs-only API uses (and it cannot even be
created without a [database] connection). This one checks what the logs API
needs: Kafka answers and every [kafka] logs_topics topic exists.

GET answers 200 or 503 with a JSON body; HEAD answers 204 without checking.
monasca-api loads it through `[dispatcher] healthchecks`.
"""
import json

import falcon
from confluent_kafka.admin import AdminClient
from oslo_config import cfg
from oslo_log import log

from monasca_api.api import healthcheck_api

LOG = log.getLogger(__name__)
CONF = cfg.CONF

TIMEOUT = 3.0
CACHE_CONTROL = ['must-revalidate', 'no-cache', 'no-store']


def kafka_status():
    """(healthy, message) for the brokers and the logs topics."""
    brokers = ','.join(CONF.kafka.uri)
    try:
        client = AdminClient({'bootstrap.servers': brokers,
                              'socket.timeout.ms': int(TIMEOUT * 1000)})
        topics = client.list_topics(timeout=TIMEOUT).topics
    except Exception as exc:  # any client failure is an unhealthy answer
        LOG.warning('Kafka health check failed: %s', exc)
        return False, 'cannot reach Kafka at %s: %s' % (brokers, exc)
    missing = [t for t in CONF.kafka.logs_topics if t not in topics]
    if missing:
        return False, 'Kafka topic(s) missing: %s' % ', '.join(missing)
    return True, 'OK'


class LogsHealthCheck(healthcheck_api.HealthCheckApi):

    def on_head(self, req, res):
        res.status = falcon.HTTP_NO_CONTENT
        res.cache_control = CACHE_CONTROL

    def on_get(self, req, res):
        healthy, message = kafka_status()
        res.status = falcon.HTTP_OK if healthy else falcon.HTTP_SERVICE_UNAVAILABLE
        res.cache_control = CACHE_CONTROL
        res.content_type = 'application/json'
        res.text = json.dumps({'kafka': message})
