import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monasca_docker.errors import UserError
from monasca_docker.tags import TAG_GRAMMAR, Event, sanitise, series_tags, tags_for

DAY = datetime.date(2026, 11, 25)
SHA = "0123456789abcdef0123456789abcdef01234567"
versions = st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(0, 30)).map(
    lambda v: ".".join(map(str, v)))


def tag(version, releases=()):
    return tags_for(Event("tag", ref=version, releases=tuple(releases))).tags


def test_change_under_review_publishes_nothing():
    assert not tags_for(Event("change", ref="refs/changes/45/12345/2", sha=SHA)).publishes


def test_periodic_publishes_nothing():
    assert not tags_for(Event("periodic", sha=SHA, date=DAY)).publishes


def test_merge_to_master():
    assert tags_for(Event("merge", ref="master", sha=SHA, date=DAY)).tags == \
        ("master", "master-20261125-0123456")


def test_merge_to_master_without_sha_or_date_is_refused():
    with pytest.raises(UserError, match="sha"):
        tags_for(Event("merge", ref="master", sha="not-a-sha", date=DAY))
    with pytest.raises(UserError, match="date"):
        tags_for(Event("merge", ref="master", sha=SHA))


def test_merge_to_stable_branch_gives_series_number_and_name():
    assert tags_for(Event("merge", ref="stable/2023.2")).tags == ("2023.2", "bobcat")
    assert tags_for(Event("merge", ref="stable/queens")).tags == ("queens",)
    assert tags_for(Event("merge", ref="stable/rocky")).tags == ("rocky",)


def test_unknown_branch_kind_is_refused():
    with pytest.raises(UserError, match="cannot map a merge to branch 'feature/x'"):
        tags_for(Event("merge", ref="feature/x", sha=SHA, date=DAY))
    with pytest.raises(UserError, match="unknown OpenStack series 'stable-ish'"):
        tags_for(Event("merge", ref="stable/stable-ish"))


def test_newest_release_gets_latest():
    assert tag("11.0.0", ["9.0.0", "10.0.1"]) == ("11.0.0", "latest")


def test_backport_tag_never_moves_latest():
    assert tag("9.0.1", ["9.0.0", "11.0.0"]) == ("9.0.1",)


def test_prerelease_never_gets_latest():
    assert tag("12.0.0.0rc1", ["11.0.0"]) == ("12.0.0.0rc1",)
    assert tag("12.0.0rc1", []) == ("12.0.0rc1",)


def test_malformed_version_is_refused():
    with pytest.raises(UserError, match="malformed release tag 'v11'"):
        tag("v11")


def test_openstack_release_promotes_the_series():
    publication = tags_for(Event("release", ref="bobcat"))
    assert publication.tags == ("2023.2", "bobcat")
    assert publication.promote


def test_unknown_event_is_refused():
    with pytest.raises(UserError, match="unknown event 'push'"):
        tags_for(Event("push"))


@given(st.lists(versions, max_size=8), versions)
def test_latest_goes_to_a_release_exactly_when_no_existing_release_is_higher(existing, new):
    def key(v):
        return tuple(map(int, v.split(".")))
    got = tag(new, existing)
    assert got[0] == new
    assert ("latest" in got) == all(key(new) >= key(old) for old in existing)


@given(st.lists(versions, min_size=1, max_size=8))
def test_of_a_set_of_releases_tagged_in_any_order_the_highest_is_latest_last(releases):
    """Replaying tags in order, the last one to get `latest` is the highest."""
    holder, seen = None, []
    for version in releases:
        if "latest" in tag(version, seen):
            holder = version
        seen.append(version)
    assert tuple(map(int, holder.split("."))) == max(tuple(map(int, v.split("."))) for v in releases)


@given(st.sampled_from(["master", "stable/2023.2", "stable/queens", "stable/2025.1"]),
       st.text("0123456789abcdef", min_size=40, max_size=40), st.dates())
def test_every_published_tag_fits_the_grammar(branch, sha, day):
    for published in tags_for(Event("merge", ref=branch, sha=sha, date=day)).tags:
        assert TAG_GRAMMAR.fullmatch(published)


@given(st.text(min_size=1, max_size=200))
def test_sanitise_gives_a_valid_tag_or_a_clear_error(text):
    try:
        assert TAG_GRAMMAR.fullmatch(sanitise(text))
    except UserError as exc:
        assert "cannot be made a valid tag" in str(exc)


def test_series_names_and_numbers_map_both_ways():
    assert series_tags("2023.2") == series_tags("bobcat") == ("2023.2", "bobcat")
