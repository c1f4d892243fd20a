"""build._schedule: which image builds when, and what a failure skips (the builds themselves are
stand-ins here; tests/image and tests/engines build the real images)."""
import threading

from monasca_docker import build, catalog

from .test_catalog import WITH_BUILDER

SLOW = WITH_BUILDER + """
[images.slow]
repository = "x/slow"
parent = "base"
title = "slow"
description = "slow"
"""


def schedule(build_one, jobs=2):
    order = catalog.build_order(catalog.parse(SLOW))
    skipped = []
    outcomes = build._schedule(order, jobs, build_one, lambda image, outcome: skipped.append(image.name))
    return outcomes, skipped


def test_an_image_builds_once_what_it_needs_is_built_not_when_its_level_is():
    notification_built = threading.Event()

    def build_one(image):
        if image.name == "slow":
            # notification (builder's child, one level deeper) is built while slow still builds
            assert notification_built.wait(timeout=10), "notification waited for slow"
        if image.name == "notification":
            notification_built.set()
        return build.Outcome(image.ref, "built", 0.0)

    outcomes, skipped = schedule(build_one)
    assert {name: outcome.status for name, outcome in outcomes.items()} == dict.fromkeys(
        ["root", "base", "api", "client", "builder", "notification", "slow"], "built")
    assert skipped == []


def test_a_failed_image_skips_what_needs_it_and_the_rest_builds():
    started = []

    def build_one(image):
        started.append(image.name)
        return build.Outcome(image.ref, "failed" if image.name == "builder" else "built", 0.0, "boom")

    outcomes, skipped = schedule(build_one, jobs=1)
    assert outcomes["notification"].status == "skipped"
    assert outcomes["notification"].error == "builder did not build"
    assert skipped == ["notification"] and "notification" not in started
    assert all(outcomes[name].status == "built" for name in ("root", "base", "api", "client", "slow"))


def test_parents_build_before_their_children_one_job_at_a_time():
    started = []
    outcomes, _ = schedule(lambda image: started.append(image.name) or build.Outcome(image.ref, "built", 0.0), jobs=1)
    assert started.index("root") < started.index("base") < started.index("builder") < started.index("notification")
    assert len(started) == len(outcomes) == 7
