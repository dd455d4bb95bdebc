"""The evaluation harness: run configurations (OCR engine × mapper) over datasets with gold and score them."""

from extractor.evaluate.datasets import Dataset, DatasetError, load_dataset, resolve_dataset, write_manifest
from extractor.evaluate.gate import GateError, Violation, check_gate, load_thresholds
from extractor.evaluate.metrics import Scores, score_document
from extractor.evaluate.results import ConfigResult, EvalReport, evaluate
from extractor.evaluate.runner import Configuration, parse_grid

__all__ = [
    "ConfigResult", "Configuration", "Dataset", "DatasetError", "EvalReport", "GateError", "Scores", "Violation",
    "check_gate", "evaluate", "load_dataset", "load_thresholds", "parse_grid", "resolve_dataset",
    "score_document", "write_manifest",
]
