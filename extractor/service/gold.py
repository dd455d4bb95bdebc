"""Approved forms as an evaluation dataset: the folder format of extractor.evaluate (perf-form-dataset/1).

    out/manifest.json                        {"format", "name", "description", "documents": [{"path", "kind", "gold"}]}
    out/<sha16>.<ext>                        each source document, as uploaded
    out/gold/<sha16>-form-01.json            {"source", "form_index", "record", "expected_findings", ...}

A gold record is the record as the reviewer approved it; its expected findings are the warning and error
codes the checker reports on that record without the source (the form's own inconsistencies, which a
perfect extraction must still report), never grounding codes (those judge the extraction, not the form).
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

from pydantic import BaseModel

from extractor.checking import check
from extractor.records.models import FindingCode, Provenance, Record, Severity
from extractor.service.settings import ServiceSettings
from extractor.service.store import ApprovalInfo, ServiceStore

FORMAT = "perf-form-dataset/1"
_NOT_FORM_FINDINGS = {FindingCode.UNGROUNDED_VALUE.value}
_IMAGE_SUFFIX = {"PNG": ".png", "JPEG": ".jpg", "TIFF": ".tif", "BMP": ".bmp", "WEBP": ".webp", "GIF": ".gif"}


class GoldSummary(BaseModel):
    """What an export wrote."""

    folder: str
    documents: int
    forms: int


def expected_findings(record: Record, provenance: Provenance | None) -> list[str]:
    """The warning/error codes the checker reports on an approved record (the form's own inconsistencies)."""
    report = check(record, provenance, None).report
    codes = [f.code.value for f in report.findings if f.severity is not Severity.INFO]
    return [c for c in dict.fromkeys(codes) if c not in _NOT_FORM_FINDINGS]


def _suffix(stored: Path, kind: str) -> str:
    if kind == "pdf":
        return ".pdf"
    if kind == "image":
        from PIL import Image

        with Image.open(stored) as img:
            return _IMAGE_SUFFIX.get(img.format or "", ".png")
    return ".txt"


def export_gold(store: ServiceStore, settings: ServiceSettings, out: Path, *, user_id: int | None = None,
                name: str = "reviewed") -> GoldSummary:
    """Write every approved form (of one user's documents, or all) as a dataset folder under `out`."""
    document_ids = store.owned_document_ids(user_id) if user_id is not None else None
    approvals = store.approvals(document_ids=document_ids)
    by_document: dict[int, list[ApprovalInfo]] = {}
    for approval in approvals.values():
        by_document.setdefault(approval.document_id, []).append(approval)
    (out / "gold").mkdir(parents=True, exist_ok=True)
    entries = []
    forms = 0
    for document_id in sorted(by_document):
        source = store.get_source(document_id)
        document = store.repo.get_document(document_id)
        if source is None or document is None or document.sha256 is None:
            continue  # approved but its bytes were not kept by the service (cannot happen for uploads)
        stored = settings.data_dir / source.stored_path
        file_name = document.sha256[:16] + _suffix(stored, source.kind)
        shutil.copyfile(stored, out / file_name)
        gold_files = []
        indexed = []
        for approval in by_document[document_id]:
            stored_form = store.repo.get_form(approval.form_id)
            if stored_form is not None:
                indexed.append((stored_form.form.index, approval))
        for index, approval in sorted(indexed, key=lambda pair: pair[0]):
            relative = f"gold/{document.sha256[:16]}-form-{index:02d}.json"
            payload = {"source": file_name, "form_index": index, "record": approval.record,
                       "expected_findings": approval.findings, "approved_by": approval.approved_by,
                       "approved_at": approval.approved_at.isoformat()}
            (out / relative).write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            gold_files.append(relative)
            forms += 1
        entries.append({"path": file_name, "kind": source.kind, "gold": gold_files})
    manifest = {"format": FORMAT, "name": name,
                "description": "Forms approved by reviewers on the review page (records as approved, with the "
                               "checker's findings on them).",
                "documents": entries}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return GoldSummary(folder=str(out), documents=len(entries), forms=forms)


def zip_folder(folder: Path, target: Path) -> Path:
    """A zip of a folder, its paths relative to the folder."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    return target
