"""LOW_CONFIDENCE: values whose reading cannot be trusted as printed (characters the decoder could not read)."""

from __future__ import annotations

from extractor.records.models import Finding, FindingCode, Record
from extractor.records.paths import iter_values

REPLACEMENT = "\ufffd"


def unreadable_characters(record: Record) -> list[Finding]:
    """A value holding U+FFFD (a byte no encoding of the file could read) is not the printed text: review it."""
    findings = []
    for path, value in iter_values(record):
        if isinstance(value, str) and REPLACEMENT in value:
            findings.append(Finding.of(
                FindingCode.LOW_CONFIDENCE,
                f"「{value}」含有无法解码的字符（�），与原件所印不一定相同 / holds undecodable characters",
                [path], candidates=[value.replace(REPLACEMENT, "")], reason="undecodable_bytes"))
    return findings
