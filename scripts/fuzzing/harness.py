"""Run `extractor run --format jsonl` over each bad input in its own process and tabulate what happened.

Per input: exit code, document status, error code, forms (ok / needs_review), wall time and peak memory (the
child's own rusage from wait4), and every problem: a traceback, an exit code other than 0/1, INTERNAL_ERROR, a
hang (killed at the timeout), memory over the limit (killed by the watchdog before it takes the machine), peak
memory ≥ 1.5 GB, an outcome the manifest does not accept, and, for inputs made from the seed, forms that came out
`ok` with a value their text does not print (scripts/fuzzing/mutate.py judge).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.fuzzing.inputs import base_text
from scripts.fuzzing.mutate import Baseline, Edit, apply_all, judge

PEAK_GOAL_MB = 1536.0  # issue 12: peak memory under 1.5 GB for every input
TITLE = "财政项目支出绩效自评表"
_LOUD = re.compile(r"^(document failed|form \d+ failed:)")


@dataclass
class Outcome:
    """What one input did."""

    name: str
    category: str
    what: str
    exit_code: int | None = None
    status: str = "none"  # the document's status; none: nothing printed
    error_code: str | None = None
    forms: int = 0
    forms_ok: int = 0
    wall_s: float = 0.0
    peak_mb: float = 0.0
    timed_out: bool = False
    killed_memory: bool = False
    traceback: bool = False
    internal: bool = False
    unacceptable: bool = False
    wrong: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    stderr_tail: str = ""

    @property
    def acceptable(self) -> bool:
        """True when nothing at all went wrong."""
        return not self.problems


def extractor_command() -> str:
    """The `extractor` program of this Python environment."""
    beside = Path(sys.executable).parent / "extractor"
    return str(beside) if beside.exists() else shutil.which("extractor") or "extractor"


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def run_child(path: Path, timeout_s: float, max_rss_mb: float) -> dict[str, Any]:
    """Run the extractor on one path: exit code, output, wall time, peak memory; killed on a hang or runaway RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen([extractor_command(), "run", "--format", "jsonl", os.fsencode(path)],
                                stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
        timed_out = killed = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > timeout_s:
                timed_out = True
            elif _rss_mb(proc.pid) > max_rss_mb:
                killed = True
            if timed_out or killed:
                os.killpg(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        wall = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: tell Popen so
        out.seek(0)
        err.seek(0)
        return {"exit": proc.returncode, "stdout": out.read(), "stderr": err.read().decode("utf-8", "replace"),
                "wall": wall, "peak_mb": usage.ru_maxrss / 1024, "timed_out": timed_out, "killed": killed}


def _strings(doc: dict[str, Any]) -> list[str]:
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for form in doc.get("forms", []):
        walk(form.get("record", {}))
    return found


def _assembled(lines: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The one document of a run's JSON Lines: a line of its own, or (a document of many forms, streamed) its
    form lines gathered under its closing line (extractor/output.py)."""
    if not lines:
        return None
    forms = [line["form"] for line in lines if "form" in line and "status" not in line]
    closing = next((line for line in lines if "status" in line), None)
    if closing is None:
        return None
    if "forms_streamed" in closing:
        closing = {**closing, "forms": forms}
    return closing


def accepts(doc: dict[str, Any] | None, alternatives: list[dict[str, Any]]) -> bool:
    """True when the document's outcome is one of the acceptable ones."""
    status = doc.get("status", "none") if doc else "none"
    code = ((doc or {}).get("error") or {}).get("code")
    forms = len((doc or {}).get("forms", []))
    strings = _strings(doc) if doc else []
    for alt in alternatives:
        if status not in alt.get("status", [status]):
            continue
        if "error_code" in alt and code not in alt["error_code"]:
            continue
        if forms < alt.get("min_forms", 0) or forms > alt.get("max_forms", forms):
            continue
        # Some field must hold each `contains` text (a stray quote kept as text may sit inside a longer one).
        if any(not any(s in x for x in strings) for s in alt.get("contains", [])):
            continue
        if any(bad in s for bad in alt.get("absent", []) for s in strings):
            continue
        return True
    return False


class Harness:
    """Runs entries of a manifest and judges them."""

    def __init__(self, timeout_s: float = 120.0, max_rss_mb: float = 2048.0) -> None:
        self.timeout_s = timeout_s
        self.max_rss_mb = max_rss_mb
        self._baselines: dict[str, Baseline] = {}

    def baseline(self, base: str) -> Baseline:
        """The seed (or its first three forms) read once and checked against gold."""
        if base not in self._baselines:
            from extractor import extract_bytes
            from extractor.records.models import Record

            gold_dir = Path(__file__).resolve().parents[2] / "eval" / "datasets" / "seed" / "gold"
            text = base_text(base)
            result = extract_bytes(text.encode("utf-8"), f"{base}.txt")
            golds = [Record.model_validate(json.loads((gold_dir / f"form-{n:02d}.json").read_text("utf-8"))["record"])
                     for n in range(1, len(result.forms) + 1)]
            self._baselines[base] = Baseline.of(text, result, golds)
        return self._baselines[base]

    def run(self, entry: dict[str, Any], path: Path) -> Outcome:
        """Run one input and judge what came out."""
        from extractor.records.models import DocumentResult

        o = Outcome(entry["name"], entry["category"], entry["what"])
        child = run_child(path, self.timeout_s, self.max_rss_mb)
        o.exit_code, o.wall_s, o.peak_mb = child["exit"], round(child["wall"], 2), round(child["peak_mb"], 1)
        o.timed_out, o.killed_memory = child["timed_out"], child["killed"]
        o.traceback = "Traceback (most recent call last)" in child["stderr"]
        o.stderr_tail = child["stderr"].strip().splitlines()[-1][:300] if child["stderr"].strip() else ""
        docs = []
        for line in child["stdout"].splitlines():
            if line.strip():
                try:
                    docs.append(json.loads(line))
                except json.JSONDecodeError:
                    o.problems.append("output: a line that is not JSON")
        doc = _assembled(docs)
        if doc is not None:
            o.status = doc.get("status", "none")
            error = doc.get("error") or {}
            o.error_code = error.get("code")
            o.forms = len(doc.get("forms", []))
            o.forms_ok = sum(1 for f in doc.get("forms", []) if f.get("status") == "ok")
            o.internal = o.error_code == "INTERNAL_ERROR" or any(
                e.get("code") == "INTERNAL_ERROR" for e in error.get("forms", []))
        if o.traceback:
            o.problems.append(f"traceback: {o.stderr_tail}")
        if o.timed_out:
            o.problems.append(f"hang: killed after {self.timeout_s:.0f} s")
        elif o.killed_memory:
            o.problems.append(f"memory: killed over {self.max_rss_mb:.0f} MB")
        elif o.exit_code not in (0, 1):
            o.problems.append(f"exit code {o.exit_code}" + (f": {o.stderr_tail}" if o.stderr_tail else ""))
        if o.peak_mb >= PEAK_GOAL_MB:
            o.problems.append(f"peak memory {o.peak_mb:.0f} MB ≥ 1.5 GB")
        if o.internal:
            o.problems.append(f"INTERNAL_ERROR: {_internal_message(doc)}")
        if not accepts(doc, entry["accept"]):
            o.unacceptable = True
            o.problems.append(f"outcome {o.status} {o.error_code or ''} with {o.forms} form(s) is not acceptable")
        gold = entry.get("gold")
        if gold and doc is not None and o.status != "failed":
            base = self.baseline(gold["base"])
            lines = apply_all(base.lines, [Edit.from_dict(e) for e in gold["edits"]])
            # A failed form is loud (counted above); silently wrong is what passes as read.
            o.wrong = [w for w in judge(base, lines, DocumentResult.model_validate(doc)) if not _LOUD.match(w)]
            o.problems += [f"silently wrong: {w}" for w in o.wrong]
        return o


def _internal_message(doc: dict[str, Any] | None) -> str:
    error = (doc or {}).get("error") or {}
    if error.get("code") == "INTERNAL_ERROR":
        return str(error.get("message"))
    return "; ".join(str(e.get("message")) for e in error.get("forms", []) if e.get("code") == "INTERNAL_ERROR")


# --- inputs made at run time -------------------------------------------------------------------------------------


def make_runtime(kind: str, folder: Path) -> Path:
    """Make one run-time input in `folder` and return the path to give the extractor."""
    from extractor.settings import get_settings

    seed = base_text("seed")
    if kind == "fifo":
        path = folder / "fifo.txt"
        os.mkfifo(path)
    elif kind == "dev_zero_link":
        path = folder / "dev-zero.txt"
        path.symlink_to("/dev/zero")
    elif kind == "dangling_link":
        path = folder / "dangling.txt"
        path.symlink_to(folder / "nowhere.txt")
    elif kind == "over_limit":
        path = folder / "over-limit.txt"
        with path.open("wb") as fh:  # sparse: no disk used
            fh.truncate(get_settings().max_file_bytes + 1)
    elif kind in ("non_utf8_name", "non_utf8_name_latin1"):
        raw = b"\xc4\xea\xb6\xc8.txt" if kind == "non_utf8_name" else b"r\xe9sum\xe9.txt"
        path = Path(os.fsdecode(os.fsencode(folder) + b"/" + raw))
        path.write_bytes(seed.encode("utf-8"))
    elif kind == "titles":
        path = folder / "titles-100000.txt"
        path.write_text("\n".join([TITLE] * 100_000), encoding="utf-8")
    elif kind == "many_forms":
        path = folder / "seed-x100.txt"
        path.write_text("\n".join([seed] * 100), encoding="utf-8")
    elif kind == "long_line":
        path = folder / "long-line-5m.txt"
        path.write_text("项目名称" + "长" * 5_000_000, encoding="utf-8")
    else:
        raise ValueError(f"unknown run-time input {kind}")
    return path


def run_all(folder: Path, timeout_s: float = 120.0, max_rss_mb: float = 2048.0, jobs: int = 1,
            only: str | None = None, runtime: bool = True,
            progress: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Run every input of the manifest in `folder` (and the run-time ones), `jobs` at a time, in manifest order."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    entries = [e for e in manifest["inputs"] if (only is None or only in e["name"]) and (runtime or not e.get("runtime"))]
    harness = Harness(timeout_s, max_rss_mb)
    if any(e.get("gold") for e in entries):  # read the baselines before the threads need them
        for base in {e["gold"]["base"] for e in entries if e.get("gold")}:
            harness.baseline(base)
    scratch = Path(tempfile.mkdtemp(prefix="fuzz-runtime-"))
    try:
        def one(entry: dict[str, Any]) -> Outcome:
            path = make_runtime(entry["runtime"], scratch) if entry.get("runtime") else folder / entry["name"]
            outcome = harness.run(entry, path)
            if progress is not None:
                progress(outcome)
            return outcome

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            return list(pool.map(one, entries))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# --- the report --------------------------------------------------------------------------------------------------


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def summary_rows(outcomes: Iterable[Outcome]) -> dict[str, Any]:
    """The numbers of the summary table."""
    outs = list(outcomes)
    return {
        "inputs": len(outs),
        "acceptable": sum(o.acceptable for o in outs),
        "tracebacks": sum(o.traceback for o in outs),
        "bad_exit": sum(o.exit_code not in (0, 1) and not o.timed_out and not o.killed_memory for o in outs),
        "crashes": sum(o.status == "none" and not o.timed_out and not o.killed_memory for o in outs),
        "internal": sum(o.internal for o in outs),
        "hangs": sum(o.timed_out for o in outs),
        "memory_killed": sum(o.killed_memory for o in outs),
        "peak_max_mb": max((o.peak_mb for o in outs), default=0.0),
        "over_peak_goal": sum(o.peak_mb >= PEAK_GOAL_MB for o in outs),
        "unacceptable": sum(o.unacceptable for o in outs),
        "silently_wrong": sum(bool(o.wrong) for o in outs),
        "wall_total_s": round(sum(o.wall_s for o in outs), 1),
    }


def _known(o: Outcome) -> str:
    from scripts.fuzzing.known import INPUTS

    reason = INPUTS.get(o.name, "")
    if not reason:
        return "" if o.acceptable else "NEW"
    return reason.removeprefix("issue 12: ") if o.problems else f"fixed? (listed: {reason[:60]}…)"


def markdown(outcomes: list[Outcome], command: str, timeout_s: float, full: bool = True) -> str:
    """The summary, a table per category, the failing inputs and (full) every input, as Markdown."""
    s = summary_rows(outcomes)
    lines = [f"`{command}`", "",
             "| inputs | acceptable | tracebacks | crashes (no result) | exit ≠ 0/1 | INTERNAL_ERROR | hangs (timeout "
             f"{timeout_s:.0f} s) | killed over memory | peak memory max | ≥ 1.5 GB | outcome not acceptable | "
             "forms ok but silently wrong |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|",
             f"| {s['inputs']} | {s['acceptable']} | {s['tracebacks']} | {s['crashes']} | {s['bad_exit']} | {s['internal']} | "
             f"{s['hangs']} | {s['memory_killed']} | {s['peak_max_mb']:.0f} MB | {s['over_peak_goal']} | "
             f"{s['unacceptable']} | {s['silently_wrong']} |", "",
             "| category | inputs | acceptable | tracebacks | INTERNAL_ERROR | hangs | not acceptable | silently "
             "wrong | max wall s | max peak MB |", "|---|---|---|---|---|---|---|---|---|---|"]
    for category in dict.fromkeys(o.category for o in outcomes):
        group = [o for o in outcomes if o.category == category]
        c = summary_rows(group)
        lines.append(f"| {category} | {c['inputs']} | {c['acceptable']} | {c['tracebacks']} | {c['internal']} | "
                     f"{c['hangs']} | {c['unacceptable']} | {c['silently_wrong']} | "
                     f"{max(o.wall_s for o in group):.1f} | {c['peak_max_mb']:.0f} |")
    header = ["| input | what | exit | status | error | forms ok/all | wall s | peak MB | problems | known bug |",
              "|---|---|---|---|---|---|---|---|---|---|"]

    def row(o: Outcome) -> str:
        return (f"| {_cell(o.name)} | {_cell(o.what)} | {o.exit_code} | {o.status} | {o.error_code or ''} | "
                f"{o.forms_ok}/{o.forms} | {o.wall_s:.2f} | {o.peak_mb:.0f} | "
                f"{_cell('; '.join(p[:240] for p in o.problems)) or 'ok'} | {_cell(_known(o))} |")

    failing = [o for o in outcomes if o.problems]
    lines += ["", f"Failing inputs ({len(failing)}):", "", *header, *(row(o) for o in failing)]
    if full:
        lines += ["", "Every input:", "", *header, *(row(o) for o in outcomes)]
    return "\n".join(lines) + "\n"
