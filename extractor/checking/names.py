"""Names against the document: a unit's name read one character away from the same name read elsewhere is a doubt.

主管部门 and 实施单位 repeat: on one form (a bureau implementing its own project), across the forms of a document,
across an archive. OCR misreads a character of a name with full confidence (顾村镇 as 题村镇). Where two OCR
readings of a name differ by one character, the less certain one (both, when neither is surer) is LOW_CONFIDENCE
holding both spellings; `known` adds names read cleanly elsewhere (an archive's earlier forms).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from extractor.domain.vocabulary import field_name
from extractor.records.models import Finding, FindingCode, FormResult, FormStatus, needs_review

NAME_PATHS = ("department", "implementing_unit")
_MIN_LENGTH = 4  # short names differ by one character legitimately (一中 / 二中)


@dataclass(frozen=True)
class _Reading:
    form: int
    path: str
    value: str
    confidence: float


def one_apart(a: str, b: str) -> bool:
    """True when two names of equal length differ in exactly one character."""
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def _readings(forms: list[FormResult]) -> list[_Reading]:
    out = []
    for k, form in enumerate(forms):
        for path in NAME_PATHS:
            value = getattr(form.record, path)
            src = form.provenance.fields.get(path)
            if value and src is not None and src.confidence is not None and len(value) >= _MIN_LENGTH:
                out.append(_Reading(k, path, value, src.confidence))
    return out


def cross_checked(forms: list[FormResult], known: Iterable[str] = ()) -> list[FormResult]:
    """The forms with a LOW_CONFIDENCE finding on each OCR-read name one character from another reading of it."""
    readings = _readings(forms)
    if not readings:
        return forms
    doubts: dict[tuple[int, str], set[str]] = {}
    for a in readings:
        for b in readings:
            if a is b or not one_apart(a.value, b.value):
                continue
            if a.confidence <= b.confidence:
                doubts.setdefault((a.form, a.path), {a.value}).add(b.value)
        for name in known:
            if one_apart(a.value, name):
                doubts.setdefault((a.form, a.path), {a.value}).add(name)
    if not doubts:
        return forms
    out = list(forms)
    for (k, path), options in doubts.items():
        form = out[k]
        if any(f.code is FindingCode.LOW_CONFIDENCE and path in f.fields for f in form.findings):
            continue
        value = getattr(form.record, path)
        listed = "、".join(f"「{o}」" for o in sorted(options))
        finding = Finding.of(FindingCode.LOW_CONFIDENCE,
                             f"{field_name(path)}「{value}」与本文件中另一处读出的名称只差一个字：{listed} / "
                             "a name one character from another reading of it",
                             [path], candidates=[value, *sorted(options - {value})], reason="name_one_apart")
        findings = [*form.findings, finding]
        status = FormStatus.NEEDS_REVIEW if needs_review(findings) else FormStatus.OK
        out[k] = form.model_copy(update={"findings": findings, "status": status})
    return out
