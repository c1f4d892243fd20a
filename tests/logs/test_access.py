"""monasca-log-search's scope rules without a store: which indices a request may read, what a body may ask."""
import json

import pytest
from hypothesis import given, strategies as st

from monasca_log_persister import documents
from monasca_log_search import access

ME, OTHER = "aaaa1111", "bbbb2222"


@pytest.mark.parametrize("asked", [None, "", "*", "_all", "logs-*", "logs*", f"logs-{ME}*", ["*"]])
def test_everything_means_all_of_my_logs(asked):
    assert access.indices(asked, ME) == f"logs-{ME}-*"


def test_my_own_days_and_patterns_are_kept():
    assert access.indices(f"logs-{ME}-2026-11-28,logs-{ME}-2026.*", ME) == f"logs-{ME}-2026-11-28,logs-{ME}-2026.*"


@pytest.mark.parametrize("asked", [
    f"logs-{OTHER}-*", f"logs-{OTHER}-2026-11-28", f"logs-{ME}-*,logs-{OTHER}-*", f"logs-{ME}x-*",
    f"logs-{ME}-*:remote", f"logs-{ME}-2026,-logs-x", ".kibana", "_opendistro*", "<logs-{now/d}>", "l*",
    f"logs-{ME}-a*",
])
def test_another_projects_or_anything_else_is_refused_not_widened(asked):
    with pytest.raises(access.Refused) as refused:
        access.indices(asked, ME)
    assert refused.value.status == 403


def test_a_delegate_reads_every_project_but_only_log_indices():
    assert access.indices("*", None) == "logs-*"
    assert access.indices(f"logs-{OTHER}-*", None) == f"logs-{OTHER}-*"
    for asked in (".kibana", "logs-a,.security", "logs-*:remote"):
        with pytest.raises(access.Refused):
            access.indices(asked, None)


def test_a_project_with_odd_characters_gets_its_escaped_name():
    assert access.indices("*", "Proj-1") == "logs-_50roj_2d1-*"


def test_msearch_headers_are_rewritten_and_searches_checked():
    # monasca-tempest-plugin's body, leading blank line included.
    text = b'\n{"index" : "*", "search_type" : "dfs_query_then_fetch"}\n{"query" : {"match" : {"message":"x"}}}\n'
    lines = access.msearch(text, None, ME).decode().splitlines()
    assert json.loads(lines[0]) == {"index": f"logs-{ME}-*", "search_type": "dfs_query_then_fetch"}
    assert json.loads(lines[1]) == {"query": {"match": {"message": "x"}}}
    # a header without an index takes the path's, checked the same way
    with pytest.raises(access.Refused):
        access.msearch(b"{}\n{}\n", f"logs-{OTHER}-*", ME)
    with pytest.raises(access.Refused, match="pairs of lines"):
        access.msearch(b'{"index": "*"}\n', None, ME)


@pytest.mark.parametrize("search", [
    {"query": {"terms": {"user": {"index": "logs-bbbb2222-x", "id": "1", "path": "user"}}}},
    {"query": {"more_like_this": {"like": [{"_index": "logs-bbbb2222-x", "_id": "1"}]}}},
    {"query": {"bool": {"filter": [{"geo_shape": {"loc": {"indexed_shape": {"index": "s", "id": "2"}}}}]}}},
    {"pit": {"id": "abc"}},
])
def test_bodies_that_read_other_indices_are_refused(search):
    with pytest.raises(access.Refused) as refused:
        access.body(json.dumps(search))
    assert refused.value.status == 400


def test_ordinary_bodies_pass_and_unknown_parameters_are_named():
    search = {"query": {"match": {"index": "a field named index"}}, "aggs": {"index": {"terms": {"field": "x"}}}}
    assert access.body(json.dumps(search)) == search
    assert access.body(b"") == {}
    assert access.params({"size": "5", "q": "message:x"}) == {"size": "5", "q": "message:x"}
    with pytest.raises(access.Refused, match="source"):
        access.params({"source": '{"query": {}}', "size": "1"})


@given(st.text(min_size=1, max_size=30))
def test_persister_and_search_name_a_tenant_alike(tenant):
    # Tenant isolation rests on both sides computing the same name.
    assert documents.tenant_part(tenant) == access.tenant_part(tenant)
