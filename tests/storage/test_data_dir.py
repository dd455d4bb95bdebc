"""One data directory whatever the working directory: `backfill` in one folder, `export` in another, same forms."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from extractor.settings import Settings, user_data_dir
from tests.conftest import SEED_EXPORT
from tests.storage.helpers import cli


def _env(**extra: str) -> dict[str, str]:
    """The environment without any EXTRACTOR_ setting (so the defaults are what is tested), plus `extra`."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("EXTRACTOR_")}, **extra}


def test_backfill_in_one_folder_and_export_in_another_see_the_same_forms(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = _env(HOME=str(home), XDG_DATA_HOME=str(home / ".local" / "share"))
    first, second = tmp_path / "A", tmp_path / "B"
    first.mkdir()
    second.mkdir()
    shutil.copy(SEED_EXPORT, first / "seed.txt")
    filled = cli("backfill", "seed.txt", "--workers", "1", cwd=first, env=env)
    assert filled.returncode == 0, filled.stderr  # forms needing review are not failures
    database = home / ".local" / "share" / "extractor" / "extractor.db"
    assert database.is_file() and str(database) in filled.stderr  # the per-user directory, and it says so
    assert not list(first.glob(".extractor*")) and not list(first.glob("*.db"))
    exported = cli("export", "-f", "jsonl", "-o", "forms.jsonl", cwd=second, env=env)
    assert exported.returncode == 0, exported.stderr
    lines = [json.loads(line) for line in (second / "forms.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 10 and {p for line in lines for p in line["paths"]} == {str(first / "seed.txt")}


def test_extractor_data_dir_wins_over_the_per_user_directory(tmp_path: Path) -> None:
    env = _env(HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(tmp_path / "xdg"),
               EXTRACTOR_DATA_DIR=str(tmp_path / "data"))
    assert cli("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    assert (tmp_path / "data" / "extractor.db").is_file() and not (tmp_path / "xdg").exists()


def test_the_default_is_not_the_working_directory(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("EXTRACTOR_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    assert user_data_dir() == tmp_path / "xdg" / "extractor"
    assert Settings(_env_file=None).data_dir == tmp_path / "xdg" / "extractor"  # type: ignore[call-arg]


def test_exporting_from_a_database_that_is_not_there_is_an_error_not_an_empty_file(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    for fmt, out in (("xlsx", tmp_path / "x.xlsx"), ("jsonl", tmp_path / "x.jsonl"), ("csv", tmp_path / "csv")):
        result = cli("export", "--db", f"sqlite:///{missing}", "-f", fmt, "-o", str(out))
        assert result.returncode == 2 and "no database there" in result.stderr, result.stderr
        assert not out.exists()
    for command in (["db", "status"], ["db", "failures"]):
        assert cli(*command, "--db", f"sqlite:///{missing}").returncode == 2
    assert not missing.exists()  # nothing created by a typo
    empty_data = _env(EXTRACTOR_DATA_DIR=str(tmp_path / "nothing-yet"))
    result = cli("export", "-o", str(tmp_path / "y.xlsx"), env=empty_data)
    assert result.returncode == 2 and str(tmp_path / "nothing-yet" / "extractor.db") in result.stderr


def test_the_service_commands_take_db_too(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'service.db'}"
    env = _env(EXTRACTOR_DATA_DIR=str(tmp_path / "data"), EXTRACTOR_NEW_PASSWORD="clerk-password")
    created = cli("user", "create", "clerk", "--db", url, env=env)
    assert created.returncode == 0, created.stderr
    assert (tmp_path / "service.db").is_file() and not (tmp_path / "data" / "extractor.db").exists()
    made = cli("token", "create", "robot", "--user", "clerk", "--db", url, env=env)
    assert made.returncode == 0, made.stderr
    listed = cli("token", "list", "--db", url, env={**env, "COLUMNS": "200"})
    assert "robot" in listed.stdout and "clerk" in listed.stdout
    assert "robot" not in cli("token", "list", env={**env, "COLUMNS": "200"}).stdout  # the default is another one


def test_export_gold_writes_where_o_says_like_every_other_output(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'service.db'}"
    env = _env(EXTRACTOR_DATA_DIR=str(tmp_path / "data"))
    assert cli("db", "upgrade", "--db", url, env=env).returncode == 0
    done = cli("export-gold", "-o", str(tmp_path / "gold"), "--db", url, env=env)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "gold" / "manifest.json").is_file()
    both = cli("export-gold", str(tmp_path / "a"), "-o", str(tmp_path / "b"), "--db", url, env=env)
    assert both.returncode == 2 and not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    assert cli("export-gold", "--db", url, env=env).returncode == 2


def test_the_template_commands_say_which_data_directory_they_use(tmp_path: Path) -> None:
    listed = cli("templates", "list", env=_env(EXTRACTOR_DATA_DIR=str(tmp_path / "mine"), COLUMNS="200"))
    assert listed.returncode == 0, listed.stderr
    assert f"data: {tmp_path / 'mine'}" in listed.stderr
