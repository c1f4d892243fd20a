import datetime

import pytest

from monasca_docker import catalog, plan
from monasca_docker.errors import UserError
from monasca_docker.tags import Event

FAMILY = catalog.parse("""
[images.root]
repository = "x/root"
recipe = "rootfs"
title = "t"
description = "d"
[images.base]
repository = "x/base"
parent = "root"
title = "t"
description = "d"
[images.api]
repository = "x/api"
parent = "base"
title = "t"
description = "d"
component = "monasca-api"
version = "11.0.0"
[images.agent-base]
repository = "x/agent-base"
parent = "base"
title = "t"
description = "d"
component = "monasca-agent"
version = "10.0.0"
[images.statsd]
repository = "x/statsd"
parent = "agent-base"
title = "t"
description = "d"
[images.kafka]
repository = "x/kafka"
parent = "base"
title = "t"
description = "d"
""")


def test_a_change_to_one_leaf_rebuilds_only_it():
    assert plan.affected(FAMILY, ["images/api/start.sh"]) == ["root", "base", "api"]


def test_a_change_to_a_parent_rebuilds_its_children():
    got = plan.affected(FAMILY, ["images/agent-base/templates/agent.yaml.j2"])
    assert got == ["root", "base", "agent-base", "statsd"]


def test_a_change_to_monasca_base_rebuilds_every_child():
    got = plan.affected(FAMILY, ["images/base/toolkit/monasca_toolkit/wait.py"])
    assert set(got) == {"root", "base", "api", "agent-base", "statsd", "kafka"}


def test_what_a_change_rebuilds_leaves_out_the_ancestors_the_plan_only_checks():
    assert plan.rebuilt(FAMILY, ["images/api/start.sh"]) == ["api"]
    assert plan.rebuilt(FAMILY, ["images/agent-base/templates/agent.yaml.j2"]) == ["agent-base", "statsd"]
    assert set(plan.rebuilt(FAMILY, ["images/base/Dockerfile"])) == set(FAMILY) - {"root"}
    assert plan.rebuilt(FAMILY, ["README.md"]) == []


def test_a_lock_change_rebuilds_its_image_and_series_constraints_every_component():
    assert plan.affected(FAMILY, ["locks/2023.2/api.txt"]) == ["root", "base", "api"]
    assert set(plan.affected(FAMILY, ["locks/2023.2/series.txt"])) == \
        {"root", "base", "api", "agent-base", "statsd"}


def test_another_series_lock_rebuilds_none_of_this_series_images():
    assert plan.affected(FAMILY, ["locks/2023.1/api.txt", "locks/2023.1/series.txt"]) == []


def test_paths_outside_the_images_rebuild_nothing():
    assert plan.affected(FAMILY, ["README.md", "tests/unit/test_plan.py", "images/README"]) == []


def test_a_catalog_change_rebuilds_everything():
    assert len(plan.affected(FAMILY, ["images/catalog.toml"])) == len(FAMILY)


def test_events_other_than_change_rebuild_everything_parents_first():
    day, sha = datetime.date(2026, 11, 25), "0123456789abcdef0123456789abcdef01234567"
    for event in (Event("merge", ref="master", sha=sha, date=day), Event("tag", ref="11.0.0"),
                  Event("periodic", sha=sha, date=day)):
        the_plan = plan.for_event(FAMILY, event)
        assert [image.name for image in the_plan.images][:2] == ["root", "base"]
        assert {image.name for image in the_plan.images} == set(FAMILY)
        assert the_plan.changed is None


def test_a_plan_carries_the_changes_images_and_publication():
    the_plan = plan.for_event(FAMILY, Event("change", ref="refs/changes/45/12345/2"), ["images/statsd/start.sh"])
    assert the_plan.as_json() == {"event": "change", "ref": "refs/changes/45/12345/2",
                                  "changed": ["images/statsd/start.sh"],
                                  "build": ["root", "base", "agent-base", "statsd"], "tags": [], "promote": False}
    merge = plan.for_event(FAMILY, Event("merge", ref="stable/2023.2"))
    assert merge.publication.tags == ("2023.2", "bobcat")


def test_an_event_the_tag_policy_cannot_map_is_refused_before_any_build():
    with pytest.raises(UserError, match="sha"):
        plan.for_event(FAMILY, Event("merge", ref="master", sha="not-a-sha", date=datetime.date(2026, 1, 2)))
