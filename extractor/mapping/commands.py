"""`extractor templates …`: list the families, learn a new layout from samples, export (`approve` and `import`,
which record approvals in the database, are added by extractor/service/commands.py: this layer cannot reach it)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from extractor.errors import ExtractorError
from extractor.ingest.loader import load_path
from extractor.layout import Grid
from extractor.mapping.induction import TemplateInducer, fingerprint
from extractor.settings import get_settings
from extractor.templates.registry import default_registry
from extractor.templates.store import TemplateStore, sample_rows

templates = typer.Typer(help="Form families (templates): list, induce from samples, approve, export, import.",
                        no_args_is_help=True)
err = Console(stderr=True)


def _store() -> TemplateStore:
    data_dir = get_settings().data_dir
    # Said every time: the families a user induced live in the data directory, not where the command runs.
    err.print(f"[dim]data: {escape(str(data_dir))}[/]", soft_wrap=True, highlight=False)
    return TemplateStore(data_dir)


@templates.command("list")
def list_cmd() -> None:
    """The families the reader knows (built in, your own, approved) and the candidates awaiting review."""
    table = Table("id", "name", "origin", "status", title="form families")
    for definition in default_registry().definitions.values():
        status = "supported" if definition.supported else "refused (UNSUPPORTED_TEMPLATE)"
        table.add_row(definition.id, definition.name, definition.origin, status)
    for definition in _store().list()["candidates"]:
        table.add_row(definition.id, definition.name, "induced", "candidate: awaits approval")
    Console().print(table)


@templates.command("show")
def show_cmd(family: Annotated[str, typer.Argument(help="a family id (see `templates list`)")]) -> None:
    """Print a family's definition (TOML)."""
    definition = _store().find(family) or default_registry().definitions.get(family)
    if definition is None:
        err.print(f"[red]no family {escape(family)!r}[/]")
        raise typer.Exit(2)
    sys.stdout.write(definition.to_toml())


def _samples(paths: list[Path]) -> dict[str, list[Grid]]:
    settings = get_settings()
    groups: dict[str, list[Grid]] = {}
    for path in paths:
        for grid in load_path(path, settings).grids:
            groups.setdefault(fingerprint(grid), []).append(grid)
    return groups


@templates.command("induce")
def induce_cmd(
    samples: Annotated[list[Path], typer.Argument(help="sample documents of the new layout (a few forms suffice)")],
    max_samples: Annotated[int, typer.Option(help="forms of one layout shown to the model")] = 2,
) -> None:
    """Ask the LLM for the definition of a layout, prove it on the samples, keep it as a candidate to approve.

    Example: extractor templates induce archive/2019/county-a.txt
    """
    try:
        groups = _samples(samples)
        inducer = TemplateInducer(get_settings(), attempts=get_settings().induction_attempts)
    except ExtractorError as exc:
        err.print(f"[red]{exc.code}[/] {escape(exc.message)}")
        raise typer.Exit(2) from exc
    store = _store()
    failed = 0
    for print_, grids in groups.items():
        known = store.by_fingerprint(print_)
        if known is not None:
            err.print(f"layout {print_}: already known as {known.id}")
            continue
        try:
            definition = inducer.induce(grids[:max_samples])
        except ExtractorError as exc:
            failed += 1
            err.print(f"[red]layout {print_}: {exc.code}[/] {escape(exc.message)}")
            continue
        path = store.propose(definition, sample=sample_rows(grids[0]))
        err.print(f"[green]layout {print_}[/]: candidate [bold]{definition.id}[/] ({escape(definition.name)}), proved "
                  f"on {min(len(grids), max_samples)} form(s): {path}\n  review it, then: extractor templates approve "
                  f"{definition.id}")
    err.print(f"{len(groups)} layout(s), {inducer.requests} LLM request(s)")
    raise typer.Exit(1 if failed else 0)


@templates.command("export")
def export_cmd(family: Annotated[str, typer.Argument(help="a family id")],
               output: Annotated[Path, typer.Option("--output", "-o", help="the TOML file to write")]) -> None:
    """Write a family's definition to a file (to share it, or to add it to another installation)."""
    definition = _store().find(family) or default_registry().definitions.get(family)
    if definition is None:
        err.print(f"[red]no family {escape(family)!r}[/]")
        raise typer.Exit(2)
    output.write_text(definition.to_toml(), encoding="utf-8")
    err.print(f"wrote {output}")


def register(app: typer.Typer) -> None:
    """Add the `templates` command group."""
    app.add_typer(templates, name="templates")
