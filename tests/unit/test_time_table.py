"""What `ci` prints last: the time table (where a run's time went, read from the seconds it
gathered) and the failed tests."""
from monasca_docker.ci import failures, time_table


def test_modules_largest_first_small_modules_as_one_row_then_the_lanes_and_the_total_last():
    seconds = {"setup": 41.0, "build on this host": 300.4, "pytest, engines lane": 700.0,
               "pytest, host lane": 950.0, "tests/engines/test_engines.py [sid]": 520.0,
               "tests/stack/test_tempest.py": 418.2, "tests/unit/test_plan.py": 1.5,
               "tests/unit/test_tags.py": 2.0, "total": 1300.0}
    lines = time_table(seconds).splitlines()
    assert lines[0] == "ci: time table"
    names = [line.rsplit("  ", 1)[0].strip() for line in lines[1:] if not line.startswith("-")]
    assert names == ["tests/engines/test_engines.py [sid]", "tests/stack/test_tempest.py",
                     "2 other test modules, under 10 s each", "setup", "build on this host",
                     "pytest, engines lane", "pytest, host lane", "total"]
    assert lines[1].startswith("  tests/engines/") and lines[3].endswith("    4 s")   # 3.5 rounds to 4
    assert lines[-1].endswith(" 1300 s")


def test_failures_name_each_test_with_the_first_and_last_lines_of_its_error():
    text = failures({"tests/a.py::test_x (call)": "AssertionError: one\ntwo\nthree\nfour",
                     "tests/b.py::test_y (setup)": "TimeoutError\nafter 5 s",
                     "tests/c.py::test_z (call)": "AssertionError: a\nb\nc"})
    assert text.splitlines() == ["ci: 3 tests failed:", "  tests/a.py::test_x (call)", "    AssertionError: one",
                                 "    three", "    four", "  tests/b.py::test_y (setup)", "    TimeoutError",
                                 "    after 5 s", "  tests/c.py::test_z (call)", "    AssertionError: a", "    b",
                                 "    c"]
