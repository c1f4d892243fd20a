"""`ci`'s time table: where a run's time went, read from the seconds it gathered."""
from monasca_docker.ci import time_table


def test_rows_are_largest_first_small_modules_are_one_row_and_the_total_closes():
    seconds = {"setup": 41.0, "build on this host": 300.4, "tests/engines/test_engines.py [sid]": 520.0,
               "tests/stack/test_tempest.py": 418.2, "tests/unit/test_plan.py": 1.5,
               "tests/unit/test_tags.py": 2.0, "pytest": 950.0, "total": 1300.0}
    lines = time_table(seconds).splitlines()
    assert lines[0] == "ci: time table"
    names = [line.rsplit("  ", 1)[0].strip() for line in lines[1:] if not line.startswith("-")]
    assert names == ["setup", "build on this host", "tests/engines/test_engines.py [sid]",
                     "tests/stack/test_tempest.py", "2 other test modules, under 10 s each",
                     "pytest itself (collection, reports)", "total"]
    assert lines[5].endswith("    4 s") and lines[6].endswith("    8 s")     # 3.5 rounds to 4; 950 - 941.7
    assert lines[-1].endswith(" 1300 s")
