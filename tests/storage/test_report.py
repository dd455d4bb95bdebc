"""`extractor report`: charts and one offline HTML page of what analysts ask first, from the stored forms."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

import pytest

from extractor.domain.vocabulary import FINDING_NAMES
from extractor.export.report import grade_table, mean_score, report_data
from extractor.storage import FormQuery, PathSeen, Repository
from tests.storage.helpers import cli

pytest.importorskip("matplotlib")


@pytest.fixture
def stored(db_url, seed_result):
    with Repository.open(db_url) as repo:
        repo.save_result(seed_result, sha256=seed_result.sha256, size=1, paths=[PathSeen(path="/a/seed.txt")])
    return db_url


def test_report_draws_the_charts_and_a_page_with_the_counts(stored, seed_result, tmp_path):
    out = tmp_path / "report"
    result = cli("report", "--db", stored, "-o", str(out))
    assert result.returncode == 0, result.stderr
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == ["execution-vs-score.png", "grades-by-department.png", "scores-by-year.png", "top-findings.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") and p.stat().st_size > 10_000 for p in out.glob("*.png"))
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 4 and "http" not in page  # opens offline
    assert f"{len(seed_result.forms)} 张表单" in page
    codes = Counter(f.code.value for form in seed_result.forms for f in form.findings)
    top, n = codes.most_common(1)[0]
    assert re.search(rf"<td>{FINDING_NAMES[top]}</td><td>{top}</td><td>[^<]+</td><td>{n}</td>", page)


def test_the_figures_behind_the_charts_are_exact(stored, seed_result):
    with Repository.open(stored) as repo:
        data = report_data(repo.iter_forms(FormQuery()))
    assert len(data.points) == 10
    scores = [f.record.total_score for f in seed_result.forms if f.record.total_score is not None]
    assert mean_score(data.points) == (sum(scores, Decimal(0)) / len(scores)).quantize(Decimal("0.01"))
    assert isinstance(mean_score(data.points), Decimal)
    grades = grade_table(data.points, "year")
    assert sum(sum(c.values()) for c in grades.values()) == 10
    assert grades["2024"] == Counter(f.record.grade or "未评级" for f in seed_result.forms)


def test_report_from_a_database_that_is_not_there_is_an_error(tmp_path):
    result = cli("report", "--db", f"sqlite:///{tmp_path / 'none.db'}", "-o", str(tmp_path / "r"))
    assert result.returncode == 2 and not (tmp_path / "r").exists()
