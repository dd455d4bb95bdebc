"""What the recogniser read, character by character: each character's probability and the others it nearly read.

A CTC recogniser scores every class at every time step. The line score engines report (the mean of the best
class per character) hides what matters for trust: *which* character was doubtful and what else it could be.
`ctc_readings` decodes the raw probabilities into `Reading`s that keep, per character, its probability and its
runner-up characters (`""` standing for "no character here": the recogniser nearly read nothing), and, between
characters, the characters it nearly read where it decided on none (a comma or a 。 dropped).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from extractor.layout import Doubt

# A runner-up below this probability is noise, not a candidate.
MIN_ALTERNATIVE = 0.05
# Characters below this probability, or with a runner-up at least MIN_ALTERNATIVE, are kept as doubts.
CERTAIN = 0.985


@dataclass(frozen=True)
class CharReading:
    """One recognised character: its probability and the runner-ups ("" = no character)."""

    char: str
    prob: float
    alternatives: tuple[tuple[str, float], ...] = ()

    @property
    def doubtful(self) -> bool:
        """True when the recogniser was not sure of this character."""
        return self.prob < CERTAIN or bool(self.alternatives)


@dataclass(frozen=True)
class Gap:
    """A character the recogniser nearly read between two characters (`position` = index it would take)."""

    position: int
    char: str
    prob: float


@dataclass(frozen=True)
class Reading:
    """A recognised line: its text, the engine's line score, and per-character detail where the engine has it."""

    text: str
    confidence: float
    chars: tuple[CharReading, ...] = ()
    gaps: tuple[Gap, ...] = ()
    edits: tuple[str, ...] = field(default=())  # how the text was changed after recognition, in order

    @property
    def detailed(self) -> bool:
        """True when `chars` holds one entry per character of `text`."""
        return len(self.chars) == len(self.text) and bool(self.text)

    def min_prob(self) -> float:
        """The weakest character's probability (the line score where there is no per-character detail)."""
        return min((c.prob for c in self.chars), default=self.confidence) if self.detailed else self.confidence

    def edited(self, text: str, how: str, prob: float | None = None) -> Reading:
        """The same reading with its text changed by a rule, the change kept as doubt.

        Unchanged characters keep their detail (aligned by difflib). A character the rule wrote gets `prob`
        (default: the probability of what it replaces) and the replaced character as its runner-up; a character
        the rule removed becomes a gap holding it, so a later judge still sees that it may be there.
        """
        if text == self.text:
            return self
        if not self.detailed:
            return replace(self, text=text, edits=(*self.edits, how))
        chars: list[CharReading] = []
        gaps: list[Gap] = []
        old_to_new: dict[int, int] = {}
        matcher = difflib.SequenceMatcher(a=self.text, b=text, autojunk=False)
        for op, a0, a1, b0, b1 in matcher.get_opcodes():
            if op == "equal":
                for k in range(a1 - a0):
                    old_to_new[a0 + k] = len(chars)
                    chars.append(self.chars[a0 + k])
                continue
            replaced = self.chars[a0:a1]
            if b1 == b0:  # removed: kept as a character the reading may hold
                gaps += [Gap(len(chars), c.char, c.prob) for c in replaced]
                continue
            base = min((c.prob for c in replaced), default=self.min_prob())
            for k, ch in enumerate(text[b0:b1]):
                old = replaced[k] if k < len(replaced) and (b1 - b0) == (a1 - a0) else None
                alternatives = ((old.char, old.prob),) if old is not None else tuple((c.char, c.prob) for c in replaced)
                chars.append(CharReading(ch, prob if prob is not None else base, alternatives or (("", base),)))
        for gap in self.gaps:
            if gap.position in old_to_new:
                gaps.append(replace(gap, position=old_to_new[gap.position]))
            elif gap.position == len(self.text):
                gaps.append(replace(gap, position=len(text)))
        return Reading(text, self.confidence, tuple(chars), tuple(sorted(gaps, key=lambda g: g.position)),
                       (*self.edits, how))


def join(readings: Sequence[Reading]) -> Reading:
    """Lines of one cell read top to bottom, as one reading (their texts concatenated)."""
    if len(readings) == 1:
        return readings[0]
    text = "".join(r.text for r in readings)
    confidence = min((r.confidence for r in readings), default=0.0)
    if not all(r.detailed for r in readings):
        return Reading(text, confidence, edits=tuple(e for r in readings for e in r.edits))
    chars: list[CharReading] = []
    gaps: list[Gap] = []
    for r in readings:
        gaps += [replace(g, position=g.position + len(chars)) for g in r.gaps]
        chars += r.chars
    return Reading(text, confidence, tuple(chars), tuple(gaps), tuple(e for r in readings for e in r.edits))


def ctc_readings(preds: np.ndarray, characters: Sequence[str], top: int = 3) -> list[Reading]:
    """Greedy CTC decoding of a (batch, steps, classes) probability array, keeping per-character detail.

    Class 0 is CTC's blank. A character is a run of steps whose best class is the same non-blank class; its
    probability is the run's peak, its runner-ups the next classes at that peak step (blank → "").
    """
    out: list[Reading] = []
    best = preds.argmax(axis=2)
    for b in range(preds.shape[0]):
        probs, idx = preds[b], best[b]
        chars: list[CharReading] = []
        gaps: dict[int, Gap] = {}
        t, steps = 0, len(idx)
        while t < steps:
            k = int(idx[t])
            if k == 0:
                # Blank: did a character nearly get read here (one unlike its neighbours, not a run's tail)?
                row = probs[t]
                j = int(row[1:].argmax()) + 1
                p = float(row[j])
                neighbours = {int(idx[t - 1]) if t else -1, int(idx[t + 1]) if t + 1 < steps else -1}
                if p >= MIN_ALTERNATIVE and j not in neighbours:
                    pos = len(chars)
                    if pos not in gaps or gaps[pos].prob < p:
                        gaps[pos] = Gap(pos, characters[j], p)
                t += 1
                continue
            u = t
            while u + 1 < steps and int(idx[u + 1]) == k:
                u += 1
            peak = t + int(probs[t:u + 1, k].argmax())
            row = probs[peak]
            order = np.argsort(row)[::-1][:top + 1]
            alternatives = tuple(("" if int(j) == 0 else characters[int(j)], float(row[j]))
                                 for j in order if int(j) != k and float(row[j]) >= MIN_ALTERNATIVE)
            chars.append(CharReading(characters[k], float(row[k]), alternatives))
            t = u + 1
        text = "".join(c.char for c in chars)
        confidence = float(np.mean([c.prob for c in chars])) if chars else 0.0
        out.append(Reading(text, confidence, tuple(chars), tuple(sorted(gaps.values(), key=lambda g: g.position))))
    return out


def doubts_of(reading: Reading, offset: int = 0) -> list[Doubt]:
    """The reading's uncertain places as cell doubts (`offset`: where its text starts in the cell's text)."""
    if not reading.detailed:
        return []
    out = [Doubt(at=offset + i, char=c.char, prob=round(c.prob, 4), options=[a for a, _ in c.alternatives])
           for i, c in enumerate(reading.chars) if c.doubtful]
    out += [Doubt(at=offset + g.position, char="", prob=round(1.0 - g.prob, 4), options=[g.char]) for g in reading.gaps]
    return sorted(out, key=lambda d: (d.at, d.char != ""))
