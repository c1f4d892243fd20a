import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monasca_docker.errors import UserError
from monasca_docker.tags import TAG_GRAMMAR, Event, series_tags, tags_for

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


def test_newest_release_moves_its_lines_and_latest():
    assert tag("11.0.0", ["9.0.0", "10.0.1"]) == ("11.0.0", "11.0", "11", "latest")


def test_backport_moves_only_its_own_lines_never_latest():
    assert tag("9.0.1", ["9.0.0", "11.0.0"]) == ("9.0.1", "9.0", "9")
    assert tag("9.0.2", ["9.0.0", "9.1.0", "11.0.0"]) == ("9.0.2", "9.0")
    assert tag("9.0.2", ["9.0.3", "11.0.0"]) == ("9.0.2",)


def test_prereleases_and_other_tags_do_not_hold_a_line():
    assert tag("12.0.0", ["12.0.1.0rc1", "12.1.0rc1", "bobcat", "v13"]) == \
        ("12.0.0", "12.0", "12", "latest")


def test_prerelease_never_gets_latest():
    assert tag("12.0.0.0rc1", ["11.0.0"]) == ("12.0.0.0rc1",)
    assert tag("12.0.0rc1", []) == ("12.0.0rc1",)
    assert tag("12.0.0b2", []) == ("12.0.0b2",)


def test_malformed_version_is_refused():
    for text in ("v11", "v11.0.0", "11.0", "11.0.0-rc1", "11.0.0.post1", "011.0.0"):
        with pytest.raises(UserError, match=f"malformed release tag '{text}'"):
            tag(text)


def test_openstack_release_promotes_the_series():
    publication = tags_for(Event("release", ref="bobcat"))
    assert publication.tags == ("2023.2", "bobcat")
    assert publication.promote


def test_unknown_event_is_refused():
    with pytest.raises(UserError, match="unknown event 'push'"):
        tags_for(Event("push"))


def key(version):
    return tuple(map(int, version.split(".")))


# The tags a release may move, with how many leading numbers a release shares
# with it to be of that tag's line.
def moving(version):
    major, minor, _ = key(version)
    return ((f"{major}.{minor}", 2), (f"{major}", 1), ("latest", 0))


@given(st.lists(versions, max_size=8), versions)
def test_a_release_moves_a_tag_exactly_when_no_existing_release_of_its_line_is_higher(existing, new):
    got = tag(new, existing)
    assert got[0] == new
    for moved, width in moving(new):
        line = [old for old in existing if key(old)[:width] == key(new)[:width]]
        assert (moved in got) == all(key(new) >= key(old) for old in line), moved
    assert len(got) == 1 + sum(moved in got for moved, _ in moving(new))


@given(st.lists(versions, min_size=1, max_size=8))
def test_of_a_set_of_releases_tagged_in_any_order_the_highest_of_each_line_holds_its_tag(releases):
    """Replaying tags in order, the last to get a line's tag is that line's highest."""
    holders, seen = {}, []
    for version in releases:
        for moved in tag(version, seen)[1:]:
            holders[moved] = version
        seen.append(version)
    for version in releases:
        for moved, width in moving(version):
            line = [v for v in releases if key(v)[:width] == key(version)[:width]]
            assert key(holders[moved]) == max(map(key, line)), moved


@given(st.sampled_from(["master", "stable/2023.2", "stable/queens", "stable/2025.1"]),
       st.text("0123456789abcdef", min_size=40, max_size=40), st.dates())
def test_every_published_tag_fits_the_grammar(branch, sha, day):
    for published in tags_for(Event("merge", ref=branch, sha=sha, date=day)).tags:
        assert TAG_GRAMMAR.fullmatch(published)


def test_series_names_and_numbers_map_both_ways():
    assert series_tags("2023.2") == series_tags("bobcat") == ("2023.2", "bobcat")


@given(st.lists(versions, max_size=8), versions)
def test_every_tag_a_release_moves_fits_the_grammar(existing, new):
    for published in tag(new, existing):
        assert TAG_GRAMMAR.fullmatch(published)
