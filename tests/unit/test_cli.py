"""The CLI's conventions for people and scripts: --version, --json, help on every option."""
import argparse
import json
import subprocess

from monasca_docker import __version__, catalog, cli, git

from ..support import CLI, ROOT


def run(*args):
    return subprocess.run([CLI, *args], cwd=ROOT, capture_output=True, text=True)


def test_version_names_the_release_and_a_commit_of_this_checkout():
    done = run("--version")
    assert done.returncode == 0, done.stderr
    name, release, revision = done.stdout.split(maxsplit=2)
    assert (name, release) == ("monasca-docker", __version__)
    commit = revision.removeprefix("(revision ").removesuffix(")\n").removesuffix("-dirty")
    assert git.has_commit(ROOT, commit), done.stdout


def test_list_json_has_one_record_of_fixed_keys_an_image():
    done = run("list", "--json")
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)
    images = catalog.load(ROOT)
    assert [record["name"] for record in records] == list(images)
    keys = {"name", "image", "parent", "builder", "component", "version", "description"}
    assert all(set(record) == keys for record in records), records[0]
    api = next(record for record in records if record["name"] == "api")
    assert (api["image"], api["parent"], api["component"]) == ("monasca/api:latest", "base", "monasca-api")
    # a script can walk the tree: every parent is a listed name
    assert {record["parent"] for record in records} - {None} <= {record["name"] for record in records}


def every_action(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from ((f"{name} {option}", help_) for option, help_ in every_action(sub))
        elif not isinstance(action, argparse._HelpAction):
            yield "/".join(action.option_strings) or action.dest, action.help


def test_every_option_and_argument_has_help():
    missing = [option for option, help_ in every_action(cli.parser()) if not help_]
    assert missing == []
