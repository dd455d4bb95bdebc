"""Rows rebuilt from a stream of cells: one cell per line, pipe tables with empty cells dropped, spaced text.

In these layouts a source line is not a table row (templates.md). The stream is cut into logical rows at its
labels (a form field, a section, a fund row, a header); the indicator table's body, which has no labels to cut
at, is segmented by a Viterbi decoder over the header's columns, each cell scored by how well it fits a column,
each skipped column by what leaving it empty costs, each row break by whether the source broke a line there.
The result is an ordinary grid whose indicator cells carry the column the decoder gave them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from extractor.domain.repair import MatchStatus, label_key
from extractor.domain.text import norm_key, simplified
from extractor.domain.vocabulary import (
    EVALUATION_FIELDS,
    FORM_FIELDS,
    FUND_HEADER_KEYS,
    GOALS_COLUMNS,
    INDICATOR_COLUMNS,
    VocabKind,
    key_for,
)
from extractor.layout import Cell, Grid
from extractor.tables.cells import WEIGHT_NOTE, CellKind, FormLabels, cell_cost

INF = math.inf
DENSE_LAYOUTS = frozenset({"cell_per_line", "cell_per_line_bar"})
# Columns that only one kind of header names: two of them make a header run a funds or an indicator header.
_FUND_ONLY = frozenset({"initial_budget", "annual_budget", "executed", "execution_rate"})
_INDICATOR_ONLY = frozenset({"level1", "level2", "name", "target", "actual", "deviation", "nature", "target_value",
                             "unit"})
# Sub-columns printed on a second header row under their parent (年度指标值 over 指标性质 | 指标值 | 度量单位).
_SUB_COLUMNS = {"target": ("nature", "target_value", "unit"), "block": ("level1", "level2", "name")}
# Sections that end the indicator table's body.
_CLOSING = frozenset({"total", "grade", "reviewed", "other_notes", "footer", "title"})
# Sparse layouts: what leaving a column of an indicator row empty costs (dense layouts keep empty cells).
_SKIP = {"level1": 0.0, "level2": 0.3, "name": 3.0, "target": 1.0, "actual": 1.0, "weight": 1.6, "score": 1.5,
         "deviation": 0.05, "method": 0.3, "nature": 0.3, "target_value": 1.0, "unit": 0.3}
_ROW_COST = 0.3


@dataclass(frozen=True)
class _Hints:
    """How much a source line break says about rows, per layout."""

    continue_across_line: float  # a row running on after a line break
    break_mid_line: float  # a new row starting inside a line


_HINTS = {
    "pipe": _Hints(0.3, 1.0),
    "fixed_width": _Hints(1.0, 2.0),
    "spaces": _Hints(1.5, 2.0),
    "glued": _Hints(0.0, 0.0),
}


@dataclass
class _Item:
    cell: Cell
    line_start: bool


def _flatten(grid: Grid, dense: bool) -> list[_Item]:
    items: list[_Item] = []
    pending_start = False
    for row in grid.rows:
        first = True
        for cell in row:
            if cell.blank and not dense:
                pending_start = pending_start or first
                first = False
                continue
            items.append(_Item(cell, first or pending_start))
            first = pending_start = False
        if first:  # a row of nothing but blanks still ends a line
            pending_start = True
    return items


Pieces = dict[str, list[Cell]]


def _joined(registry: Pieces, parts: list[Cell], text: str) -> Cell:
    """One cell for a label printed in pieces; its id is the first piece's, the pieces are kept for provenance."""
    pieces = [q for p in parts for q in registry.pop(p.id, [p])]
    registry[parts[0].id] = pieces
    return parts[0].model_copy(update={"text": text, "whole_text": None})


def _is_exact_label(labels: FormLabels, text: str) -> bool:
    for kind in VocabKind:
        m = labels.match(text, kind)
        if m.ok and m.status is not MatchStatus.REPAIRED:
            return True
    return labels.section(text) is not None


def _merge_wrapped(items: list[_Item], labels: FormLabels, registry: Pieces) -> list[_Item]:
    """Labels wrapped over lines (`经济效益` / `指标`, `一级` / `指标`) and weights printed under their label."""
    out: list[_Item] = []
    i = 0
    while i < len(items):
        item = items[i]
        merged = False
        head = label_key(item.cell.text)
        if not item.cell.blank and head and not _is_exact_label(labels, item.cell.text):
            text = norm_key(item.cell.text)
            for span in (2, 3, 4):
                parts = items[i:i + span]
                if len(parts) < span or any(p.cell.blank for p in parts):
                    break
                text += norm_key(parts[-1].cell.text)
                if len(text) > 20:
                    break
                # Only a real fragment joins: the label must start with it and grow by what follows
                # (`(50分)` + `数量指标` is a weight and a label, `……` + `质量指标` a placeholder and a label).
                key = label_key(text)
                if key.startswith(head) and key != label_key(parts[-1].cell.text) and _is_exact_label(labels, text):
                    out.append(_Item(_joined(registry, [p.cell for p in parts], text), item.line_start))
                    i += span
                    merged = True
                    break
        if merged:
            continue
        same_line = not item.line_start
        if out and not out[-1].cell.blank and (
                (WEIGHT_NOTE.match(norm_key(item.cell.text)) and labels.kind(out[-1].cell.text) in (
                    CellKind.LEVEL1, CellKind.LEVEL_BOTH, CellKind.LEVEL2))
                or (same_line and _ANNOTATION.match(norm_key(item.cell.text))
                    and _is_exact_label(labels, out[-1].cell.text))):
            # `满意度指标` / `(10分)`, `实施单位 (盖章)`: an annotation printed apart belongs to its label.
            # `满意度指标` / `(10分)`: the weight belongs to the label above it.
            prev = out[-1].cell
            out[-1] = _Item(_joined(registry, [prev, item.cell], prev.text + item.cell.text), out[-1].line_start)
            i += 1
            continue
        out.append(item)
        i += 1
    return out


def _lines(items: list[_Item]) -> list[list[_Item]]:
    lines: list[list[_Item]] = []
    for item in items:
        if item.line_start or not lines:
            lines.append([])
        lines[-1].append(item)
    return lines


def _fragment(labels: FormLabels, text: str) -> bool:
    """A cell that is only the start of a label (`年度`, `社会效益`): the rest was wrapped onto the next line."""
    key = label_key(text)
    if not key or len(key) > 12 or any(ch.isdigit() for ch in key) or _is_exact_label(labels, text):
        return False
    return any(labels.match(text, kind).status in (MatchStatus.REPAIRED, MatchStatus.AMBIGUOUS)
               for kind in (VocabKind.INDICATOR_HEADER, VocabKind.FUNDS_HEADER, VocabKind.INDICATOR_LABEL,
                            VocabKind.GOALS_HEADER, VocabKind.SECTION))


def _completes(labels: FormLabels, head: str, tail: str, joined: str) -> bool:
    """`tail` finishes the label `head` starts (`经济效益` + `指标`), or annotates it (`满意度指标` + `(10分)`)."""
    if not _is_exact_label(labels, joined):
        return False
    if _ANNOTATION.match(norm_key(tail)):
        if WEIGHT_NOTE.match(norm_key(tail)):  # a weight belongs under a 一级/二级指标, not a header
            return labels.kind(head) in (CellKind.LEVEL1, CellKind.LEVEL2, CellKind.LEVEL_BOTH)
        return _is_exact_label(labels, head)
    return label_key(joined) != label_key(tail) and label_key(joined).startswith(label_key(head)) and bool(
        label_key(head))


_ANNOTATION = re.compile(r"^[(（][^()（）]{1,8}[)）]$")


def _join_wrapped_lines(items: list[_Item], labels: FormLabels, registry: Pieces) -> list[_Item]:
    """Labels whose ends were wrapped onto the next line, in column order: `年度 实际` / `指标值 完成值`.

    When a line holds nothing but the completions of the fragments on the line above (as many cells as
    fragments, each fragment + its completion an exact label), the two lines are one printed row.
    """
    lines = _lines(items)
    out: list[list[_Item]] = []
    skip = False
    for n, line in enumerate(lines):
        if skip:
            skip = False
            continue
        nxt = lines[n + 1] if n + 1 < len(lines) else None
        frags = [i for i, it in enumerate(line) if _fragment(labels, it.cell.text)]
        if nxt and len(nxt) <= len(line):
            # The completions belong to the fragments (the leftmost ones when a name repeats a label's start:
            # `经济效益 经济效益 …` / `指标`), or else to the line's first cells.
            options = [frags[:len(nxt)]] if len(frags) >= len(nxt) else []
            for targets in [*options, list(range(len(nxt)))]:
                joined = [norm_key(line[i].cell.text) + norm_key(c.cell.text) for i, c in zip(targets, nxt, strict=True)]
                if targets and all(_completes(labels, line[i].cell.text, c.cell.text, t)
                                   for i, c, t in zip(targets, nxt, joined, strict=True)):
                    line = list(line)
                    for i, text, tail in zip(targets, joined, nxt, strict=True):
                        line[i] = _Item(_joined(registry, [line[i].cell, tail.cell], text), line[i].line_start)
                    skip = True
                    break
        out.append(line)
    return [it for line in out for it in line]


_MIN_GLUED_LABEL = 4


def _split_glued(items: list[_Item], labels: FormLabels) -> list[_Item]:
    """Text with no cell boundaries, cut before and after every label of four or more characters it holds.

    What lies between two labels is then one cell (a project name between 项目名称 and 主管部门); runs of
    glued numbers stay whole and are never read as numbers (tables/rows.py reads only the head of such text).
    """
    table: dict[str, list[str]] = {}
    for lt in labels.tables.values():
        for printed in lt.table:
            key = norm_key(simplified(printed))
            if len(key) >= _MIN_GLUED_LABEL:
                table.setdefault(key[0], []).append(key)
    for first in table:
        table[first].sort(key=len, reverse=True)
    out: list[_Item] = []
    for item in items:
        text = item.cell.text
        chars = [(i, ch) for i, ch in enumerate(simplified(text)) if not ch.isspace()]
        flat = "".join(ch for _, ch in chars)
        cuts: list[tuple[int, int]] = []
        at = 0
        while at < len(flat):
            hit = next((k for k in table.get(flat[at], ()) if flat.startswith(k, at)), None)
            if hit is None:
                at += 1
                continue
            cuts.append((at, at + len(hit)))
            at += len(hit)
        bounds = sorted({0, len(flat), *(a for a, _ in cuts), *(b for _, b in cuts)})
        if len(bounds) <= 2:
            out.append(item)
            continue
        first = True
        for n, (lo, hi) in enumerate(zip(bounds, bounds[1:], strict=False)):
            start = chars[lo][0]
            end = chars[hi - 1][0] + 1
            piece = text[start:end].strip()
            if piece:
                # A piece of a cell: its id names the cell it was cut from (`L3C1#2`), grounding looks there.
                out.append(_Item(item.cell.model_copy(update={"id": f"{item.cell.id}#{n}", "text": piece,
                                                              "whole_text": text}), item.line_start and first))
                first = False
    return out


@dataclass
class _Anchor:
    kind: str  # section | field | fund_row | evaluation | header
    key: str | None = None


class StreamReader:
    """Cuts a stream of cells into logical rows."""

    def __init__(self, grid: Grid, labels: FormLabels) -> None:
        self.grid = grid
        self.labels = labels
        self.layout = grid.text_layout or "pipe"
        self.dense = self.layout in DENSE_LAYOUTS
        self.rows: list[list[Cell]] = []
        self.assigned: dict[str, str] = {}

    # -- what a cell is -------------------------------------------------------------------------------------------
    def _header_key(self, text: str, kind: VocabKind, columns: dict[str, str]) -> str | None:
        m = self.labels.label(text, kind)
        if m is None or m.canonical is None:
            return None
        if m.status is MatchStatus.REPAIRED and (m.method == "edit_distance" or len(label_key(text)) < 3):
            return None
        return key_for(columns, m.canonical)

    def _anchor(self, cell: Cell) -> _Anchor | None:
        if cell.blank:
            return None
        section = self.labels.section(cell.text)
        if section is not None:
            return _Anchor("section", section)
        field = self.labels.label(cell.text, VocabKind.FORM_FIELD)
        if field is not None and (field.status is not MatchStatus.REPAIRED or len(label_key(cell.text)) >= 3):
            return _Anchor("field", key_for(FORM_FIELDS, field.canonical or ""))
        evaluation = self.labels.label(cell.text, VocabKind.EVALUATION)
        if evaluation is not None and evaluation.status is not MatchStatus.REPAIRED:
            return _Anchor("evaluation", key_for(EVALUATION_FIELDS, evaluation.canonical or ""))
        row = self.labels.label(cell.text, VocabKind.FUND_ROW)
        if row is not None and (row.status is not MatchStatus.REPAIRED or len(label_key(cell.text)) >= 4):
            return _Anchor("fund_row", row.canonical)
        if self._header_key(cell.text, VocabKind.GOALS_HEADER, dict(GOALS_COLUMNS)) is not None:
            return _Anchor("header", "goals")
        if (self._header_key(cell.text, VocabKind.FUNDS_HEADER, dict(FUND_HEADER_KEYS)) is not None
                or self._header_key(cell.text, VocabKind.INDICATOR_HEADER, dict(INDICATOR_COLUMNS)) is not None):
            return _Anchor("header")
        return None

    def _header_run(self, items: list[_Item], start: int) -> tuple[str | None, int]:
        """The header a run of label cells starting at `start` makes (funds/indicators/goals) and its end."""
        fund_keys: set[str] = set()
        ind_keys: set[str] = set()
        goal_keys: set[str] = set()
        end = start
        while end < len(items):
            cell = items[end].cell
            if cell.blank:
                if self.dense:
                    break
                end += 1
                continue
            section = self.labels.section(cell.text)
            fk = self._header_key(cell.text, VocabKind.FUNDS_HEADER, dict(FUND_HEADER_KEYS))
            ik = self._header_key(cell.text, VocabKind.INDICATOR_HEADER, dict(INDICATOR_COLUMNS))
            gk = self._header_key(cell.text, VocabKind.GOALS_HEADER, dict(GOALS_COLUMNS))
            if fk is None and ik is None and gk is None and not (section in ("funds", "indicators") and end > start):
                break
            if fk:
                fund_keys.add(fk)
            if ik:
                ind_keys.add(ik)
            if gk:
                goal_keys.add(gk)
            end += 1
        if len(fund_keys & _FUND_ONLY) >= 2:
            return "funds", end
        if len(ind_keys & _INDICATOR_ONLY) >= 2:
            return "indicators", end
        if goal_keys:
            return "goals", end
        return None, start + 1

    # -- the walk -------------------------------------------------------------------------------------------------
    def read(self) -> Grid:
        """The grid cut into logical rows; indicator cells carry their column in `Grid.assigned`."""
        pieces: Pieces = {}
        items = _flatten(self.grid, self.dense)
        if self.layout == "glued":
            items = _split_glued(items, self.labels)
        if not self.dense:
            items = _join_wrapped_lines(items, self.labels, pieces)
        items = _merge_wrapped(items, self.labels, pieces)
        state = "head"
        current: list[Cell] | None = None
        body: list[_Item] = []
        columns: list[str] = []
        i = 0
        while i < len(items):
            item = items[i]
            cell = item.cell
            anchor = self._anchor(cell)
            if state == "indicators":
                closing = anchor is not None and (
                    (anchor.kind == "section" and anchor.key in _CLOSING)
                    or anchor.kind == "evaluation"
                    or (anchor.kind == "field" and anchor.key in ("manager", "finance_manager", "filler")))
                if not closing:
                    body.append(item)
                    i += 1
                    continue
                self._body(body, columns)
                body = []
                state = "tail"
            if anchor is not None and anchor.kind == "header":
                kind, end = self._header_run(items, i)
                if kind is not None:
                    header = [it.cell for it in items[i:end] if not it.cell.blank]
                    if current is not None and len(current) == 1 and self.labels.section(current[0].text) in (
                            "funds", "indicators", "goals"):
                        header = [*current, *header]  # the block's title cell (项目资金（万元）) heads its header
                        self.rows.pop()
                    if kind == "indicators":
                        header, columns = self._indicator_header(header)
                    self.rows.append(header)
                    state = kind
                    current = [] if kind == "goals" else None
                    if current is not None:
                        self.rows.append(current)  # the goals' texts come on the row after their labels
                    i = end
                    continue
                anchor = None
            if anchor is not None:
                if anchor.kind == "section" and anchor.key in ("funds", "goals"):
                    state = anchor.key
                elif anchor.kind == "section" and anchor.key == "implementation":
                    state = "tail"
                elif anchor.kind == "fund_row":
                    state = "funds"
                current = [cell]
                self.rows.append(current)
            elif current is None:
                current = [cell]
                self.rows.append(current)
            else:
                current.append(cell)
            i += 1
        if state == "indicators" and body:
            self._body(body, columns)
        rows = [self._renumber(r, n) for n, r in enumerate(r for r in self.rows if r)]
        parts = {k: v for k, v in pieces.items() if len(v) > 1}
        return self.grid.model_copy(update={"rows": rows, "assigned": self.assigned, "parts": parts})

    def _renumber(self, row: list[Cell], n: int) -> list[Cell]:
        return [c.model_copy(update={"row": n, "col": k, "row_span": 1, "col_span": 1}) for k, c in enumerate(row)]

    # -- the indicator table --------------------------------------------------------------------------------------
    def _indicator_header(self, header: list[Cell]) -> tuple[list[Cell], list[str]]:
        """The header's cells in column order (a second header row's sub-columns moved under their parent)."""
        keyed: list[tuple[Cell, str]] = []
        for cell in header:
            key = self._header_key(cell.text, VocabKind.INDICATOR_HEADER, dict(INDICATOR_COLUMNS))
            if key is None and self.labels.section(cell.text) == "indicators":
                key = "block"
            if key is not None and all(k != key for _, k in keyed):
                keyed.append((cell, key))
        keys = [k for _, k in keyed]
        for parent, children in _SUB_COLUMNS.items():
            if parent not in keys:
                continue
            at = keys.index(parent)
            kids = [k for k in keys[at + 1:] if k in children]
            # Sub-columns printed further on (a second header row) replace their parent where it stands.
            if kids and keys.index(kids[0]) > at + 1 or (kids and parent == "target"):
                moved = [(c, k) for c, k in keyed if k in kids]
                rest = [(c, k) for c, k in keyed if k not in kids]
                pos = [k for _, k in rest].index(parent)
                keyed = rest[:pos + 1] + moved + rest[pos + 1:]
                keys = [k for _, k in keyed]
        if "target" in keys and any(k in keys for k in _SUB_COLUMNS["target"]):
            keyed = [(c, k) for c, k in keyed if k != "target"]
        elif "target_value" in keys and not any(k in keys for k in ("nature", "unit")):
            # 指标值(A) alone (Ningxia) is the whole target, not the middle of a split one.
            keyed = [(c, "target" if k == "target_value" else k) for c, k in keyed]
        columns = [k for _, k in keyed if k != "block"]
        ordered = [c for c, _ in keyed]
        for cell, key in keyed:
            self.assigned[cell.id] = key
        return ordered, columns

    def _body(self, body: list[_Item], columns: list[str]) -> None:
        if self.layout == "glued":
            # Names, targets and numbers run together: no row can be cut out of it without guessing.
            self.rows.append([it.cell for it in body])
            return
        if not columns:
            columns = ["level1", "level2", "name", "target", "actual", "weight", "score", "deviation"]
        for row in decode_rows(body, columns, self.labels, self.dense, _HINTS.get(self.layout, _HINTS["pipe"])):
            cells = []
            for item, key in row:
                self.assigned[item.cell.id] = key
                cells.append(item.cell)
            self.rows.append(cells)


def _start_cost(columns: list[str], j: int, dense: bool) -> float:
    cost = 0.0
    for k in columns[:j]:
        if k in ("level1", "level2"):
            cost += 0.05  # printed once for several rows (a merged cell)
        else:
            cost += 5.0 if dense else _SKIP.get(k, 1.0) + 1.0
    return cost


def _gap_cost(columns: list[str], p: int, j: int, dense: bool) -> float:
    if dense:
        return 5.0 * (j - p - 1)
    return sum(_SKIP.get(k, 1.0) for k in columns[p + 1:j])


def _end_cost(columns: list[str], p: int, dense: bool) -> float:
    if columns[p] in ("level1", "level2"):
        # A 二级指标 with no indicator under it (生态效益指标 left empty) is a row of labels only; it must cost
        # more than a row running on over a line break, or a lone (50分) would be cut off its first row.
        return 1.6
    if dense:
        return 3.0 * (len(columns) - p - 1)
    return sum(_SKIP.get(k, 1.0) for k in columns[p + 1:])


def decode_rows(items: list[_Item], columns: list[str], labels: FormLabels, dense: bool,
                hints: _Hints) -> list[list[tuple[_Item, str]]]:
    """The best segmentation of a table body into rows, each cell with its column (Viterbi)."""
    n, k = len(items), len(columns)
    if n == 0 or k == 0:
        return []
    emit = [[_emission(labels, columns[j], it.cell, dense) for j in range(k)] for it in items]
    best = [[INF] * k for _ in range(n)]
    back: list[list[tuple[int, bool] | None]] = [[None] * k for _ in range(n)]
    for j in range(k):
        best[0][j] = _start_cost(columns, j, dense) + emit[0][j]
    end = [_end_cost(columns, p, dense) for p in range(k)]
    start = [_start_cost(columns, j, dense) for j in range(k)]
    name_at = columns.index("name") if "name" in columns else -1
    placeholder = [labels.kind(it.cell.text) is CellKind.PLACEHOLDER_NAME for it in items]
    for i in range(1, n):
        line = items[i].line_start
        cont = hints.continue_across_line if line and not dense else 0.0
        brk = 0.0 if line or dense else hints.break_mid_line
        # the cheapest way to have ended a row at i-1 (a template row left empty, 指标2: or ……, ends at its name)
        ended = min((best[i - 1][p] + (0.0 if p == name_at and placeholder[i - 1] else end[p]), p)
                    for p in range(k))
        for j in range(k):
            e = emit[i][j]
            if e == INF:
                continue
            choice: tuple[float, tuple[int, bool] | None] = (INF, None)
            for p in range(j):
                prev = best[i - 1][p]
                if prev == INF:
                    continue
                total = prev + _gap_cost(columns, p, j, dense) + cont
                if total < choice[0]:
                    choice = (total, (p, False))
            new_row = ended[0] + start[j] + _ROW_COST + brk
            if new_row < choice[0]:
                choice = (new_row, (ended[1], True))
            if choice[1] is not None:
                best[i][j] = choice[0] + e
                back[i][j] = choice[1]
    def final(j: int) -> float:
        return best[n - 1][j] + (0.0 if j == name_at and placeholder[n - 1] else end[j])

    last = min(range(k), key=final)
    if best[n - 1][last] == INF:
        return []
    assigned: list[tuple[int, bool]] = [(0, False)] * n
    j = last
    for i in range(n - 1, -1, -1):
        step = back[i][j]
        assigned[i] = (j, step[1] if step else True)
        if step is not None:
            j = step[0]
    rows: list[list[tuple[_Item, str]]] = []
    for i, (j, new) in enumerate(assigned):
        if new or not rows:
            rows.append([])
        rows[-1].append((items[i], columns[j]))
    return rows


def _emission(labels: FormLabels, key: str, cell: Cell, dense: bool) -> float:
    if cell.blank:
        # An empty cell (dense layouts keep them) stands in any column; a required one pays a little.
        return 0.2 if key in ("name", "weight", "score") else 0.0
    kind = labels.kind(cell.text)
    if kind in (CellKind.LEVEL1, CellKind.LEVEL2, CellKind.LEVEL_BOTH) and key not in ("level1", "level2", "name"):
        return 8.0  # a whole vocabulary label is a row's label, not its target or actual
    if key == "level1" and kind in (CellKind.LEVEL2, CellKind.LEVEL2_CUT):
        # In a stream a row whose 一级指标 was printed once above starts at its 二级指标: a level2 label is
        # never pushed into the level1 column (a level2 with no indicator under it is a row of its own).
        return 9.0
    return cell_cost(labels, key, cell)


def regroup(grid: Grid, labels: FormLabels) -> Grid:
    """A stream layout's grid cut into logical rows (see the module docstring)."""
    return StreamReader(grid, labels).read()
