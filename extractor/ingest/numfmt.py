"""Spreadsheet numbers as the cell shows them: the cell's number format applied, in Decimal, never a float.

A form's 100.00 is stored as the number 100 with the format `0.00`; reading the value gives 100.0, which is not
what the form prints (and the record keeps the printed precision). This applies the formats forms use: General,
`0`, `0.00`, `#,##0.00`, percentages (`0.00%`), literal text around the number (`0.00"万元"`), sections for
negative and zero values, scientific notation and dates (`yyyy"年"m"月"d"日"`). Rounding is half away from
zero on the shortest decimal that reads back as the stored double, as Excel displays it.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_BRACKET = re.compile(r"\[[^\]]*\]")
_DATE_TOKENS = re.compile(r"(yyyy|yy|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|am/pm|a/p)", re.I)


def _sections(fmt: str) -> list[str]:
    out, current, quoted, escaped = [], "", False, False
    for ch in fmt:
        if escaped:
            current += ch
            escaped = False
        elif ch == "\\":
            current += ch
            escaped = True
        elif ch == '"':
            quoted = not quoted
            current += ch
        elif ch == ";" and not quoted:
            out.append(current)
            current = ""
        else:
            current += ch
    out.append(current)
    return out


def _literal_split(section: str) -> list[tuple[bool, str]]:
    """(is_literal, text) pieces: quoted strings and backslash escapes are literal."""
    pieces: list[tuple[bool, str]] = []
    i = 0
    while i < len(section):
        ch = section[i]
        if ch == '"':
            end = section.find('"', i + 1)
            end = len(section) if end < 0 else end
            pieces.append((True, section[i + 1:end]))
            i = end + 1
        elif ch == "\\" and i + 1 < len(section):
            pieces.append((True, section[i + 1]))
            i += 2
        elif ch in ("_", "*") and i + 1 < len(section):
            pieces.append((True, " " if ch == "_" else ""))  # padding to a character's width / fill
            i += 2
        else:
            pieces.append((False, ch))
            i += 1
    return pieces


def decimal_of(value: float | int | Decimal) -> Decimal:
    """The shortest decimal that reads back as the stored number (100.0 → 100, 0.1 + 0.2 → 0.30000000000000004)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(repr(float(value)))


def general(value: float | int | Decimal) -> str:
    """Excel's General format: up to 11 significant digits, no trailing zeros."""
    d = decimal_of(value)
    if d == d.to_integral_value() and abs(d) < Decimal("1e11"):
        return str(int(d))
    digits = len(d.as_tuple().digits)
    exponent = d.adjusted()
    if abs(d) >= Decimal("1e11") or (d != 0 and exponent < -9):
        mantissa, _, exp = f"{d:.5E}".partition("E")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}E{exp[0]}{int(exp[1:]):02d}"
    if digits > 11:
        places = max(0, 10 - exponent)
        d = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = format(d.normalize(), "f")
    return text


def _group(integer: str) -> str:
    out = ""
    for k, ch in enumerate(reversed(integer)):
        if k and k % 3 == 0:
            out = "," + out
        out = ch + out
    return out


def _number(value: Decimal, section: str) -> str:
    pieces = _literal_split(_BRACKET.sub("", section))
    code = "".join(t for lit, t in pieces if not lit)
    if "%" in code:
        value = value * 100
    if re.search(r"[eE][+-]", code):
        mantissa = code.split("E")[0].split("e")[0]
        places = len(mantissa.split(".")[1]) if "." in mantissa else 0
        text = f"{value:.{places}E}"
        return text
    pattern = re.search(r"[0#?,]*(\.[0#?]*)?", code[next((i for i, ch in enumerate(code) if ch in "0#?."), 0):])
    spec = pattern.group(0) if pattern else "0"
    integer_spec, _, fraction_spec = spec.partition(".")
    places = sum(1 for ch in fraction_spec if ch in "0#?")
    required = sum(1 for ch in fraction_spec if ch == "0")
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP) if places else value.quantize(
        Decimal(1), rounding=ROUND_HALF_UP)
    text = format(abs(rounded), "f")
    whole, _, frac = text.partition(".")
    if places > required:  # `#` places drop trailing zeros down to the required ones
        frac = frac.rstrip("0")
        frac = frac + "0" * max(0, required - len(frac))
    min_int = sum(1 for ch in integer_spec if ch == "0")
    if whole == "0" and min_int == 0:
        whole = ""
    whole = whole.rjust(min_int, "0")
    if "," in integer_spec:
        whole = _group(whole)
    number = whole + ("." + frac if frac or "." in spec and required else "")
    if rounded < 0:
        number = "-" + number
    # The number replaces the first run of placeholders; literals and % stay where the format has them.
    out, placed = "", False
    for lit, t in pieces:
        if lit:
            out += t
        elif t in "0#?.,":
            if not placed:
                out += number
                placed = True
        elif t == "%":
            out += "%"
        elif t not in "[]":
            out += t
    return out if placed else out + number


def _date(value: dt.datetime | dt.date | dt.time, section: str) -> str:
    if isinstance(value, dt.time):
        value = dt.datetime.combine(dt.date(1900, 1, 1), value)
    elif not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    pieces = _literal_split(_BRACKET.sub("", section))
    out = ""
    after_hour = False
    for lit, text in _merge_codes(pieces):
        if lit:
            out += text
            continue
        for token in _DATE_TOKENS.split(text):
            low = token.lower()
            if low == "yyyy":
                out += f"{value.year:04d}"
            elif low == "yy":
                out += f"{value.year % 100:02d}"
            elif low in ("mm", "m"):
                if after_hour:
                    out += f"{value.minute:02d}" if low == "mm" else str(value.minute)
                else:
                    out += f"{value.month:02d}" if low == "mm" else str(value.month)
            elif low in ("dd", "d"):
                out += f"{value.day:02d}" if low == "dd" else str(value.day)
            elif low in ("hh", "h"):
                out += f"{value.hour:02d}" if low == "hh" else str(value.hour)
                after_hour = True
                continue
            elif low in ("ss", "s"):
                out += f"{value.second:02d}" if low == "ss" else str(value.second)
            else:
                out += token
            if low and low not in (":",):
                after_hour = after_hour and low in ("mm", "m")
    return out


def _merge_codes(pieces: list[tuple[bool, str]]) -> list[tuple[bool, str]]:
    out: list[tuple[bool, str]] = []
    for lit, text in pieces:
        if out and out[-1][0] == lit and not lit:
            out[-1] = (lit, out[-1][1] + text)
        else:
            out.append((lit, text))
    return out


def is_date_format(fmt: str | None) -> bool:
    """True when a number format shows a date or a time."""
    if not fmt:
        return False
    code = "".join(t for lit, t in _literal_split(_BRACKET.sub("", fmt)) if not lit).lower()
    return bool(re.search(r"[ymdhs]", code)) and "general" not in code


def render(value: object, fmt: str | None) -> str:
    """A cell's value as the cell shows it under its number format."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return value
    fmt = (fmt or "General").strip()
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        section = _sections(fmt)[0]
        return _date(value, section) if is_date_format(section) else str(value)
    if not isinstance(value, (int, float, Decimal)):
        return str(value)
    try:
        number = decimal_of(value)
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    sections = _sections(fmt)
    if len(sections) >= 3 and number == 0:
        section = sections[2]
    elif len(sections) >= 2 and number < 0:
        section, number = sections[1], abs(number)
    else:
        section = sections[0]
    plain = _BRACKET.sub("", section).strip()
    if plain.lower() in ("general", "", "@") or not re.search(r"[0#?]", "".join(
            t for lit, t in _literal_split(plain) if not lit)):
        if plain.lower() in ("general", "", "@"):
            return general(number)
        return "".join(t for _, t in _literal_split(plain)) or general(number)
    return _number(number, section)
