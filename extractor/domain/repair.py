"""Label repair: map a printed (possibly truncated or garbled) label to exactly one canonical label, or none."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from enum import StrEnum

from pydantic import BaseModel, Field
from rapidfuzz.distance import Levenshtein

from extractor.domain.text import simplified
from extractor.domain.vocabulary import VocabKind, vocabulary

# Annotations that do not change a label's meaning: （A）, (B/A), (万元), (%), trailing colons.
_ANNOTATION = re.compile(r"[(（][^()（）]{0,8}[)）]")
_LEADING = re.compile(r"^其中[:：]?")
# Numbering before a label: 1.项目年度目标完成情况, (一)项目资金, 二、绩效指标.
_NUMBERING = re.compile(r"^(?:\d{1,2}[.、．](?!\d)|[(（][一二三四五六七八九十\d]{1,2}[)）]|[一二三四五六七八九十]{1,2}、)")
_TRAILING_PUNCT = re.compile(r"[:：、,，;；.。]+$")
# No label starts with punctuation: a leading one is a speck the OCR read as a comma or a dot (，总分).
_LEADING_PUNCT = re.compile(r"^[:：、,，;；.。·]+")


class MatchStatus(StrEnum):
    """How a printed label relates to its canonical value (langextract-style alignment status)."""

    EXACT = "exact"
    NORMALISED = "normalised"  # equal after NFKC / white space / annotation removal
    SYNONYM = "synonym"
    REPAIRED = "repaired"  # truncated or garbled, restored to the one best candidate
    AMBIGUOUS = "ambiguous"  # several candidates: not repaired
    NONE = "none"


class LabelMatch(BaseModel):
    """The outcome of matching one printed label against a vocabulary."""

    printed: str
    canonical: str | None = None
    status: MatchStatus = MatchStatus.NONE
    method: str | None = Field(default=None, description="prefix | edit_distance | position")
    distance: int | None = None
    candidates: list[str] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the label resolved to one canonical value."""
        return self.canonical is not None

    @property
    def repaired(self) -> bool:
        """True when the canonical value was restored rather than read."""
        return self.status is MatchStatus.REPAIRED


def label_key(text: str) -> str:
    """Normalise a printed label for matching: Simplified, NFKC, no white space, no annotations, no '其中：'."""
    key = "".join(unicodedata.normalize("NFKC", simplified(text)).split())
    key = _ANNOTATION.sub("", key)
    key = _LEADING.sub("", _NUMBERING.sub("", _LEADING_PUNCT.sub("", key)))
    return _TRAILING_PUNCT.sub("", key)


def _max_distance(length: int) -> int:
    # One slip in a short label, two in a long one: more would let unrelated words match.
    return 1 if length <= 5 else 2


class LabelTable:
    """Printed labels of one kind → canonical values, keyed for matching; matches are memoised."""

    def __init__(self, table: Mapping[str, str]) -> None:
        self.table = dict(table)
        self.keyed = {label_key(k): v for k, v in self.table.items()}
        self._memo: dict[str, LabelMatch] = {}

    def match(self, printed: str) -> LabelMatch:
        """Match a printed label against this table (see match_label)."""
        hit = self._memo.get(printed)
        if hit is None:
            if len(self._memo) > 50_000:
                self._memo.clear()
            hit = self._memo[printed] = _match_keyed(printed, self.keyed)
        return hit


_DEFAULT_TABLES: dict[VocabKind, LabelTable] = {}


def default_table(kind: VocabKind) -> LabelTable:
    """The vocabulary's own table of a kind (canonical labels and generic synonyms)."""
    if kind not in _DEFAULT_TABLES:
        _DEFAULT_TABLES[kind] = LabelTable(vocabulary(kind))
    return _DEFAULT_TABLES[kind]


def match_label(printed: str, kind: VocabKind, table: LabelTable | None = None) -> LabelMatch:
    """Match a printed label: exact, synonym, a unique prefix, or a unique nearest label; else no repair."""
    return (table or default_table(kind)).match(printed)


def _match_keyed(printed: str, keyed: Mapping[str, str]) -> LabelMatch:
    key = label_key(printed)
    if not key:
        return LabelMatch(printed=printed)
    if key in keyed:
        canonical = keyed[key]
        if canonical != key:
            return LabelMatch(printed=printed, canonical=canonical, status=MatchStatus.SYNONYM)
        status = MatchStatus.EXACT if printed == canonical else MatchStatus.NORMALISED
        return LabelMatch(printed=printed, canonical=canonical, status=status)

    # Containment: a fragment found inside labels of several canonical values is ambiguous ("效益指" sits
    # in 效益指标 and in 经济/社会/生态效益指标), whatever its edit distances say.
    containing = sorted({v for k, v in keyed.items() if key in k})
    if len(containing) > 1:
        return LabelMatch(printed=printed, status=MatchStatus.AMBIGUOUS, candidates=containing)
    if len(containing) == 1:
        canonical = containing[0]
        prefixes = [k for k, v in keyed.items() if v == canonical and k.startswith(key)]
        shortest = min((len(k) for k in prefixes), default=0)
        if prefixes and len(key) >= max(2, math.ceil(0.4 * shortest)):
            return LabelMatch(
                printed=printed,
                canonical=canonical,
                status=MatchStatus.REPAIRED,
                method="prefix",
                distance=shortest - len(key),
                candidates=[canonical],
            )

    # Garbled (OCR) labels: the single nearest label within a small distance.
    best: dict[str, int] = {}
    for k, v in keyed.items():
        if len(k) < 4:
            continue  # 分值/得分/总分 are one stroke apart: short labels are read exactly or not at all
        d = Levenshtein.distance(key, k)
        if d <= _max_distance(len(k)) and d < len(k) // 2:
            best[v] = min(d, best.get(v, d))
    if not best:
        return LabelMatch(printed=printed)
    ranked = sorted(best.items(), key=lambda kv: kv[1])
    if len(ranked) > 1 and ranked[1][1] == ranked[0][1]:
        return LabelMatch(printed=printed, status=MatchStatus.AMBIGUOUS, candidates=[c for c, _ in ranked])
    canonical, distance = ranked[0]
    return LabelMatch(
        printed=printed,
        canonical=canonical,
        status=MatchStatus.REPAIRED,
        method="edit_distance",
        distance=distance,
        candidates=[c for c, _ in ranked],
    )
