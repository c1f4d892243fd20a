"""monasca-start: what every start.sh does first, then exec the service.

1. Render each template folder's *.j2 into /etc/monasca, with each folder's
   defaults.yml as context (a parent image's folder first, so a child's
   defaults win): `templer -t -f`.
2. Wait for the dependencies /etc/monasca/wait.args names, one argument a
   line; passwords stay ${VAR} references that monasca-wait fills from the
   environment, out of files and process lists. Nothing to wait for when it
   holds only options.
3. Exec the command, if one is given, so that `docker stop` signals the
   service itself. An argument @FILE stands for FILE's words (a rendered
   JVM options or arguments file).

Without a command it returns after step 2, for start scripts with steps of
their own before their exec.
"""
import argparse
import os
import sys
from pathlib import Path

from . import templer, wait

def render(folders, destination):
    if not folders:
        return 0
    contexts = [arg for folder in folders if (folder / "defaults.yml").is_file()
                for arg in ("-c", str(folder / "defaults.yml"))]
    return templer.main(["-t", "-f", *contexts, *map(str, folders), str(destination)])


def wait_for(wait_args):
    if not wait_args.is_file():
        return 0
    args = [line.strip() for line in wait_args.read_text().splitlines() if line.strip()]
    if not any(not arg.startswith("--") for arg in args):
        return 0
    return wait.main(args)


def expand(command):
    """@FILE arguments replaced by FILE's whitespace-separated words."""
    return [word for arg in command
            for word in (Path(arg[1:]).read_text().split() if arg.startswith("@") else [arg])]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="monasca-start", description=__doc__.split("\n")[0])
    parser.add_argument("--templates", action="append", type=Path, default=[], metavar="DIR",
                        help="another template folder, rendered before the image's own (repeatable)")
    parser.add_argument("--config-dir", type=Path, default=Path("/etc/monasca"), metavar="DIR",
                        help="where the image keeps templates/ and renders to (default /etc/monasca)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the service and its arguments")
    args = parser.parse_args(argv)
    folders = [*args.templates, args.config_dir / "templates"]
    status = render([f for f in folders if f.is_dir()], args.config_dir) or wait_for(args.config_dir / "wait.args")
    if status or not args.command:
        return status
    command = expand(args.command[1:] if args.command[0] == "--" else args.command)
    sys.stdout.flush()
    os.execvp(command[0], command)


if __name__ == "__main__":
    sys.exit(main())
