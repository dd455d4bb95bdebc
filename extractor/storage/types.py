"""Column types that keep Decimals exact on every backend (SQLite has no decimal type)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Dialect, Numeric
from sqlalchemy.types import TypeDecorator, TypeEngine

SCALE = 4  # scores and amounts print with at most two decimals; rates may have more


class ExactDecimal(TypeDecorator[Decimal]):
    """A Decimal column: NUMERIC(18, 4) on PostgreSQL, a scaled integer on SQLite; never a float."""

    impl = Numeric(18, SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """SQLite would store NUMERIC as REAL (binary float); a scaled BIGINT compares and sums exactly."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(18, SCALE, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        """Decimal → the stored form; floats are refused so binary rounding cannot sneak in."""
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("ExactDecimal takes Decimal, int or str, never float")
        value = Decimal(value).quantize(Decimal(1).scaleb(-SCALE))
        if dialect.name == "sqlite":
            return int(value.scaleb(SCALE))
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        """The stored form → Decimal with SCALE places on both backends (same results on both)."""
        if value is None:
            return None
        if dialect.name == "sqlite":
            # an aggregate such as AVG comes back as REAL: go through its repr, not binary
            return Decimal(value if isinstance(value, int) else str(value)).scaleb(-SCALE)
        return Decimal(value).quantize(Decimal(1).scaleb(-SCALE))
