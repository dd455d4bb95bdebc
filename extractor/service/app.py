"""The FastAPI application: API and review page, sessions, security headers, upload caps, job workers."""

from __future__ import annotations

import errno
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import extractor
from extractor.service import api, web
from extractor.service.deps import FormLocks, authenticate
from extractor.service.security import LoginGuard
from extractor.service.settings import ServiceSettings, get_service_settings
from extractor.service.store import ServiceStore
from extractor.service.worker import Supervisor
from extractor.storage.database import secure_sqlite_files
from extractor.storage.errors import StorageError
from extractor.storage.repository import Repository
from extractor.templates.store import TemplateStore

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
UPLOAD_PATHS = ("/api/v1/uploads",)
# The page loads nothing from elsewhere and runs no inline script: injected markup could not run even if it
# slipped past escaping.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


class BodyTooLarge(BaseException):  # noqa: N818 - control flow inside the middleware
    """The request body passed the cap while it was being read.

    A BaseException: FastAPI turns any Exception raised while it parses a body into a 400, and this must
    reach the middleware to become a 413.
    """


async def send_json(send: Send, status: int, body: dict[str, object], headers: list[tuple[bytes, bytes]]) -> None:
    """Answer from a middleware, before the body was read (so the connection is closed after it)."""
    payload = json.dumps(body, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            (b"connection", b"close"), *headers]})
    await send({"type": "http.response.body", "body": payload})


class UploadLimitMiddleware:
    """Refuse a request whose body is over its cap (uploads: the upload cap; anything else: a small one for JSON
    and forms): by Content-Length up front, else while reading."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_other_bytes: int) -> None:
        self.app, self.max_upload_bytes, self.max_other_bytes = app, max_bytes, max_other_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        upload = scope["method"] == "POST" and scope["path"] in UPLOAD_PATHS
        limit = self.max_upload_bytes if upload else self.max_other_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send, limit)

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        await send_json(send, 413, {"detail": {"code": "REQUEST_TOO_LARGE",
                                               "message": f"the request is larger than {limit} bytes",
                                               "limit": limit}}, [])


class UploadAuthMiddleware:
    """Authenticate an upload from its headers before a byte of its body is read: an unauthenticated upload
    (or a session's upload without its CSRF token) is refused at once instead of being spooled to disk first.
    The route authenticates again as usual; this only moves the refusal in front of the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] in UPLOAD_PATHS:
            request = Request(scope)  # no receive: nothing here can read the body
            try:
                await anyio.to_thread.run_sync(authenticate, request)
            except HTTPException as exc:
                await send_json(send, exc.status_code, {"detail": exc.detail},
                                [(k.lower().encode(), v.encode()) for k, v in (exc.headers or {}).items()])
                return
            except StorageError as exc:
                answer = storage_response(str(exc.details.get("reason", "other")), "database")
                await send_json(send, answer.status_code, json.loads(answer.body),
                                [(b"retry-after", b"30")])
                return
        await self.app(scope, receive, send)


class SecurityHeadersMiddleware:
    """CSP and the usual hardening headers on every response; `Cache-Control: no-store` on everything but the
    static files (documents, forms, page images, exports and the review page are personal data: no browser or
    proxy cache may keep them)."""

    HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
               (b"referrer-policy", b"same-origin"), (b"x-frame-options", b"DENY")]

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        static = scope["path"].startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if static or h[0].lower() != b"cache-control"]
                message["headers"] = headers + self.HEADERS + ([] if static else [(b"cache-control", b"no-store")])
            await send(message)

        await self.app(scope, receive, with_headers)


def private_data_dir(settings: ServiceSettings) -> None:
    """The data directory and its uploads and caches, owner only (0700): they hold every user's documents."""
    for folder in (settings.data_dir, settings.uploads_dir(), settings.cache_dir()):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)


def storage_response(reason: str, what: str) -> JSONResponse:
    """A storage fault as a typed answer: 507 for a full disk, 503 for a read-only or unavailable store."""
    if reason == "disk_full":
        status, code, message = 507, "INSUFFICIENT_STORAGE", f"the server's {what} is full; nothing was stored"
    elif reason == "read_only":
        status, code, message = 503, "STORAGE_READ_ONLY", f"the server's {what} is read-only; nothing was stored"
    else:
        status, code, message = 503, "STORAGE_UNAVAILABLE", f"the server's {what} is unavailable; try again"
    return JSONResponse({"detail": {"code": code, "message": message, "reason": reason}}, status_code=status,
                        headers={"Retry-After": "30"})


def create_app(settings: ServiceSettings | None = None, workers: int = 0) -> FastAPI:
    """The application; `workers` job-worker processes are started with it and stopped at shutdown."""
    settings = settings or get_service_settings()
    private_data_dir(settings)
    repo = Repository.open(settings=settings)  # migrates a new database before the first request
    secure_sqlite_files(repo.engine)
    store = ServiceStore(repo)
    # Approved definitions are kept in the database: a data directory that lost its files gets them back.
    web.restore_approved(store, TemplateStore(settings.data_dir))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        supervisor = Supervisor(settings, workers) if workers > 0 else None
        if supervisor is not None:
            supervisor.start()
        app.state.supervisor = supervisor
        try:
            yield
        finally:
            if supervisor is not None:
                await anyio.to_thread.run_sync(supervisor.stop)
            repo.close()

    app = FastAPI(title="perf-form-extractor service", version=extractor.__version__,
        summary="Upload 绩效自评表 (PDF, scans, text exports), review the checked records, correct, approve, export.",
        description="Every endpoint but `/api/v1/health` needs an API token (`Authorization: Bearer …`, from "
                    "`extractor token create NAME`) or a review-page session. Uploads are judged by content; "
                    "each becomes a durable job processed by the workers.",
        openapi_url="/api/v1/openapi.json", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.settings = settings
    app.state.store = store
    app.state.locks = FormLocks()
    app.state.login_guard = LoginGuard(settings.login_per_account, settings.login_per_address,
                                       settings.login_concurrency, settings.login_queue)
    app.state.templates = web.make_templates()
    app.state.supervisor = None
    app.include_router(api.router)
    app.include_router(web.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(StorageError)
    async def storage_unavailable(_request: Request, exc: StorageError) -> JSONResponse:
        log.error("storage error: %s", exc.message)
        return storage_response(str(exc.details.get("reason", "other")), "database")

    @app.exception_handler(OSError)
    async def disk_unavailable(_request: Request, exc: OSError) -> JSONResponse:
        # The data directory refused a write (full, read-only, gone): typed, and without the server's paths.
        log.error("file system error: %s", exc)
        reason = {errno.ENOSPC: "disk_full", errno.EDQUOT: "disk_full", errno.EROFS: "read_only"}.get(
            exc.errno or 0, "other")
        return storage_response(reason, "data directory")

    app.add_middleware(UploadAuthMiddleware)  # inside the session middleware: it reads the session cookie
    app.add_middleware(SessionMiddleware, secret_key=settings.resolved_session_secret(),
                       session_cookie="extractor_session", max_age=settings.session_max_age_s, same_site="lax",
                       https_only=settings.session_https_only)
    app.add_middleware(UploadLimitMiddleware, max_bytes=settings.max_request_bytes,
                       max_other_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    return app
