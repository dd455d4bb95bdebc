"""The record v1 contract (record.md) and its result envelope."""

from extractor.records.models import (
    DocumentResult,
    DocumentStatus,
    FieldSource,
    Finding,
    FindingCode,
    FormResult,
    FormStatus,
    FundRow,
    Funds,
    Goals,
    Indicator,
    Provenance,
    Record,
    ResultEnvelope,
    Severity,
)

__all__ = [
    "DocumentResult", "DocumentStatus", "FieldSource", "Finding", "FindingCode", "FormResult", "FormStatus",
    "FundRow", "Funds", "Goals", "Indicator", "Provenance", "Record", "ResultEnvelope", "Severity",
]
