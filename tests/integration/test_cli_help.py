"""The help of `extractor` as a whole: no Python type names, an example and the exit codes on every command, one
--db on every command that touches the database, --version, -v/-q anywhere, a crash is exit 3."""

from __future__ import annotations

import logging
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from extractor import __version__
from extractor.cli import app, command_paths, help_type

runner = CliRunner()
LEAVES = [path for path, _ in command_paths(app)]
GROUPS = sorted({path.split(" ")[0] for path in LEAVES if " " in path})
# Python in help: <list[Path]>, <bool>, <str>, {paths}, NoneType, Optional[…]
PYTHON = re.compile(r"<[a-z][^>]*>|\blist\[|\b(bool|str|int|float|NoneType|Optional|Path|Annotated)\b|\{\w+\}")
DATABASE_COMMANDS = ["backfill", "export", "report", "db upgrade", "db status", "db failures", "serve", "worker", "export-gold",
                     "user create", "user password", "user disable", "user enable", "token create", "token list",
                     "token revoke"]


def _help(path: str) -> str:
    result = runner.invoke(app, [*path.split(), "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return result.output


def test_every_command_is_listed() -> None:
    assert {"run", "check", "backfill", "export", "db status", "user create", "templates list", "eval"} <= set(LEAVES)


@pytest.mark.parametrize("path", ["", *GROUPS, *LEAVES])
def test_help_has_no_python_type_names(path: str) -> None:
    text = _help(path)
    assert not PYTHON.search(text), (path, PYTHON.search(text))


@pytest.mark.parametrize("path", LEAVES)
def test_every_command_shows_an_example_and_the_exit_codes(path: str) -> None:
    text = " ".join(_help(path).split())
    assert f"Example: extractor {path}" in text
    assert "Exit codes: 0 ok" in text and "2 usage" in text and "3 internal error" in text
    assert "-v" in text and "-q" in text


@pytest.mark.parametrize("path", DATABASE_COMMANDS)
def test_every_command_that_touches_the_database_takes_db(path: str) -> None:
    assert "--db" in _help(path) and "URL" in _help(path)


def test_choices_are_shown_as_choices() -> None:
    export = _help("export")
    assert "[xlsx|csv|jsonl]" in export and "[ok|needs_review]" in export and "[utf-8|gb18030]" in export
    assert "[local|ray]" in _help("backfill") and "[table|text|json|jsonl]" in _help("run")


def test_help_types_in_words() -> None:
    assert help_type("<list[Path]>") == "PATH" and help_type("<bool>") is None and help_type("<str>") == "TEXT"
    assert help_type("<int range>") == "INTEGER" and help_type("<a|b>") == "[a|b]"


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"extractor {__version__}"


@pytest.fixture
def project_log_level():
    """The extractor logger's level put back after a test that runs -v/-q in this process."""
    logger = logging.getLogger("extractor")
    level = logger.level
    yield
    logger.setLevel(level)


def test_verbose_and_quiet_work_after_the_command_and_concern_the_project_only(tmp_path, project_log_level) -> None:
    missing = str(tmp_path / "missing.json")
    for args in (["check", missing, "-v"], ["-v", "check", missing]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and "No such option" not in result.output, result.output
        assert logging.getLogger("extractor").isEnabledFor(logging.DEBUG)
        assert not logging.getLogger("PIL.PngImagePlugin").isEnabledFor(logging.DEBUG)
    assert runner.invoke(app, ["check", missing, "-q"]).exit_code == 2
    assert not logging.getLogger("extractor").isEnabledFor(logging.WARNING)
    assert runner.invoke(app, ["check", missing, "--", "-v"]).exit_code != 0  # after `--` it is an argument


def test_a_crash_is_an_internal_error_exit_3_not_a_failed_document() -> None:
    script = ("from extractor.cli import app\n"
              "@app.command('boom')\n"
              "def boom() -> None:\n"
              "    raise RuntimeError('a bug')\n"
              "app(['boom'])\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 3, proc.stderr
    assert "RuntimeError: a bug" in proc.stderr and "internal error" in proc.stderr
