"""`leveret run TARGET` when the target is not a good one: a directory is named as one (with the
.py files in it), an app file with a syntax error or one that fails on import is shown as Python
says it, with the file's frames only (not the CLI's nor importlib's)."""

import secrets

from click.testing import CliRunner

from leveret.cli.main import cli


def _run(*args):
    return CliRunner().invoke(cli, ["run", *args])


def test_a_directory_is_named_as_one_with_the_files_it_holds(tmp_path):
    (tmp_path / "app.py").write_text("")
    result = _run(str(tmp_path))
    assert result.exit_code == 2
    assert f"{tmp_path} is a directory: give the .py file in it that defines the app (it holds app.py)" in result.output


def test_a_syntax_error_shows_the_files_line_and_nothing_of_the_cli(tmp_path):
    path = tmp_path / f"broken_{secrets.token_hex(4)}.py"
    path.write_text("import leveret\napp = leveret.App('x')\ndef f(:\n    pass\n")
    result = _run(str(path))
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {path} could not be imported:\n  File \"{path}\", line 3\n")
    assert "SyntaxError: invalid syntax" in result.output and "importlib" not in result.output
    assert "leveret/cli" not in result.output


def test_an_error_on_import_shows_the_files_frames_only(tmp_path):
    path = tmp_path / f"fails_{secrets.token_hex(4)}.py"
    path.write_text("import leveret\napp = leveret.App('x')\ndef g():\n    return undefined_name\ng()\n")
    result = _run(str(path))
    assert result.exit_code == 1
    frames = [line for line in result.output.splitlines() if line.strip().startswith("File ")]
    assert frames == [f'  File "{path}", line 5, in <module>', f'  File "{path}", line 4, in g'], result.output
    assert result.output.rstrip().endswith("NameError: name 'undefined_name' is not defined")
