"""The review page: server-rendered Jinja2 (autoescaped: extracted text is untrusted), session login."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader

from extractor.domain.repair import label_key
from extractor.domain.vocabulary import FUND_COLUMNS as FUND_COLUMN_NAMES
from extractor.domain.vocabulary import FUND_ROWS as FUND_ROW_NAMES
from extractor.domain.vocabulary import INDICATOR_FIELDS
from extractor.records.models import FindingCode, Severity
from extractor.service import actions
from extractor.service.deps import Store, check_csrf, csrf_token, session_user
from extractor.service.explain import DOCUMENT_STATUS_NAMES, SEVERITY_NAMES, STATUS_NAMES, field_label
from extractor.service.schemas import FormOut, SourceOut
from extractor.service.security import LoginGuard, LoginRefused
from extractor.service.settings import ServiceSettings
from extractor.service.store import ServiceStore, UserInfo, aware
from extractor.templates import default_registry
from extractor.templates.model import TemplateDefinition, TemplateError
from extractor.templates.store import TemplateStore

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

FUND_ROWS = list(FUND_ROW_NAMES.items())
FUND_COLUMNS = list(FUND_COLUMN_NAMES.items())
INDICATOR_COLUMNS = list(INDICATOR_FIELDS.items())
# Columns only some families print: shown when a form has them.
OPTIONAL_INDICATOR_COLUMNS = frozenset({"nature", "unit", "method"})
KIND_NAMES = {"text_export": "文本导出", "pdf": "PDF", "image": "扫描图像", "html": "网页", "docx": "Word 文档",
              "doc": "Word 97 文档", "wps": "WPS 文字", "xlsx": "Excel 工作簿", "xls": "Excel 97 工作簿",
              "et": "WPS 表格", "ofd": "OFD 文档"}


def show(value: Any) -> str:
    """A value as the table prints it: decimals as written, null as a dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _dt(value: datetime | None) -> str:
    value = aware(value)
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else ""


def make_templates() -> Jinja2Templates:
    """The page templates, packaged with the module; autoescape is on for every template."""
    env = Environment(loader=PackageLoader("extractor.service", "templates"), autoescape=True,
                      trim_blocks=False, lstrip_blocks=False)
    env.globals.update(show=show, label=field_label, status_names=STATUS_NAMES, severity_names=SEVERITY_NAMES,
                       document_status_names=DOCUMENT_STATUS_NAMES,
                       kind_names=KIND_NAMES, fund_rows=FUND_ROWS, fund_columns=FUND_COLUMNS,
                       indicator_columns=INDICATOR_COLUMNS, optional_indicator_columns=OPTIONAL_INDICATOR_COLUMNS,
                       template_names={d.id: d.name for d in default_registry().definitions.values()})
    env.filters["dt"] = _dt
    return Jinja2Templates(env=env)


def _templates(request: Request) -> Jinja2Templates:
    return request.app.state.templates  # type: ignore[no-any-return]


def _settings(request: Request) -> ServiceSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    base = {"csrf": csrf_token(request), "user": context.pop("user", None)}
    return _templates(request).TemplateResponse(request, name, {**base, **context}, status_code=status_code)


def _login_redirect(request: Request) -> RedirectResponse:
    return RedirectResponse("/login", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    """The login form."""
    if session_user(request) is not None:
        return RedirectResponse("/", status_code=303)
    return _render(request, "login.html", {})


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, store: Store, username: Annotated[str, Form(max_length=100)],
                password: Annotated[str, Form(max_length=1000)], csrf: Annotated[str, Form()] = "") -> Response:
    """Check the password; on success start a fresh server-side session (new CSRF token) and go to the list.

    Async on purpose: attempts over the limits are turned away here, and the Argon2 check waits for its own
    small pool of threads, so a flood of logins never occupies the threads that serve everything else.
    """
    check_csrf(request, csrf)
    guard: LoginGuard = request.app.state.login_guard
    settings = _settings(request)
    address = request.client.host if request.client else "unknown"
    try:
        guard.admit(username, address)
        user = await guard.verify(lambda: store.authenticate(username, password))
    except LoginRefused as exc:
        response = _render(request, "login.html", {"message": "登录尝试过多，请稍后再试", "username": username},
                           status_code=exc.status_code)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if user is None:
        return _render(request, "login.html", {"message": "用户名或密码不正确", "username": username}, status_code=401)
    sid = await anyio.to_thread.run_sync(lambda: store.create_session(user.id, settings.session_max_age_s, address))
    request.session.clear()  # no session fixation: everything of the anonymous session is dropped
    request.session["sid"] = sid
    csrf_token(request)
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
def logout(request: Request, store: Store, csrf: Annotated[str, Form()] = "") -> Response:
    """End the session on the server (the cookie, replayed, is refused) and in the browser."""
    check_csrf(request, csrf)
    sid = request.session.get("sid")
    if isinstance(sid, str) and sid:
        store.end_session(sid)
    request.session.clear()
    return _login_redirect(request)


@router.get("/", response_class=HTMLResponse)
def documents_page(request: Request, store: Store) -> Response:
    """Upload form, jobs in progress and the user's documents."""
    user = session_user(request)
    if user is None:
        return _login_redirect(request)
    settings = _settings(request)
    jobs = store.list_jobs(user.id, limit=500)
    return _render(request, "documents.html", {
        "user": user, "documents": store.owned_documents(user.id),
        "pending": [j for j in jobs if j.status in ("queued", "running")],
        "failed_jobs": [j for j in jobs if j.status == "failed" and j.document_id is None],
        "max_mb": settings.max_file_bytes // (1024 * 1024), "max_pages": settings.max_pages})


def _panel_context(user: UserInfo, document_id: int, form: FormOut) -> dict[str, Any]:
    shown = [f for f in form.findings if f.severity is not Severity.INFO]
    rejected = {path: str((f.data or {}).get("value", "")) for f in form.findings
                if f.code is FindingCode.UNGROUNDED_VALUE for path in f.fields}
    # Fields whose current value came from a reviewer (their provenance says so).
    corrected = {path for path, src in form.provenance.fields.items() if src.method.value == "human"}
    form_data = {"form_id": form.id, "document_id": document_id,
                 "highlights": [h.model_dump(mode="json") for h in form.highlights]}
    return {"user": user, "form": form, "r": form.record, "shown_findings": shown,
            "info_findings": [f for f in form.findings if f.severity is Severity.INFO],
            "counts": {"error": sum(1 for f in shown if f.severity is Severity.ERROR),
                       "warning": sum(1 for f in shown if f.severity is Severity.WARNING)},
            "rejected": rejected, "corrected": corrected, "form_data": form_data}


@router.get("/documents/{document_id}", response_class=HTMLResponse)
def document_page(request: Request, document_id: int, store: Store, form: int | None = None) -> Response:
    """A document: the source (page images or the export's text grid) beside the extracted table."""
    user = session_user(request)
    if user is None:
        return _login_redirect(request)
    document = actions.document_out(store, user, document_id)
    chosen = None
    if document.forms:
        chosen = next((f for f in document.forms if f.index == form), None)
        if chosen is None:  # default: the first form that needs review, else the first
            chosen = next((f for f in document.forms if f.status == "needs_review" and not f.approval),
                          document.forms[0])
    context: dict[str, Any] = {"user": user, "doc": document, "form": chosen}
    if chosen is not None:
        try:
            source = actions.source_out(store, _settings(request), user, document_id)
        except HTTPException:  # read elsewhere and never stored by the service: show the table alone
            source = SourceOut(kind=document.kind or "text_export", pages=[])
        context.update(_panel_context(user, document_id, chosen))
        context["source"] = source
        context["grid"] = source.grids[chosen.index - 1] if source.grids and chosen.index <= len(source.grids) else []
        wanted = set(chosen.pages) or {p.number for p in source.pages[:1]}
        context["form_pages"] = [p for p in source.pages if p.number in wanted]
    return _render(request, "document.html", context)


@router.get("/documents/{document_id}/forms/{form_id}/panel", response_class=HTMLResponse)
def form_panel(request: Request, document_id: int, form_id: int, store: Store) -> Response:
    """The extracted table and findings of one form (the page swaps it in after an edit)."""
    user = session_user(request)
    if user is None:
        return Response(status_code=401)
    stored = actions.require_form(store, user, form_id)  # 404 for another user's form
    if stored.document_id != document_id:
        return Response(status_code=404)
    return _render(request, "_panel.html", _panel_context(user, document_id, actions.one_form(store, stored)))


# --- template induction: candidate definitions, shown beside their sample, approved by a reviewer ---------

_KIND_NAMES = {"form_fields": "表头字段", "fund_rows": "资金行", "fund_columns": "资金列", "goals": "目标列",
               "indicator_columns": "指标列", "indicator_labels": "指标名称", "sections": "栏目", "evaluation": "评价"}


def _families(request: Request) -> TemplateStore:
    return TemplateStore(_settings(request).data_dir)


def _mapping(definition: TemplateDefinition) -> list[tuple[str, str, str]]:
    """(kind, printed label, canonical label) of every label the definition maps."""
    tables = definition.labels.model_dump()
    return [(_KIND_NAMES.get(kind, kind), printed, canonical)
            for kind, table in tables.items() if isinstance(table, dict) for printed, canonical in table.items()]


@router.get("/templates", response_class=HTMLResponse)
def templates_page(request: Request, store: Store, approved: str | None = None, reread: int = 0) -> Response:
    """Candidate definitions awaiting a reviewer, and the approved ones the database keeps."""
    user = session_user(request)
    if user is None:
        return _login_redirect(request)
    return _render(request, "templates.html", {
        "user": user, "candidates": _families(request).list()["candidates"],
        "approved": store.approved_templates(), "just_approved": approved,
        "reread": reread})


@router.get("/templates/{family}", response_class=HTMLResponse)
def template_page(request: Request, family: str) -> Response:
    """A candidate definition beside the sample form it was proved on: which printed label went where."""
    user = session_user(request)
    if user is None:
        return _login_redirect(request)
    families = _families(request)
    try:
        definition = families.candidate(family)
    except TemplateError as exc:
        raise HTTPException(status_code=404, detail=f"no candidate definition {family!r}") from exc
    mapping = _mapping(definition)
    canonical = {label_key(printed): canonical for _, printed, canonical in mapping}
    sample = [[(text, canonical.get(label_key(text)) if text.strip() else None) for text in row]
              for row in families.sample(family)]
    return _render(request, "template.html", {"user": user, "definition": definition, "mapping": mapping,
                                               "sample": sample, "provenance": definition.provenance})


@router.post("/templates/{family}/approve")
def approve_template(request: Request, family: str, store: Store, csrf: Annotated[str, Form()] = "") -> Response:
    """Approve a candidate: from now on forms of its layout are read by rules (the database records who)."""
    check_csrf(request, csrf)
    user = session_user(request)
    if user is None:
        return _login_redirect(request)
    families = _families(request)
    try:
        path = families.approve(family, user.username)
    except TemplateError as exc:
        raise HTTPException(status_code=404, detail=f"no candidate definition {family!r}") from exc
    definition = TemplateDefinition.from_file(path, "induced")
    store.record_template(family=definition.id, name=definition.name, definition=definition.to_toml(),
                          provenance=definition.provenance, approved_by=user.username, user_id=user.id)
    # The uploads of this layout still waiting for review are read again by rules with the definition.
    reread = actions.reread_layout(store, request.app.state.locks, definition)
    return RedirectResponse(f"/templates?approved={definition.id}&reread={reread}", status_code=303)


def restore_approved(store: ServiceStore, families: TemplateStore) -> int:
    """Write the approved definitions the database keeps back into a data directory that lacks them."""
    restored = 0
    for info in store.approved_templates():
        try:
            restored += families.restore(info.definition) is not None
        except TemplateError as exc:  # one unreadable row must not keep the service from starting
            log.error("approved definition %s not restored: %s", info.family, exc.message)
    return restored
