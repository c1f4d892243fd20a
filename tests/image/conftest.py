import pytest

from tests.support import build


@pytest.fixture(scope="session")
def base_image():
    """monasca/base, built by the CLI (a no-op when its inputs are unchanged)."""
    build("base")
    return "monasca/base:latest"


@pytest.fixture(scope="session")
def ingest_deps(base_image):
    """Kafka, InfluxDB, MariaDB, Keystone and memcached for the api and log-api ingest tests (tests/image/ingest.py)."""
    from tests.image.ingest import start_deps
    yield from start_deps()
