"""Form families as data: one definition per family (templates.md), the registry that loads them and picks one.

A definition says how a family is recognised (cues), the labels it prints for the record's fields (each mapped
onto the canonical vocabulary), where its totals and grade sit, and which fields it prints at all. Adding a
family means adding a definition file (built in under `families/`, or in a directory named by
`EXTRACTOR_TEMPLATES_DIR`) and its fixtures, not code.
"""

from extractor.templates.model import TemplateDefinition, TemplateError
from extractor.templates.registry import TemplateChoice, TemplateRegistry, default_registry

__all__ = ["TemplateChoice", "TemplateDefinition", "TemplateError", "TemplateRegistry", "default_registry"]
