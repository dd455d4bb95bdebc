"""Text normalisation: one key for comparison, one cleaned form for storage."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WS = re.compile(r"\s+")
_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")
# Cells that mean "nothing printed here".
_EMPTY_MARKS = {"", "—", "-", "－", "–", "——", "--", "/", "／", "\\"}


@lru_cache(maxsize=65536)
def norm_key(text: str | None) -> str:
    """Comparison key (record.md): Unicode NFKC, all white space removed."""
    if text is None:
        return ""
    # White space out before NFKC too: a space between a letter and a combining mark blocks composition.
    return _WS.sub("", unicodedata.normalize("NFKC", _WS.sub("", text)))


def clean_text(text: str | None) -> str:
    """Stored form: source characters kept, white space only kept between two ASCII letters/digits."""
    if text is None:
        return ""
    text = text.replace("\u3000", " ").replace("\xa0", " ").strip()
    if not text:
        return ""

    def _join(match: re.Match[str]) -> str:
        start, end = match.span()
        before = text[start - 1] if start > 0 else ""
        after = text[end] if end < len(text) else ""
        # Spaces inside CJK text are export artefacts ("年度 总体 目标"); between Latin words they are real.
        if before and after and _ASCII_ALNUM.match(before) and _ASCII_ALNUM.match(after):
            return " "
        return ""

    return _WS.sub(_join, text)


def is_blank(text: str | None) -> bool:
    """True for an empty cell or a printed placeholder dash."""
    return norm_key(text) in _EMPTY_MARKS or norm_key(text) in {unicodedata.normalize("NFKC", m) for m in _EMPTY_MARKS}


def same_text(a: str | None, b: str | None) -> bool:
    """Text equality under record.md's comparison rules."""
    return norm_key(a) == norm_key(b)


@lru_cache(maxsize=1)
def _t2s() -> object | None:
    try:
        import opencc
    except ImportError:  # a core dependency; without it Traditional labels are simply not recognised
        return None
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=65536)
def simplified(text: str) -> str:
    """The text in Simplified characters (OpenCC t2s), for matching labels only: stored text keeps the source's."""
    if text.isascii():
        return text
    converter = _t2s()
    return converter.convert(text) if converter is not None else text  # type: ignore[attr-defined]


def has_cjk(text: str) -> bool:
    """True when the text holds at least one CJK ideograph."""
    return any("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in text)
