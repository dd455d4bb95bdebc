"""Request dependencies: the store and settings of the app, and who is calling (API token or session)."""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import defaultdict
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from extractor.service.settings import ServiceSettings
from extractor.service.store import ServiceStore, UserInfo

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSRF_HEADER = "X-CSRF-Token"
bearer = HTTPBearer(auto_error=False, description="an API token from `extractor token create NAME`")


def error(status: int, code: str, message: str, **details: Any) -> HTTPException:
    """An HTTP error whose body is {"detail": {"code", "message", …}}."""
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return HTTPException(status, detail={"code": code, "message": message, **details}, headers=headers)


def get_store(request: Request) -> ServiceStore:
    """The app's ServiceStore."""
    return request.app.state.store  # type: ignore[no-any-return]


def get_settings(request: Request) -> ServiceSettings:
    """The app's settings."""
    return request.app.state.settings  # type: ignore[no-any-return]


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use); forms and the page's scripts send it back."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def check_csrf(request: Request, sent: str | None) -> None:
    """Refuse a state-changing request of a session whose CSRF token is missing or wrong."""
    expected = request.session.get("csrf")
    if not expected or not sent or not hmac.compare_digest(str(expected), sent):
        raise error(403, "CSRF_FAILED", "missing or wrong CSRF token; reload the page")


def session_user(request: Request) -> UserInfo | None:
    """The user of this login session, if it is live on the server (not logged out, expired or revoked)."""
    sid = request.session.get("sid")
    if not isinstance(sid, str) or not sid:
        return None
    user = get_store(request).session_user(sid)
    if user is None:
        request.session.clear()  # a replayed or revoked cookie: forget it
        return None
    return user


def authenticate(request: Request) -> UserInfo:
    """The caller from the request's headers alone: a Bearer token's user, else the session's user (with CSRF
    on writes); 401 for neither. Needs no body, so an upload can be refused before it is read."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise error(401, "INVALID_TOKEN", "the Authorization header must be 'Bearer <token>'")
        user = get_store(request).user_for_token(token.strip())
        if user is None:
            raise error(401, "INVALID_TOKEN", "unknown or revoked API token")
        return user
    user = session_user(request)
    if user is None:
        raise error(401, "NOT_AUTHENTICATED", "an API token (Authorization: Bearer …) or a login is required")
    if request.method not in SAFE_METHODS:
        check_csrf(request, request.headers.get(CSRF_HEADER))
    return user


def current_user(request: Request,
                 _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> UserInfo:
    """The caller (see `authenticate`); the Bearer dependency documents the scheme in the OpenAPI schema."""
    return authenticate(request)


CurrentUser = Annotated[UserInfo, Depends(current_user)]
Store = Annotated[ServiceStore, Depends(get_store)]
AppSettings = Annotated[ServiceSettings, Depends(get_settings)]


class FormLocks:
    """One lock per form: two edits of the same form in this process apply one after the other."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[int, threading.Lock] = defaultdict(threading.Lock)

    def __call__(self, form_id: int) -> threading.Lock:
        with self._guard:
            return self._locks[form_id]
