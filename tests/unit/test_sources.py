"""The pip inputs a build context gets from a lock file."""
import pytest

from monasca_docker import sources
from monasca_docker.errors import UserError
from tests.support import ROOT

LOCK = """\
# Lock of monasca/api
monasca_api==11.0.0
oslo.config==9.6.0
Monasca-Common==3.8.0 ; python_version >= "3.8"
"""


def test_the_component_is_left_out_whatever_its_spelling():
    assert sources.constraints(LOCK, "monasca-api") == \
        'oslo.config==9.6.0\nMonasca-Common==3.8.0 ; python_version >= "3.8"\n'
    assert "oslo.config" not in sources.constraints(LOCK, "Oslo_Config")


def test_a_line_that_is_no_requirement_is_a_clear_error():
    with pytest.raises(UserError, match="not a requirement: '== 1.0'.*monasca-docker lock"):
        sources.constraints("== 1.0\n", "monasca-api")


@pytest.mark.parametrize("lock", sorted((ROOT / "locks").glob("*/*.txt")), ids=lambda p: p.parent.name + "/" + p.name)
def test_every_committed_lock_reads(lock):
    names = [sources.pinned_name(line) for line in sources.pins(lock.read_text())]
    assert names and len(names) == len(set(names))
