"""Exports of stored forms: XLSX (one sheet per table, Chinese headers), CSV (one file per table), JSON Lines."""

from extractor.export.writers import ExportFormat, export

__all__ = ["ExportFormat", "export"]
