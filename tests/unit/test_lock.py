"""What `monasca-docker lock` resolves with: OpenStack's upper constraints, less what the series' own file replaces."""
from monasca_docker import lock


def test_a_pin_of_the_series_file_replaces_the_upper_constraints_pin(tmp_path):
    upper = tmp_path / "upper-constraints.txt"
    upper.write_text("# OpenStack's\ncassandra-driver===3.25.0\nconfluent_kafka===1.9.2;python_version>='3.8'\n"
                     "six===1.16.0\n")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    kept = lock.without(upper, {"cassandra-driver", "confluent-kafka"}, scratch)
    assert kept.read_text() == "# OpenStack's\nsix===1.16.0\n"
    assert upper.read_text().count("===") == 3        # the reference file itself is left alone

