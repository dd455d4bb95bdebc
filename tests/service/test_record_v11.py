"""Record v1.1 through the service: the API hands back the family and the new fields, the review page shows them."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from extractor.service.worker import Worker
from tests.conftest import ROOT
from tests.service.helpers import Caller

SICHUAN = ROOT / "eval" / "datasets" / "realworld" / "sichuan" / "qingshen-2023-gongzixing.txt"


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    return sqlite_url


def test_a_sichuan_form_shows_its_family_code_extra_rows_and_evaluation(client: TestClient, alice: Caller,
                                                                       worker: Worker) -> None:
    job = alice.upload(("qingshen.txt", SICHUAN.read_bytes())).json()["jobs"][0]
    worker.drain()
    job = alice.get(f"/api/v1/jobs/{job['id']}").json()
    doc = alice.get(f"/api/v1/documents/{job['document_id']}").json()
    form = doc["forms"][0]
    record = form["record"]
    assert form["template"] == "sichuan"
    assert record["project_code"] == "51000021R000000019951" and record["money_unit"] == "万元"
    assert [row["label"] for row in record["funds"]["extra"]] == ["财政专户管理资金", "单位资金"]
    assert record["indicators"][0]["nature"] == "=" and record["indicators"][0]["unit"] == "%"
    assert record["evaluation"]["problems"].startswith("结合自评情况")
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
    assert client.post("/login", data={"username": "alice", "password": "alice-password", "csrf": csrf},
                       follow_redirects=False).status_code == 303
    page = client.get(f"/documents/{doc['id']}?form=1").text
    for shown in ("部门预算项目支出绩效自评表（四川样式）", "51000021R000000019951", "项目资金（万元）", "财政专户管理资金",
                  "指标性质", "度量单位", "评价结论", "存在问题"):
        assert shown in page, shown
