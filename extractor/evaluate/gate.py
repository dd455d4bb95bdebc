"""The accuracy gate: eval/thresholds.toml names minimums and maximums per dataset (and per kind)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from extractor.errors import ExtractorError
from extractor.evaluate.metrics import Scores
from extractor.evaluate.results import EvalReport

KNOWN = set(Scores().flat())


class GateError(ExtractorError):
    """The thresholds file is unreadable, names an unknown measure, or has no entry for the dataset."""

    code = "INVALID_THRESHOLDS"


class Violation(BaseModel):
    """One measure of one configuration on the wrong side of its threshold."""

    configuration: str
    scope: str
    measure: str
    value: float | int | None
    bound: float | int | None
    side: str

    def __str__(self) -> str:
        if self.side == "run":
            return f"{self.configuration} on {self.scope}: {self.measure}"
        op = "<" if self.side == "min" else ">"
        return f"{self.configuration} on {self.scope}: {self.measure} = {self.value} {op} {self.side} {self.bound}"


def load_thresholds(path: Path) -> dict[str, Any]:
    """Read and validate a thresholds file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise GateError(f"cannot read thresholds {path}: {exc}", file=str(path)) from exc
    for dataset, table in data.items():
        scopes = [(dataset, table)] + [(f"{dataset}/{k}", t) for k, t in table.get("kinds", {}).items()]
        for scope, t in scopes:
            for side in ("min", "max"):
                unknown = set(t.get(side, {})) - KNOWN
                if unknown:
                    raise GateError(f"{path}: [{scope}.{side}] names unknown measure(s) {sorted(unknown)}; "
                                    f"known: {sorted(KNOWN)}", file=str(path))
    return data


def _check(config: str, scope: str, scores: Scores, table: dict[str, Any]) -> list[Violation]:
    figures = scores.flat()
    out = []
    for side in ("min", "max"):
        for measure, bound in table.get(side, {}).items():
            value = figures[measure]
            if value is None:
                continue  # nothing to measure here (e.g. no label needed repair)
            if (side == "min" and value < bound) or (side == "max" and value > bound):
                out.append(Violation(configuration=config, scope=scope, measure=measure, value=value,
                                     bound=bound, side=side))
    return out


def check_gate(report: EvalReport, thresholds: dict[str, Any]) -> list[Violation]:
    """Every threshold broken by any configuration of the report (a configuration that did not run breaks all)."""
    table = thresholds.get(report.dataset)
    if table is None:
        raise GateError(f"no thresholds for dataset {report.dataset!r} (have: {sorted(thresholds)})",
                        dataset=report.dataset)
    violations: list[Violation] = []
    for result in report.results:
        if result.error is not None or result.overall is None:
            reason = (result.error or {}).get("message", "no result")
            violations.append(Violation(configuration=result.label, scope=report.dataset,
                                        measure=f"did not run: {reason}", value=None, bound=None, side="run"))
            continue
        violations += _check(result.label, report.dataset, result.overall, table)
        for kind, kind_table in table.get("kinds", {}).items():
            scores = result.by_kind.get(kind)
            if scores is None:
                violations.append(Violation(configuration=result.label, scope=f"{report.dataset}/{kind}",
                                            measure="no documents of this kind", value=None, bound=None, side="run"))
                continue
            violations += _check(result.label, f"{report.dataset}/{kind}", scores, kind_table)
    return violations
