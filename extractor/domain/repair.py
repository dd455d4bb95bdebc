"""Label repair: map a printed (possibly truncated or garbled) label to exactly one canonical label, or none."""

from __future__ import annotations

import math
import re
import unicodedata
from enum import StrEnum

from pydantic import BaseModel, Field
from rapidfuzz.distance import Levenshtein

from extractor.domain.vocabulary import VocabKind, vocabulary

# Annotations that do not change a label's meaning: （A）, (B/A), (万元), (%), trailing colons.
_ANNOTATION = re.compile(r"[(（][^()（）]{0,8}[)）]")
_LEADING = re.compile(r"^其中[:：]?")
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
    """Normalise a printed label for matching: NFKC, no white space, no annotations, no '其中：'."""
    key = "".join(unicodedata.normalize("NFKC", text).split())
    key = _ANNOTATION.sub("", key)
    key = _LEADING.sub("", _LEADING_PUNCT.sub("", key))
    return _TRAILING_PUNCT.sub("", key)


def _max_distance(length: int) -> int:
    # One slip in a short label, two in a long one: more would let unrelated words match.
    return 1 if length <= 5 else 2


def match_label(printed: str, kind: VocabKind) -> LabelMatch:
    """Match a printed label: exact, synonym, a unique prefix, or a unique nearest label; else no repair."""
    table = vocabulary(kind)
    key = label_key(printed)
    if not key:
        return LabelMatch(printed=printed)
    keyed = {label_key(k): v for k, v in table.items()}
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
