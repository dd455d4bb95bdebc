"""Random edits of a tab-separated export that remember where each cell came from, and a judge of the result.

An edit is one of: delete a line, duplicate a line, swap two lines, flip one character of a cell, drop one tab
(two cells become one); the fuzz corpus adds: insert a character, set a cell's text, add a tab (one cell becomes
two), damage a line's bytes, cut the file in a line. Every cell of the edited text keeps its *origins*, the original (line, column) cells
its text came from, so a result read from the damaged text can be compared with what the seed's gold says
those cells meant.

`judge()` holds a result to the rule of issue 12 ("nothing lost, nothing silently wrong"): a form whose lines
were touched is either unchanged, or changed exactly as its text changed, or needs_review; an untouched form is
identical to its gold. Concretely, for a touched form that comes out `ok`, every field that differs from gold
must be explained by the edit:

- a value the form did not have before comes from a cell that always held that kind of field (a moved or
  duplicated row), or from an edited cell of that kind whose new text prints exactly that value (grounding's
  own comparison: a flipped `15.00` → `17.00` may become 17.00; `148.7器` may not become 148.7 or null);
- a value that went missing was printed only on deleted lines and is not one the form must have; otherwise
  its cell still prints something, so it must still be read (into the same kind of field, maybe at another
  index, e.g. after a deleted indicator row);
- a form whose rows were swallowed by another `ok` form (its title deleted or garbled) is lost: a violation.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from extractor.checking.completeness import REQUIRED, REQUIRED_FUNDS
from extractor.checking.grounding import SourceCells, align_value
from extractor.layout import Cell as GridCell
from extractor.records.compare import diff_records, same_value
from extractor.records.models import CellRef, DocumentResult, FieldSource, FormResult, MapMethod, Record
from extractor.records.paths import iter_values

Origin = tuple[int, int]  # (1-based line, 1-based column) of the original export

KINDS = ("delete", "duplicate", "swap", "flip", "drop_tab")
# Characters a flip writes: look-alikes of digits and labels, quotes, dots, letters. Never a tab or anything
# str.splitlines() breaks on (\r \v \f \x1c-\x1e \x85 \u2028 \u2029): a flip changes a cell, not the lines.
FLIP_CHARS = '0123456789.%()"\'型器指标率数量质效益满意度年万元—-=><≥ aBxZ,;|#'
# Top-level fields a form must have: the checker's required fields, and the goals (issue 12 lists "goals null
# after a deleted 年度总体目标 row, no MISSING_FIELD" among the damaged forms that must not pass as ok).
MUST_HAVE = frozenset({*REQUIRED, *REQUIRED_FUNDS, "goals.expected", "goals.actual"})
_INDEX = re.compile(r"\[\d+\]")


def kind_of(path: str) -> str:
    """A field path without its indices: what kind of field it is (`indicators[3].name` → `indicators[].name`)."""
    return _INDEX.sub("[]", path)


@dataclass(frozen=True)
class Cell:
    """One cell of the (edited) export: its text and the original cells it came from."""

    text: str
    origins: tuple[Origin, ...]
    edited: bool = False  # the text is not what its origins printed
    unknown: bool = False  # its bytes were damaged: what it prints is whatever the reader decoded


@dataclass(frozen=True)
class Line:
    """One line of the (edited) export, as cells."""

    origin: int  # the original line it is (a copy of)
    cells: tuple[Cell, ...]

    @property
    def text(self) -> str:
        """The line as it is written."""
        return "\t".join(c.text for c in self.cells)


def lines_of(text: str) -> list[Line]:
    """An export's lines, every cell its own origin."""
    if re.search(r"[\r\v\f\x1c-\x1e\x85\u2028\u2029]", text):
        raise ValueError("only \\n line ends are supported: the line numbers must be the reader's")
    return [Line(n, tuple(Cell(t, ((n, c),)) for c, t in enumerate(raw.split("\t"), start=1)))
            for n, raw in enumerate(text.split("\n"), start=1)]


def text_of(lines: Sequence[Line]) -> str:
    """The export's text."""
    return "\n".join(line.text for line in lines)


@dataclass(frozen=True)
class Edit:
    """One edit: `line` (and `other`) are 0-based positions in the lines as they are when it is applied."""

    kind: str
    line: int
    other: int | None = None  # swap: the other line
    cell: int | None = None  # flip, insert, set, add_tab: the cell; drop_tab: the tab after this cell (0-based)
    pos: int | None = None  # flip, insert, add_tab: the character's position in the cell
    char: str | None = None  # flip, insert: the new character; drop_tab: what replaces the tab ("" or a space)
    text: str | None = None  # set: the cell's new text

    def to_dict(self) -> dict[str, Any]:
        """For a manifest."""
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Edit:
        """From a manifest."""
        return cls(**data)

    def describe(self, lines: Sequence[Line]) -> str:
        """A short human description (original line numbers)."""
        n = lines[self.line].origin
        if self.kind == "swap":
            assert self.other is not None
            return f"swap L{n}↔L{lines[self.other].origin}"
        if self.kind == "flip":
            assert self.cell is not None and self.pos is not None
            old = lines[self.line].cells[self.cell].text
            return f"flip L{n}C{self.cell + 1} {old!r}[{self.pos}]→{self.char!r}"
        if self.kind == "drop_tab":
            return f"drop tab L{n} after C{(self.cell or 0) + 1}" + (f" (→{self.char!r})" if self.char else "")
        if self.kind in ("insert", "add_tab"):
            what = repr(self.char) if self.kind == "insert" else "a tab"
            return f"insert {what} in L{n}C{(self.cell or 0) + 1} at {self.pos}"
        if self.kind == "set":
            return f"set L{n}C{(self.cell or 0) + 1} to {self.text!r}"
        return f"{self.kind} L{n}"


def apply(lines: Sequence[Line], edit: Edit) -> list[Line]:
    """The lines after one edit."""
    out = list(lines)
    i = edit.line
    if edit.kind == "delete":
        del out[i]
    elif edit.kind == "duplicate":
        out.insert(i + 1, out[i])
    elif edit.kind == "swap":
        assert edit.other is not None
        out[i], out[edit.other] = out[edit.other], out[i]
    elif edit.kind == "flip":
        assert edit.cell is not None and edit.pos is not None and edit.char is not None
        cells = list(out[i].cells)
        old = cells[edit.cell]
        text = old.text[: edit.pos] + edit.char + old.text[edit.pos + 1:]
        cells[edit.cell] = replace(old, text=text, edited=old.edited or text != old.text)
        out[i] = replace(out[i], cells=tuple(cells))
    elif edit.kind in ("insert", "set"):
        assert edit.cell is not None
        cells = list(out[i].cells)
        old = cells[edit.cell]
        if edit.kind == "set":
            assert edit.text is not None
            text = edit.text
        else:
            assert edit.pos is not None and edit.char is not None
            text = old.text[: edit.pos] + edit.char + old.text[edit.pos:]
        cells[edit.cell] = replace(old, text=text, edited=old.edited or text != old.text)
        out[i] = replace(out[i], cells=tuple(cells))
    elif edit.kind == "drop_tab":
        assert edit.cell is not None
        cells = list(out[i].cells)
        a, b = cells[edit.cell], cells[edit.cell + 1]
        joiner = edit.char or ""
        merged = Cell(a.text + joiner + b.text, a.origins + b.origins,
                      edited=a.edited or b.edited or (a.text != "" and b.text != ""), unknown=a.unknown or b.unknown)
        cells[edit.cell: edit.cell + 2] = [merged]
        out[i] = replace(out[i], cells=tuple(cells))
    elif edit.kind == "add_tab":
        assert edit.cell is not None and edit.pos is not None
        cells = list(out[i].cells)
        old = cells[edit.cell]
        if edit.pos == 0:  # an empty cell before: it comes from nowhere, the old cell is untouched
            parts = [Cell("", ()), old]
        elif edit.pos >= len(old.text):
            parts = [old, Cell("", ())]
        else:
            parts = [replace(old, text=old.text[: edit.pos], edited=True),
                     replace(old, text=old.text[edit.pos:], edited=True)]
        cells[edit.cell: edit.cell + 1] = parts
        out[i] = replace(out[i], cells=tuple(cells))
    elif edit.kind in ("damage", "cut"):
        # The text stays as it was; its bytes are damaged by whoever writes the file (inputs.py).
        cells = tuple(replace(c, edited=True, unknown=True) for c in out[i].cells)
        out[i] = replace(out[i], cells=cells)
        if edit.kind == "cut":
            del out[i + 1:]
    else:
        raise ValueError(f"unknown edit {edit.kind}")
    return out


def apply_all(lines: Sequence[Line], edits: Iterable[Edit]) -> list[Line]:
    """The lines after the edits, in order."""
    out = list(lines)
    for edit in edits:
        out = apply(out, edit)
    return out


def random_edit(rng: random.Random, lines: Sequence[Line]) -> Edit:
    """One random edit of non-blank lines (blank lines are many and edits of them say little)."""
    content = [i for i, line in enumerate(lines) if line.text.strip()]
    kind = rng.choice(KINDS)
    i = rng.choice(content)
    if kind in ("delete", "duplicate"):
        return Edit(kind, i)
    if kind == "swap":
        near = [j for j in content if j != i and abs(j - i) <= 4]
        j = rng.choice(near) if near and rng.random() < 0.8 else rng.choice([j for j in content if j != i])
        return Edit(kind, i, other=j)
    if kind == "flip":
        cells = [k for k, c in enumerate(lines[i].cells) if c.text]
        k = rng.choice(cells)
        text = lines[i].cells[k].text
        pos = rng.randrange(len(text))
        char = rng.choice([c for c in FLIP_CHARS if c != text[pos]])
        return Edit(kind, i, cell=k, pos=pos, char=char)
    tabbed = [j for j in content if len(lines[j].cells) > 1]
    i = rng.choice(tabbed)
    return Edit(kind, i, cell=rng.randrange(len(lines[i].cells) - 1))


def random_mutation(seed: int | str, lines: Sequence[Line]) -> list[Edit]:
    """One to three random edits, the same for the same seed."""
    rng = random.Random(f"mutation:{seed}")
    edits: list[Edit] = []
    current = list(lines)
    for _ in range(rng.choices((1, 2, 3), weights=(7, 2, 1))[0]):
        edit = random_edit(rng, current)
        edits.append(edit)
        current = apply(current, edit)
    return edits


# --- the seed's meaning, cell by cell ---------------------------------------------------------------------------


@dataclass
class BaseForm:
    """A seed form: its gold record, its status, its original lines and the cells each field came from."""

    index: int
    gold: Record
    status: str
    first: int
    last: int
    cells: dict[str, tuple[Origin, ...]]


@dataclass
class Baseline:
    """The seed read once: each form's lines and, per original cell, the kinds of field it held (and values)."""

    lines: list[Line]
    forms: list[BaseForm]
    facts: dict[Origin, dict[str, list[Any]]] = field(default_factory=dict)

    @classmethod
    def of(cls, text: str, result: DocumentResult, golds: Sequence[Record]) -> Baseline:
        """The baseline from the seed's text, its result and its gold records (the result must equal gold)."""
        if len(result.forms) != len(golds):
            raise ValueError(f"the baseline has {len(result.forms)} forms, gold {len(golds)}")
        forms: list[BaseForm] = []
        facts: dict[Origin, dict[str, list[Any]]] = {}
        for form, gold in zip(result.forms, golds, strict=True):
            diffs = diff_records(form.record, gold)
            if diffs or form.lines is None:
                raise ValueError(f"the baseline's form {form.index} is not its gold: {diffs[:3]}")
            values = dict(iter_values(form.record))
            cells: dict[str, tuple[Origin, ...]] = {}
            for path, src in form.provenance.fields.items():
                origins = tuple((c.line, c.column) for c in src.cells if c.line is not None and c.column is not None)
                cells[path] = origins
                for origin in origins:
                    facts.setdefault(origin, {}).setdefault(kind_of(path), []).append(values.get(path))
            forms.append(BaseForm(form.index, gold, form.status.value, form.lines[0], form.lines[1], cells))
        return cls(lines_of(text), forms, facts)

    def form_of_line(self, line: int) -> BaseForm | None:
        """The seed form an original line belongs to."""
        return next((f for f in self.forms if f.first <= line <= f.last), None)


# --- judging a result -------------------------------------------------------------------------------------------


def _printed(path: str, value: Any, texts: Sequence[str], method: MapMethod, record: Record) -> bool:
    """True when cells printing `texts` hold `value` for this field, by grounding's own comparison."""
    cells = [GridCell(id=f"X{k}", text=text, row=k, col=0) for k, text in enumerate(texts)]
    src = FieldSource(cells=[CellRef(id=c.id) for c in cells], method=method)
    return align_value(path, value, src, SourceCells(cells), record) is not None


@dataclass
class _Read:
    """An output form with the edited cells its fields cite."""

    form: FormResult
    origins: set[int]  # original lines it was read from
    primary: BaseForm | None


class Judge:
    """Compares a result read from edited lines with the baseline."""

    def __init__(self, baseline: Baseline, lines: Sequence[Line]) -> None:
        self.base = baseline
        self.lines = list(lines)
        present: set[Origin] = set()
        for line in self.lines:
            for cell in line.cells:
                present.update(cell.origins)
        self.present = present

    def cell(self, line: int | None, column: int | None) -> Cell | None:
        """The edited export's cell at (1-based) line and column."""
        if line is None or column is None or not 0 < line <= len(self.lines):
            return None
        cells = self.lines[line - 1].cells
        return cells[column - 1] if 0 < column <= len(cells) else None

    def touched(self, form: BaseForm) -> bool:
        """True when the form's lines are not exactly its original lines, in order, unedited and together."""
        where = [k for k, line in enumerate(self.lines) if form.first <= line.origin <= form.last]
        if not where or where != list(range(where[0], where[0] + len(where))):
            return True
        seen = [self.lines[k] for k in where]
        original = self.base.lines[form.first - 1: form.last]
        return [line.text for line in seen] != [line.text for line in original] or any(
            c.edited for line in seen for c in line.cells)

    def _origin_lines(self, form: FormResult) -> set[int]:
        if form.lines is None:
            return set()
        first, last = form.lines
        return {self.lines[k].origin for k in range(first - 1, min(last, len(self.lines)))
                if self.lines[k].text.strip()}

    def sound(self, out: FormResult, path: str, value: Any) -> str | None:
        """None when the value is explained by the cells it cites; else why not."""
        src = out.provenance.fields.get(path)
        if src is None:
            return "cites no cell"
        if src.method is MapMethod.INFERRED:
            return None  # grounding checked it against the form's own level2
        if not src.cells:
            return "cites no cell"
        kind = kind_of(path)
        cited = [self.cell(ref.line, ref.column) for ref in src.cells]
        if len(cited) > 1 and all(c is not None and self._held(c, kind) for c in cited) and _printed(
                path, value, [c.text for c in cited if c is not None], src.method, out.record):
            return None  # a text wrapped over several cells (or lines) of this field, read as they print it
        for ref, cell in zip(src.cells, cited, strict=True):
            if cell is None:
                continue
            text = (ref.text or "") if cell.unknown else cell.text
            facts = [self.base.facts.get(o, {}) for o in cell.origins]
            if not any(kind in f for f in facts):
                continue  # this cell never held this kind of field
            held = [v for f in facts for v in f.get(kind, [])]
            if any(same_value(value, v) for v in held):
                return None  # the value that cell always meant (a moved or duplicated row)
            if cell.edited and _printed(path, value, [text], src.method, out.record):
                return None  # exactly what the edited cell prints now
        where = ", ".join(f"L{r.line}C{r.column}" for r in src.cells)
        return f"from {where} {[c.text for c in cited if c is not None]!r}, which does not print it as this field"

    def _held(self, cell: Cell, kind: str) -> bool:
        """True when one of the cell's origins held this kind of field in the seed."""
        return any(kind in self.base.facts.get(o, {}) for o in cell.origins)

    def kept(self, reads: Sequence[_Read], path: str, base: BaseForm) -> str | None:
        """None when a gold value that is not at its path is explained; else why not."""
        origins = base.cells.get(path, ())
        if not origins:
            return None  # inferred from other cells: judged through them
        if not any(o in self.present for o in origins):
            return "its row was deleted and the form must have it" if path in MUST_HAVE else None
        kind = kind_of(path)
        for read in reads:
            values = dict(iter_values(read.form.record))
            for p, src in read.form.provenance.fields.items():
                if kind_of(p) != kind or values.get(p) is None:
                    continue  # a null may still cite its cell: it was not read
                for ref in src.cells:
                    cell = self.cell(ref.line, ref.column)
                    if cell is not None and set(cell.origins) & set(origins):
                        return None  # read, into the same kind of field (another index)
        shown = [c.text for line in self.lines for c in line.cells if set(c.origins) & set(origins)]
        return f"lost: its cell still prints {shown[:2]!r}"

    def judge(self, result: DocumentResult) -> list[str]:
        """Every way the result is silently wrong (empty: acceptable)."""
        if result.status.value == "failed":
            return [f"document failed: {(result.error or {}).get('code')}"]
        problems: list[str] = []
        for error in (result.error or {}).get("forms", []):
            problems.append(f"form {error.get('form')} failed: {error.get('code')} {error.get('message')}")
        reads = []
        for form in result.forms:
            origins = self._origin_lines(form)
            overlap = [(sum(1 for n in origins if b.first <= n <= b.last), -b.index, b) for b in self.base.forms]
            best = max(overlap, key=lambda t: t[:2]) if overlap else None
            reads.append(_Read(form, origins, best[2] if best and best[0] > 0 else None))
        for read in reads:
            if read.primary is None and read.form.status.value == "ok":
                problems.append(f"form {read.form.index} (lines {read.form.lines}) read from no seed form, ok")
        for base in self.base.forms:
            if not any(base.first <= line.origin <= base.last and line.text.strip() for line in self.lines):
                continue  # nothing of it is left to read (a file cut before it)
            cands = [r for r in reads if any(base.first <= n <= base.last for n in r.origins)]
            own = [r for r in cands if r.primary is base]
            alone = len(own) == 1 and all(base.first <= n <= base.last for n in own[0].origins)
            if not self.touched(base) and alone:
                out = own[0].form
                diffs = diff_records(out.record, base.gold)
                if diffs or out.status.value != base.status:
                    problems.append(f"form {base.index} untouched but changed: status {out.status.value}, "
                                    f"{[(d.path, d.got, d.expected) for d in diffs[:3]]}")
                continue
            if any(r.form.status.value != "ok" for r in cands):
                continue  # a clerk looks at it
            if not own:
                where = [r.form.index for r in cands]
                problems.append(f"form {base.index} lost (read into form(s) {where}, all ok)")
                continue
            for read in own:
                problems += [f"form {base.index}: {p}" for p in self._fields(read, cands, base)]
        return problems

    def _fields(self, read: _Read, cands: Sequence[_Read], base: BaseForm) -> list[str]:
        got, want = dict(iter_values(read.form.record)), dict(iter_values(base.gold))
        problems = []
        for path in sorted(got.keys() | want.keys()):
            v, g = got.get(path), want.get(path)
            if same_value(v, g):
                continue
            if v is not None and (why := self.sound(read.form, path, v)) is not None:
                problems.append(f"{path} = {v!r} (gold {g!r}): {why}")
            elif g is not None and v is None and (why := self.kept(cands, path, base)) is not None:
                problems.append(f"{path} is null (gold {g!r}): {why}")
            elif g is not None and v is not None and (why := self.kept(cands, path, base)) is not None:
                # The value is explained, but gold's own value at this path must then be somewhere too.
                problems.append(f"{path} = {v!r} (gold {g!r}): gold's value {why}")
        return problems


def judge(baseline: Baseline, lines: Sequence[Line], result: DocumentResult) -> list[str]:
    """Every way a result read from the edited lines is silently wrong (empty: acceptable)."""
    return Judge(baseline, lines).judge(result)
