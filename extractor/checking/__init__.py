"""The deterministic checker: grounding and the arithmetic of the form, one small function per rule."""

from extractor.checking.report import CheckResult, Report, check

__all__ = ["CheckResult", "Report", "check"]
