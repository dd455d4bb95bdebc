"""CLI of the service: `serve`, `worker`, `user create|password|disable|enable`, `token create|list|revoke`,
`export-gold`."""

from __future__ import annotations

import faulthandler
import logging
import os
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from extractor.errors import ExtractorError
from extractor.runner.commands import DbOption, show_database

err = Console(stderr=True)
out = Console()
user_app = typer.Typer(help="Users of the review page (passwords are stored as Argon2id hashes).",
                       no_args_is_help=True)
token_app = typer.Typer(help="API tokens (shown once, stored as SHA-256).", no_args_is_help=True)


def _store(db: str | None):  # noqa: ANN202 - a local import keeps `extractor --help` fast
    from extractor.service.settings import get_service_settings
    from extractor.service.store import ServiceStore
    from extractor.storage.repository import Repository

    settings = get_service_settings(database_url=db)
    show_database(db, settings)
    return ServiceStore(Repository.open(settings=settings))


def _fail(exc: ExtractorError) -> typer.Exit:
    err.print(f"[red]{exc.message}[/]")
    return typer.Exit(1)


def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="job-worker processes (0: only accept uploads; run `extractor "
                                                  "worker` elsewhere)", min=0, max=64)] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "info",
    db: DbOption = None,
) -> None:
    """Run the upload API and the review page (FastAPI + uvicorn) with N job workers."""
    import uvicorn

    from extractor.service.app import create_app
    from extractor.service.settings import get_service_settings

    os.umask(0o077)  # the database, uploads, caches and exports are personal data: owner only
    faulthandler.enable()  # a fatal signal (SIGBUS from a memory-mapped -shm file) leaves a traceback
    settings = get_service_settings(database_url=db)
    show_database(db, settings)
    try:
        app = create_app(settings, workers=workers)
    except ExtractorError as exc:
        raise _fail(exc) from exc
    err.print(f"serving on http://{host}:{port}  (data: {settings.data_dir}, job workers: {workers})")
    uvicorn.run(app, host=host, port=port, log_level=log_level, proxy_headers=False, server_header=False)


def worker(
    drain: Annotated[bool, typer.Option("--drain", help="process what is queued, then exit")] = False,
    db: DbOption = None,
) -> None:
    """Run one job worker against the configured database (until SIGTERM/Ctrl+C, or until idle with --drain)."""
    from extractor.service.settings import get_service_settings
    from extractor.service.worker import Worker, WorkerShutdown

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s[%(process)d]: %(message)s")
    os.umask(0o077)
    faulthandler.enable()
    settings = get_service_settings(database_url=db)
    show_database(db, settings)
    job_worker = Worker(settings, hard_timeout=True)
    if drain:
        count = job_worker.drain()
        err.print(f"processed {count} job(s)")
        return
    stop = threading.Event()

    def on_signal(_signum: int, _frame: object) -> None:
        stop.set()
        if job_worker.current is not None:
            raise WorkerShutdown()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    err.print(f"worker {job_worker.name} (pid {os.getpid()}) waiting for jobs")
    try:
        job_worker.run(stop)
    except WorkerShutdown:
        err.print("stopped; the job in hand was handed back")


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Argument(help="login name")],
    password: Annotated[str | None, typer.Option(help="password (prompted when omitted; or "
                                                      "EXTRACTOR_NEW_PASSWORD)", envvar="EXTRACTOR_NEW_PASSWORD")] = None,
    db: DbOption = None,
) -> None:
    """Create a user of the review page."""
    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        err.print("[red]a password needs at least 8 characters[/]")
        raise typer.Exit(2)
    try:
        user = _store(db).create_user(username, password)
    except ExtractorError as exc:
        raise _fail(exc) from exc
    out.print(f"created user {user.username} (id {user.id})")


@user_app.command("password")
def user_password(
    username: Annotated[str, typer.Argument()],
    password: Annotated[str | None, typer.Option(envvar="EXTRACTOR_NEW_PASSWORD")] = None,
    db: DbOption = None,
) -> None:
    """Set a user's password (every login session of the user ends)."""
    if password is None:
        password = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        err.print("[red]a password needs at least 8 characters[/]")
        raise typer.Exit(2)
    try:
        _store(db).set_password(username, password)
    except ExtractorError as exc:
        raise _fail(exc) from exc
    out.print(f"password of {username} changed")


@user_app.command("disable")
def user_disable(username: Annotated[str, typer.Argument()], db: DbOption = None) -> None:
    """Disable a user: their sessions end now, their API tokens and logins are refused (their data is kept)."""
    try:
        ended = _store(db).set_disabled(username, True)
    except ExtractorError as exc:
        raise _fail(exc) from exc
    out.print(f"user {username} disabled; {ended} session(s) ended")


@user_app.command("enable")
def user_enable(username: Annotated[str, typer.Argument()], db: DbOption = None) -> None:
    """Enable a disabled user again (they log in anew; their tokens work again unless revoked)."""
    try:
        _store(db).set_disabled(username, False)
    except ExtractorError as exc:
        raise _fail(exc) from exc
    out.print(f"user {username} enabled")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="what the token is for; also its owner's name unless --user")],
    user: Annotated[str | None, typer.Option("--user", help="an existing user to own the token")] = None,
    db: DbOption = None,
) -> None:
    """Create an API token and print it (once: only its hash is kept)."""
    try:
        token, info = _store(db).create_token(name, username=user)
    except ExtractorError as exc:
        raise _fail(exc) from exc
    err.print(f"token {info.id} '{info.name}' for user {info.username}; keep it, it is not shown again:")
    typer.echo(token)


@token_app.command("list")
def token_list(user: Annotated[str | None, typer.Option("--user", help="only this user's tokens")] = None,
               db: DbOption = None) -> None:
    """List tokens (never the tokens themselves)."""
    table = Table("id", "name", "user", "prefix", "created", "last used", "revoked")
    for t in _store(db).list_tokens(user):
        table.add_row(str(t.id), t.name, t.username, t.prefix + "…", f"{t.created_at:%Y-%m-%d %H:%M}",
                      f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "—",
                      f"{t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "")
    out.print(table)


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="the id shown by `token list`")],
                 db: DbOption = None) -> None:
    """Revoke a token."""
    if not _store(db).revoke_token(token_id):
        err.print(f"[red]no live token {token_id}[/]")
        raise typer.Exit(1)
    out.print(f"token {token_id} revoked")


def export_gold_cmd(
    folder: Annotated[Path | None, typer.Argument(metavar="[OUTPUT]", help="the folder, as -o gives it (kept for "
                                                                           "scripts written before -o)")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="folder to write the dataset into "
                                                                       "(manifest.json, gold/)")] = None,
    user: Annotated[str | None, typer.Option("--user", help="only this user's documents")] = None,
    name: Annotated[str, typer.Option(help="the dataset's name in its manifest")] = "reviewed",
    db: DbOption = None,
) -> None:
    """Write approved forms as an evaluation dataset (perf-form-dataset/1) for `extractor eval`."""
    from extractor.service.gold import export_gold
    from extractor.service.settings import get_service_settings

    if (folder is None) == (output is None):
        err.print("[red]name the output folder once: -o FOLDER[/]")
        raise typer.Exit(2)
    output = output or folder
    assert output is not None
    settings = get_service_settings(database_url=db)
    store = _store(db)
    user_id = None
    if user is not None:
        info = store.get_user(username=user)
        if info is None:
            err.print(f"[red]no user {user!r}[/]")
            raise typer.Exit(1)
        user_id = info.id
    if output.exists() and any(output.iterdir()):
        err.print(f"[red]{output} is not empty[/]")
        raise typer.Exit(2)
    summary = export_gold(store, settings, output, user_id=user_id, name=name)
    out.print(f"wrote {summary.forms} approved form(s) of {summary.documents} document(s) to {summary.folder}")


def _record_approval(path: Path, reviewer: str, db: str | None = None) -> None:
    """Keep an approved definition file in the database too (a warning when there is none to keep it in)."""
    from extractor.templates.model import TemplateDefinition

    definition = TemplateDefinition.from_file(path, "induced")
    try:
        store = _store(db)
    except (ExtractorError, ImportError) as exc:  # no database, or no `db` extra: the file approval stands
        err.print(f"[yellow]not recorded in the database: {getattr(exc, 'message', exc)}[/]")
        return
    try:
        store.record_template(family=definition.id, name=definition.name, definition=definition.to_toml(),
                              provenance=definition.provenance, approved_by=reviewer)
    except ExtractorError as exc:
        err.print(f"[yellow]not recorded in the database: {exc.message}[/]")
    finally:
        store.repo.close()


def approve_template(
    family: Annotated[str, typer.Argument(help="a candidate's id")],
    reviewer: Annotated[str | None, typer.Option(help="who approves (default: the user name)")] = None,
    db: DbOption = None,
) -> None:
    """Make a candidate definition active: forms of its layout are read by rules from now on.

    The definition moves to the approved ones of the data directory and is kept in the database, with who
    approved it and when (as an approval on the review page is).
    """
    import getpass

    from extractor.settings import get_settings
    from extractor.templates.store import TemplateStore

    name = reviewer or getpass.getuser()
    try:
        path = TemplateStore(get_settings().data_dir).approve(family, name)
    except ExtractorError as exc:
        err.print(f"[red]{exc.code}[/] {exc.message}")
        raise typer.Exit(2) from exc
    err.print(f"approved {family}: {path}")
    _record_approval(path, name, db)


def import_template(file: Annotated[Path, typer.Argument(help="a definition file (TOML)")],
                    approve: Annotated[bool, typer.Option(help="approve it at once (kept in the database too)")]
                    = False, db: DbOption = None) -> None:
    """Add a definition file as a candidate (or approved with --approve)."""
    import getpass

    from extractor.settings import get_settings
    from extractor.templates.store import TemplateStore

    name = getpass.getuser()
    try:
        path = TemplateStore(get_settings().data_dir).import_file(file, approve=approve, reviewer=name)
    except ExtractorError as exc:
        err.print(f"[red]{exc.code}[/] {exc.message}")
        raise typer.Exit(2) from exc
    err.print(f"imported {file} → {path}")
    if approve:
        _record_approval(path, name, db)


def register(app: typer.Typer) -> None:
    """Add the service's commands to the `extractor` CLI."""
    from extractor.mapping.commands import templates

    templates.command("approve")(approve_template)
    templates.command("import")(import_template)
    app.command("serve")(serve)
    app.command("worker")(worker)
    app.command("export-gold")(export_gold_cmd)
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
