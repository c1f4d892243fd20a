"""templer: render Jinja2 templates from environment variables and YAML context.

A drop-in for python-templer 1.1 (whose last release breaks on PyYAML 6)::

    templer [-c PATH]... [-d] [-t] [-i] [-f] [-r] [-m MODE] [-v]
            TEMPLATE [TEMPLATE ...] DESTINATION

Variables: every environment variable, as ``{{ FOO }}`` and ``{{ env.FOO }}``;
then each context file (``-c``, a YAML file or a directory searched for
``*.yml``/``*.yaml``, repeatable; later files win). A context file's
``defaults:`` mapping gives each variable a default whose type also types the
environment's value: ``FLAG: true`` with ``FLAG=false`` in the environment
renders as False, ``PORT: 8070`` parses ``PORT`` as an int, a list default
takes ``a,b,c`` (or a ``["a", "b"]`` literal). A value that does not parse is
kept as a string with a warning, or is an error with ``-t``. The special
defaults ``type: choice``, ``type: list`` (with ``delimiter``) and
``type: variation`` of python-templer work as there.

Options as in python-templer: ``-d`` renders the context files as templates
(with the environment) before parsing them; ``-i`` renders undefined
variables as empty instead of failing; ``-f`` overwrites existing files
(otherwise that is an error); ``-r`` deletes the templates after rendering;
``-m MODE`` sets the octal file mode of the rendered files; without it every
rendered file, new or overwritten, is 0600 (python-templer: 0666 less the
umask), because rendered configurations hold passwords.

A TEMPLATE that is a directory is searched for ``*.j2``/``*.jinja2``; each is
rendered into DESTINATION (a directory) at the same relative path without the
suffix. So is a single template whose DESTINATION is an existing directory.

Every template is rendered before anything is written, and each file is
written to a temporary file that is then renamed: an error leaves every
destination as it was. Errors are one line on stderr naming the file and,
where known, the line; the exit status is then 1.
"""

import argparse
import ast
import os
import sys
import tempfile
import traceback

import jinja2
import yaml

TEMPLATE_SUFFIXES = (".j2", ".jinja2")
CONTEXT_SUFFIXES = (".yml", ".yaml")
DEFAULT_MODE = 0o600              # of every rendered file without -m
_TRUE = {"true", "t", "yes", "y", "on", "1"}
_FALSE = {"false", "f", "no", "n", "off", "0"}


class TemplerError(Exception):
    """A user-facing error; its text is the whole message."""


def warn(message):
    print(f"templer: warning: {message}", file=sys.stderr)


def merge(base, override):
    """Recursive dict merge; ``override`` wins on conflicts."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            value = merge(merged[key], value)
        merged[key] = value
    return merged


# --- rendering -------------------------------------------------------------

def _mandatory(value, message=None):
    """python-templer's ``mandatory`` filter: fail even under -i."""
    if isinstance(value, jinja2.Undefined):
        raise jinja2.UndefinedError(message or f"{value._undefined_name!r} is mandatory")
    return value


def _where(path, exc):
    """``file:line`` of the innermost template frame of a render error."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if not frame.filename.endswith(".py") and not frame.filename.startswith("<"):
            name = path if frame.filename == os.path.abspath(path) else frame.filename
            return f"{name}:{frame.lineno}"
    return path


def environment_for(directory, ignore_undefined=False):
    """The Jinja2 environment templates of ``directory`` render in (filters included)."""
    environment = jinja2.Environment(
        # The loader makes tracebacks carry file names and lets templates
        # {% include %} their neighbours.
        loader=jinja2.FileSystemLoader(directory),
        undefined=jinja2.ChainableUndefined if ignore_undefined else jinja2.StrictUndefined)
    environment.filters["mandatory"] = _mandatory
    return environment


def render(path, context, ignore_undefined):
    """Render the template file at ``path``; TemplerError on any failure."""
    directory, name = os.path.split(os.path.abspath(path))
    environment = environment_for(directory, ignore_undefined)
    try:
        # python-templer always ended the output with one newline.
        return environment.get_template(name).render(context) + "\n"
    except jinja2.TemplateSyntaxError as exc:
        where = path if exc.filename == os.path.abspath(path) else exc.filename
        raise TemplerError(f"{where}:{exc.lineno}: template syntax error: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise TemplerError(f"{_where(path, exc)}: template not found: {exc.name}") from None
    except jinja2.UndefinedError as exc:
        raise TemplerError(f"{_where(path, exc)}: undefined variable: {exc.message}") from None
    except UnicodeDecodeError:
        raise TemplerError(f"{path}: not UTF-8 text") from None
    except Exception as exc:  # e.g. a filter applied to the wrong type
        raise TemplerError(f"{_where(path, exc)}: {type(exc).__name__}: {exc}") from None


# --- context ---------------------------------------------------------------

def _coerce(name, raw, default, path, strict):
    """The environment value ``raw`` parsed to the type of ``default``."""
    kind = type(default)
    try:
        if kind is bool:
            word = raw.strip().lower()
            if word not in _TRUE | _FALSE:
                raise ValueError
            return word in _TRUE
        if kind in (int, float):
            return kind(raw.strip())
        if kind is list:
            text = raw.strip()
            if text.startswith("["):
                value = ast.literal_eval(text)
                if not isinstance(value, list):
                    raise ValueError
                return value
            return [item.strip() for item in text.split(",") if item.strip()]
        return raw
    except (ValueError, SyntaxError):
        message = f"{path}: {name} is not a valid {kind.__name__} (its default is {default!r})"
        if strict:
            raise TemplerError(message) from None
        warn(message + "; keeping the string")
        return raw


def _special(name, spec, env, path, strict):
    """python-templer's special defaults, selected by ``type:``."""
    kind = spec.get("type")
    try:
        if kind == "choice":
            if name not in env:
                return {name: spec["default"]}
            value = env[name].strip() if spec.get("strip", True) else env[name]
            fold = (lambda s: s) if spec.get("case_sensitive") else str.casefold
            for choice in spec["choices"]:
                if fold(str(choice)) == fold(value):
                    return {name: choice}
            raise TemplerError(f"{path}: {name}={value!r} is not one of "
                               f"{', '.join(map(str, spec['choices']))}")
        if kind == "list":
            if name not in env:
                return {name: spec["default"]}
            items = env[name].split(spec["delimiter"])
            return {name: [i.strip() for i in items] if spec.get("strip", True) else items}
        if kind == "variation":
            return parse_defaults(spec["defaults"], env, path, strict) if name in env else {}
    except KeyError as exc:
        raise TemplerError(f"{path}: default {name} of type {kind} needs {exc}") from None
    raise TemplerError(f"{path}: default {name}: unknown type {kind!r} "
                       "(use choice, list or variation)")


def parse_defaults(defaults, env, path, strict):
    """The ``defaults:`` section: each value from the environment, typed, or its default."""
    if not isinstance(defaults, dict) or not defaults:
        raise TemplerError(f"{path}: 'defaults' must be a non-empty mapping")
    result = {}
    for name, default in defaults.items():
        if isinstance(default, dict):
            result = merge(result, _special(name, default, env, path, strict))
        elif default is None:
            raise TemplerError(f"{path}: default {name} must not be null")
        else:
            result[name] = _coerce(name, env[name], default, path, strict) if name in env else default
    return result


def load_context_file(path, env, options):
    if options.dynamic_contextfiles:
        text = render(path, {**env, "env": env}, options.ignore_undefined_variables)
    else:
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise TemplerError(f"{path}: cannot read: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
        problem = getattr(exc, "problem", None) or exc
        raise TemplerError(f"{where}: invalid YAML: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise TemplerError(f"{path}: a context file must hold a mapping")
    defaults = data.pop("defaults", None)
    if defaults is not None:
        data = merge(data, parse_defaults(defaults, env, path, options.defaults_type_check))
    return data


def _find(path, suffixes):
    """Files under directory ``path`` ending in ``suffixes``, sorted, relative."""
    found = []
    for root, _, names in os.walk(path):
        found += [os.path.relpath(os.path.join(root, n), path)
                  for n in names if n.endswith(suffixes)]
    return sorted(found)


def build_context(paths, env, options):
    files = []
    for path in paths:
        if os.path.isdir(path):
            files += [os.path.join(path, f) for f in _find(path, CONTEXT_SUFFIXES)]
        elif os.path.isfile(path):
            files.append(path)
        else:
            raise TemplerError(f"{path}: context file does not exist")
    if paths and not files:
        raise TemplerError("no context files (*.yml, *.yaml) found in "
                           + ", ".join(paths))
    context = dict(env)
    for path in files:
        context = merge(context, load_context_file(path, env, options))
    context["env"] = env
    return context


# --- files -----------------------------------------------------------------

def _strip_suffix(name):
    for suffix in TEMPLATE_SUFFIXES:
        if name.endswith(suffix):
            return name[:-len(suffix)]
    return name


def destinations(templates, destination):
    """(template, destination file) pairs, as python-templer lays them out."""
    single_file = len(templates) == 1 and not os.path.isdir(templates[0])
    if single_file and not os.path.isdir(destination):
        return [(templates[0], destination)]
    if os.path.exists(destination) and not os.path.isdir(destination):
        raise TemplerError(f"{destination}: must be a directory when rendering "
                           "several templates or a directory")
    pairs = []
    for template in templates:
        if os.path.isdir(template):
            pairs += [(os.path.join(template, rel), os.path.join(destination, _strip_suffix(rel)))
                      for rel in _find(template, TEMPLATE_SUFFIXES)]
        elif os.path.isfile(template):
            pairs.append((template, os.path.join(
                destination, _strip_suffix(os.path.basename(template)))))
        else:
            raise TemplerError(f"{template}: template does not exist")
    if not pairs:
        raise TemplerError("no templates (*.j2, *.jinja2) found in " + ", ".join(templates))
    return pairs


def _check_destination(dest, force):
    if os.path.isdir(dest):
        raise TemplerError(f"{dest}: destination exists and is not a file")
    if os.path.exists(dest) and not force:
        raise TemplerError(f"{dest}: destination already exists; use -f to overwrite it")


def _apply_attributes(tmp, dest, mode):
    """Give the new file its mode: ``mode``, else 0600 (owner only).

    Rendered configurations hold passwords and are read by the service user
    that renders them (every image runs as one user), so nobody else needs
    them; ``-m`` opens a file up on purpose. Run as root over a file another
    user owns, the file keeps that owner: the service must still read it.
    """
    os.chmod(tmp, DEFAULT_MODE if mode is None else mode)
    try:
        current = os.stat(dest)
    except FileNotFoundError:
        return
    if os.geteuid() == 0 and (current.st_uid, current.st_gid) != (0, 0):
        os.chown(tmp, current.st_uid, current.st_gid)


def write_atomically(dest, content, mode):
    # Write through a symlink, as python-templer's in-place write did, rather
    # than replacing the link with a file.
    dest = os.path.realpath(dest)
    directory = os.path.dirname(dest)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(dest)}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        _apply_attributes(tmp, dest, mode)
        os.replace(tmp, dest)
    except BaseException:
        os.unlink(tmp)
        raise


# --- command line ----------------------------------------------------------

def _mode(text):
    try:
        return int(text, 8)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an octal file mode: {text!r}") from None


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="templer", description="Render Jinja2 templates from the environment "
        "and YAML context files (python-templer compatible).")
    parser.add_argument("-c", "--contextfile", "--context", dest="contextfiles",
                        action="append", default=[], metavar="PATH",
                        help="YAML context file or directory of *.yml/*.yaml (repeatable)")
    parser.add_argument("-d", "--dynamic-contextfiles", action="store_true",
                        help="render the context files as templates before parsing them")
    parser.add_argument("-t", "--defaults-type-check", action="store_true",
                        help="fail if an environment value does not parse as its default's type")
    parser.add_argument("-i", "--ignore-undefined-variables", action="store_true",
                        help="render undefined variables as empty instead of failing")
    parser.add_argument("-f", "--force", action="store_true", help="overwrite existing files")
    parser.add_argument("-r", "--remove-templates", action="store_true",
                        help="delete the templates after rendering")
    parser.add_argument("-m", "--mode", type=_mode, metavar="MODE",
                        help="octal file mode of the rendered files, e.g. 0640")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="print each file created")
    parser.add_argument("templates", nargs="+", metavar="TEMPLATE")
    parser.add_argument("destination", metavar="DESTINATION")
    return parser.parse_args(argv)


def run(options, env):
    context = build_context(options.contextfiles, env, options)
    pairs = destinations(options.templates, options.destination)
    rendered = [(src, dest, render(src, context, options.ignore_undefined_variables))
                for src, dest in pairs]
    for _, dest, _ in rendered:
        _check_destination(dest, options.force)
    for src, dest, content in rendered:
        write_atomically(dest, content, options.mode)
        if options.verbose:
            print(f"templer: created {dest} from {src}")
    if options.remove_templates:
        for src, _ in pairs:
            os.remove(src)


def main(argv=None):
    options = parse_args(argv)
    try:
        run(options, dict(os.environ))
    except TemplerError as exc:
        print(f"templer: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"templer: error: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
