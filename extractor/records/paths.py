"""Field paths of a record ("indicators[2].score"): list the values, read and clear one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from extractor.records.models import Record

_PART = re.compile(r"([a-z_0-9]+)(?:\[(\d+)\])?")


def iter_values(record: Record) -> Iterator[tuple[str, Any]]:
    """Every leaf field of a record with its path, nulls included."""

    def walk(obj: Any, prefix: str) -> Iterator[tuple[str, Any]]:
        if isinstance(obj, BaseModel):
            for name in type(obj).model_fields:
                yield from walk(getattr(obj, name), f"{prefix}.{name}" if prefix else name)
        elif isinstance(obj, list):
            for i, item in enumerate(obj):
                yield from walk(item, f"{prefix}[{i}]")
        else:
            yield prefix, obj

    yield from walk(record, "")


def _parent(record: Record, path: str) -> tuple[Any, str]:
    parts = path.split(".")
    obj: Any = record
    for part in parts[:-1]:
        m = _PART.fullmatch(part)
        if m is None:
            raise KeyError(path)
        obj = getattr(obj, m.group(1))
        if m.group(2) is not None:
            obj = obj[int(m.group(2))]
    return obj, parts[-1]


def get_path(record: Record, path: str) -> Any:
    """The value at a path."""
    obj, leaf = _parent(record, path)
    m = _PART.fullmatch(leaf)
    if m is None:
        raise KeyError(path)
    value = getattr(obj, m.group(1))
    return value[int(m.group(2))] if m.group(2) is not None else value


def set_path(record: Record, path: str, value: Any) -> None:
    """Set the leaf at a path (validated: a record stays a valid record)."""
    obj, leaf = _parent(record, path)
    if not hasattr(obj, leaf):
        raise KeyError(path)
    setattr(obj, leaf, value)


def indicator_index(path: str) -> int | None:
    """The indicator index a path points into, if any."""
    m = re.match(r"indicators\[(\d+)\]", path)
    return int(m.group(1)) if m else None
