"""templer: typed defaults, context files, directories and clean failures."""

import os
import stat
import textwrap

import pytest


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def ctx(tmp_path):
    return write(tmp_path / "ctx.yml", """\
        defaults:
          FLAG: true
          PORT: 8070
          RATIO: 0.5
          HOSTS: [a, b]
          NAME: monasca
        """)


def render(tool, tmp_path, template, *options, env=None):
    src = write(tmp_path / "t.j2", template)
    dest = tmp_path / "out"
    result = tool("templer", *options, src, dest, env=env)
    return result, dest


def test_env_false_overrides_true_default_as_python_false(tool, tmp_path, ctx):
    result, dest = render(tool, tmp_path, "{% if FLAG %}on{% else %}off{% endif %} {{ FLAG is sameas false }}",
                          "-c", ctx, env={"FLAG": "false"})
    assert result.returncode == 0, result.stderr
    assert dest.read_text() == "off True\n"


@pytest.mark.parametrize("value, expected", [("yes", "True"), ("0", "False"), ("Off", "False")])
def test_bool_words(tool, tmp_path, ctx, value, expected):
    result, dest = render(tool, tmp_path, "{{ FLAG }}", "-c", ctx, env={"FLAG": value})
    assert dest.read_text() == f"{expected}\n", result.stderr


def test_defaults_used_when_env_unset(tool, tmp_path, ctx):
    env = {name: None for name in ("FLAG", "PORT", "RATIO", "HOSTS", "NAME")}
    result, dest = render(tool, tmp_path, "{{ FLAG }} {{ PORT + 1 }} {{ RATIO * 2 }} {{ HOSTS | join('+') }} {{ NAME }}",
                          "-c", ctx, env=env)
    assert result.returncode == 0, result.stderr
    assert dest.read_text() == "True 8071 1.0 a+b monasca\n"


def test_env_values_take_the_defaults_types(tool, tmp_path, ctx):
    env = {"PORT": "9000", "RATIO": "1.5", "HOSTS": "k1:9092, k2:9092,k3:9092", "NAME": "42"}
    result, dest = render(
        tool, tmp_path,
        "{{ PORT + 1 }} {{ RATIO * 2 }} {{ HOSTS | length }} {{ HOSTS[1] }} {{ NAME ~ '!' }} {{ env.PORT ~ '0' }}",
        "-c", ctx, env=env)
    assert result.returncode == 0, result.stderr
    # The typed value wins for {{ PORT }}; {{ env.PORT }} stays the raw string.
    assert dest.read_text() == "9001 3.0 3 k2:9092 42! 90000\n"


def test_list_accepts_a_python_literal(tool, tmp_path, ctx):
    result, dest = render(tool, tmp_path, "{{ HOSTS | join('+') }}", "-c", ctx,
                          env={"HOSTS": '["x", "y"]'})
    assert dest.read_text() == "x+y\n", result.stderr


def test_type_mismatch_warns_and_keeps_string(tool, tmp_path, ctx):
    result, dest = render(tool, tmp_path, "port={{ PORT }}", "-c", ctx, env={"PORT": "abc"})
    assert result.returncode == 0
    assert dest.read_text() == "port=abc\n"
    assert "warning" in result.stderr and "PORT is not a valid int" in result.stderr


@pytest.mark.parametrize("name, value, kind", [("PORT", "abc", "int"), ("RATIO", "x1", "float"),
                                               ("FLAG", "maybe", "bool"), ("HOSTS", "[1,", "list")])
def test_type_mismatch_is_fatal_with_t(tool, tmp_path, ctx, name, value, kind):
    result, dest = render(tool, tmp_path, "x", "-t", "-c", ctx, env={name: value})
    assert result.returncode == 1
    assert f"{ctx}: {name} is not a valid {kind}" in result.stderr
    assert not dest.exists()


def test_env_var_as_name_and_as_env_attribute(tool, tmp_path):
    result, dest = render(tool, tmp_path, "{{ FOO }}/{{ env.FOO }}", env={"FOO": "bar"})
    assert result.returncode == 0, result.stderr
    assert dest.read_text() == "bar/bar\n"


def test_context_file_values_and_later_files_win(tool, tmp_path):
    vars_dir = tmp_path / "vars"
    write(vars_dir / "10-base.yml", "api:\n  port: 1\n  host: h\n")
    write(vars_dir / "20-site.yaml", "api:\n  port: 2\n")
    write(vars_dir / "ignored.txt", "api: [")
    result, dest = render(tool, tmp_path, "{{ api.host }}:{{ api.port }}", "-c", vars_dir)
    assert result.returncode == 0, result.stderr
    assert dest.read_text() == "h:2\n"


def test_dynamic_context_files_are_rendered_first(tool, tmp_path):
    ctx = write(tmp_path / "ctx.yml", """\
        kafka:
          uri: "{{ KAFKA_HOST }}:{{ env.KAFKA_PORT | default('9092') }}"
        {% if DEBUG == 'yes' %}
        level: DEBUG
        {% else %}
        level: INFO
        {% endif %}
        """)
    env = {"KAFKA_HOST": "kafka", "DEBUG": "yes", "KAFKA_PORT": None}
    result, dest = render(tool, tmp_path, "{{ kafka.uri }} {{ level }}", "-d", "-c", ctx, env=env)
    assert result.returncode == 0, result.stderr
    assert dest.read_text() == "kafka:9092 DEBUG\n"
    # Without -d the context is plain YAML and the braces are not rendered.
    result, dest = render(tool, tmp_path, "{{ kafka.uri }}", "-f", "-c", ctx, env=env)
    assert result.returncode == 1
    assert f"{ctx}:" in result.stderr and "invalid YAML" in result.stderr


def test_special_defaults_choice_list_variation(tool, tmp_path):
    ctx = write(tmp_path / "ctx.yml", """\
        defaults:
          LOG:
            type: choice
            default: info
            choices: [debug, info]
          SERVERS:
            type: list
            delimiter: ";"
            default: [a]
          LARGE:
            type: variation
            defaults:
              WORKERS: 8
        """)
    env = {"LOG": " DEBUG ", "SERVERS": "x; y", "LARGE": ""}
    result, dest = render(tool, tmp_path, "{{ LOG }} {{ SERVERS | join(',') }} {{ WORKERS * 2 }}",
                          "-c", ctx, env=env)
    assert result.returncode == 0, result.stderr
    assert dest.read_text() == "debug x,y 16\n"
    result, _ = render(tool, tmp_path, "x", "-f", "-c", ctx, env={**env, "LOG": "trace"})
    assert result.returncode == 1 and "LOG='trace' is not one of debug, info" in result.stderr


def test_directory_of_templates(tool, tmp_path):
    src = tmp_path / "templates"
    write(src / "api.conf.j2", "port={{ PORT }}\n")
    write(src / "sub" / "log.yaml.jinja2", "level: {{ LEVEL }}\n")
    write(src / "README", "not a template")
    dest = tmp_path / "etc"
    result = tool("templer", src, dest, env={"PORT": "8070", "LEVEL": "INFO"})
    assert result.returncode == 0, result.stderr
    assert sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file()) == [
        "api.conf", "sub/log.yaml"]
    assert (dest / "api.conf").read_text() == "port=8070\n"
    assert (dest / "sub" / "log.yaml").read_text() == "level: INFO\n"


def test_single_template_into_existing_directory_drops_suffix(tool, tmp_path):
    src = write(tmp_path / "a.conf.j2", "x")
    (tmp_path / "etc").mkdir()
    result = tool("templer", src, tmp_path / "etc")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "etc" / "a.conf").read_text() == "x\n"


def test_undefined_variable_is_an_error_naming_file_line_and_variable(tool, tmp_path):
    result, dest = render(tool, tmp_path, "a\nb={{ MISSING_VAR }}\n", env={"MISSING_VAR": None})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"templer: error: {tmp_path / 't.j2'}:2: undefined variable: 'MISSING_VAR' is undefined"]
    assert not dest.exists()


def test_undefined_env_attribute_is_an_error(tool, tmp_path):
    result, _ = render(tool, tmp_path, "{{ env.MISSING_VAR }}", env={"MISSING_VAR": None})
    assert result.returncode == 1 and "MISSING_VAR" in result.stderr


def test_ignore_undefined_renders_empty(tool, tmp_path):
    result, dest = render(tool, tmp_path, "[{{ MISSING_VAR }}][{{ nested.deeper.key }}]", "-i",
                          env={"MISSING_VAR": None})
    assert result.returncode == 0, result.stderr
    assert dest.read_text() == "[][]\n"


def test_mandatory_filter_fails_even_with_i(tool, tmp_path):
    result, _ = render(tool, tmp_path, "{{ SECRET | mandatory('set SECRET') }}", "-i",
                       env={"SECRET": None})
    assert result.returncode == 1 and "set SECRET" in result.stderr


def test_existing_destination_needs_force(tool, tmp_path):
    dest = write(tmp_path / "out", "old\n")
    result, _ = render(tool, tmp_path, "new")
    assert result.returncode == 1 and "use -f" in result.stderr
    assert dest.read_text() == "old\n"
    result, _ = render(tool, tmp_path, "new", "-f")
    assert result.returncode == 0 and dest.read_text() == "new\n"


def test_rendered_files_are_owner_only_whatever_the_umask(tool, tmp_path):
    """Rendered configurations hold passwords: 0600 by default, new or overwritten."""
    result, dest = render(tool, tmp_path, "password = s3cr3t")
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    dest.chmod(0o644)                   # e.g. left by an older templer
    result, _ = render(tool, tmp_path, "password = other", "-f")
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600 and dest.stat().st_uid == os.geteuid()


def test_m_sets_the_mode_of_every_rendered_file(tool, tmp_path):
    for name in ("a.conf.j2", "b.conf.j2"):
        write(tmp_path / "templates" / name, "x")
    result = tool("templer", "-m", "0640", tmp_path / "templates", tmp_path / "etc")
    assert result.returncode == 0, result.stderr
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "etc").iterdir()}
    assert modes == {"a.conf": 0o640, "b.conf": 0o640}


def test_a_refused_render_leaves_the_old_files_mode_alone(tool, tmp_path):
    dest = write(tmp_path / "out", "old\n")
    dest.chmod(0o640)
    result, _ = render(tool, tmp_path, "{{ MISSING }}", "-f")
    assert result.returncode == 1 and "MISSING" in result.stderr
    assert stat.S_IMODE(dest.stat().st_mode) == 0o640 and dest.read_text() == "old\n"


def test_symlinked_destination_is_written_through(tool, tmp_path):
    real = write(tmp_path / "config" / "api.conf", "old\n")
    link = tmp_path / "api.conf"
    link.symlink_to(real)
    result = tool("templer", "-f", write(tmp_path / "t.j2", "new"), link)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and real.read_text() == "new\n"


def test_remove_templates(tool, tmp_path):
    result, dest = render(tool, tmp_path, "x", "-r")
    assert result.returncode == 0 and dest.exists()
    assert not (tmp_path / "t.j2").exists()


def test_malformed_yaml_names_file_and_line_and_leaves_dest(tool, tmp_path):
    ctx = write(tmp_path / "bad.yml", "ok: 1\nbroken: [\n")
    dest = write(tmp_path / "out", "old\n")
    result, _ = render(tool, tmp_path, "x", "-f", "-c", ctx)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"templer: error: {ctx}:3:1: invalid YAML")
    assert dest.read_text() == "old\n"


def test_template_syntax_error_names_file_and_line_and_leaves_dest(tool, tmp_path):
    dest = write(tmp_path / "out", "old\n")
    result, _ = render(tool, tmp_path, "a\n\n{% if %}\n{% endif %}\n", "-f")
    assert result.returncode == 1
    assert result.stderr.startswith(f"templer: error: {tmp_path / 't.j2'}:3: template syntax error")
    assert dest.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_one_bad_template_in_a_directory_writes_nothing(tool, tmp_path):
    src = tmp_path / "templates"
    write(src / "a.j2", "fine")
    write(src / "b.j2", "{{ MISSING_VAR }}")
    result = tool("templer", src, tmp_path / "etc", env={"MISSING_VAR": None})
    assert result.returncode == 1 and "b.j2:1" in result.stderr
    assert not (tmp_path / "etc" / "a").exists()


def test_missing_template_and_context(tool, tmp_path):
    result = tool("templer", tmp_path / "nope.j2", tmp_path / "out")
    assert result.returncode == 1 and "nope.j2" in result.stderr
    result = tool("templer", "-c", tmp_path / "nope.yml", write(tmp_path / "t.j2", "x"), tmp_path / "out")
    assert result.returncode == 1 and "nope.yml: context file does not exist" in result.stderr
