"""What the checker needs to know of a form's family: the budget its rate divides by, the fields it prints."""

from __future__ import annotations

from dataclasses import dataclass, field

from extractor.domain.vocabulary import parent_of
from extractor.templates import TemplateDefinition


@dataclass(frozen=True)
class CheckContext:
    """The family facts the rules depend on; the default is the central form's (the seed's family)."""

    family: str | None = None
    rate_basis: str = "annual_budget"
    funds_scored: bool = True  # the funds block prints its own 分值 / 得分 (Ningxia's does not)
    printed: frozenset[str] = field(default_factory=frozenset)
    parents: dict[str, tuple[str, ...]] = field(default_factory=dict)  # the family's further level1 of a level2

    def parents_of(self, level2: str) -> tuple[str, ...]:
        """The level1 values a level2 may stand under on forms of this family."""
        return (*parent_of(level2), *self.parents.get(level2, ()))

    @classmethod
    def of(cls, family: TemplateDefinition | None) -> CheckContext:
        """The context of a family (None: the defaults)."""
        if family is None:
            return cls()
        return cls(family=family.id, rate_basis=family.layout.rate_basis,
                   funds_scored=family.prints("funds.total.weight") or family.prints("funds.total.score"),
                   printed=frozenset(family.printed),
                   parents={k: tuple(v) for k, v in family.hierarchy.parents.items()})


DEFAULT_CONTEXT = CheckContext()


def context_for(template: str | None) -> CheckContext:
    """The context of a family named by id (a stored form's `template`); unknown or None: the defaults."""
    if template is None:
        return DEFAULT_CONTEXT
    from extractor.templates import default_registry

    registry = default_registry()
    if template not in registry.definitions:
        return DEFAULT_CONTEXT
    return CheckContext.of(registry.get(template))
