"""perf-form-extractor: 财政项目支出绩效自评表 → checked, grounded record v1."""

from extractor.pipeline import extract, extract_bytes
from extractor.records.models import DocumentResult, Record, ResultEnvelope

__version__ = "0.1.0"
__all__ = ["DocumentResult", "Record", "ResultEnvelope", "__version__", "extract", "extract_bytes"]
