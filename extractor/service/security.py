"""Passwords (Argon2id via argon2-cffi), API tokens (random, shown once, stored as SHA-256), login limits."""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from collections.abc import Callable
from typing import TypeVar

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

T = TypeVar("T")
TOKEN_PREFIX = "pfx_"
_hasher = PasswordHasher()
# Verifying against this keeps a login for an unknown user as slow as one for a known user (no user probing).
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """An Argon2id hash of the password (salted, with its parameters)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; a missing hash (a service account) never matches."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A fresh API token (256 random bits)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored for a token: its SHA-256 (a token has enough entropy that no slow hash is needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_display_prefix(token: str) -> str:
    """The first characters of a token, kept to tell tokens apart in listings."""
    return token[: len(TOKEN_PREFIX) + 6]


class LoginRefused(Exception):  # noqa: N818 - an HTTP answer (429 / 503), not an internal failure
    """A login attempt turned away before any password was hashed."""

    def __init__(self, status_code: int, code: str, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.status_code, self.code, self.message, self.retry_after = status_code, code, message, retry_after


class LoginGuard:
    """What a login may cost: attempts per account and per client address (a moving window, `limits`), and at
    most `concurrency` Argon2 verifications at a time with at most `queue` waiting.

    Each verification holds 64 MiB and a core for ~0.1 s; without a bound, 64 concurrent attempts took the
    server from 239 MB to 2.6 GB and every other request to seconds. Waiting attempts wait in the event loop
    (a capacity limiter on their own threads), never on the thread pool that serves normal requests.
    """

    def __init__(self, per_account: str, per_address: str, concurrency: int, queue: int) -> None:
        from limits import parse
        from limits.storage import MemoryStorage
        from limits.strategies import MovingWindowRateLimiter

        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._per_account, self._per_address = parse(per_account), parse(per_address)
        self._concurrency, self._queue = concurrency, queue
        self._hashing: anyio.CapacityLimiter | None = None
        self._pending = 0

    def admit(self, username: str, address: str) -> None:
        """Count one attempt against the address and the account; LoginRefused (429) when either is used up."""
        for item, scope, key in ((self._per_address, "address", address),
                                 (self._per_account, "account", username.strip().casefold())):
            if not self._limiter.hit(item, "login", scope, key):
                reset = self._limiter.get_window_stats(item, "login", scope, key).reset_time
                raise LoginRefused(429, "TOO_MANY_LOGINS", f"too many login attempts for this {scope}; try later",
                                   retry_after=max(1, math.ceil(reset - time.time())))

    async def verify(self, check: Callable[[], T]) -> T:
        """Run a password check on a bounded number of threads; LoginRefused (503) when too many wait."""
        if self._hashing is None:
            self._hashing = anyio.CapacityLimiter(self._concurrency)
        if self._pending >= self._concurrency + self._queue:
            raise LoginRefused(503, "LOGIN_BUSY", "too many logins at once; try again in a moment", retry_after=1)
        self._pending += 1
        try:
            return await anyio.to_thread.run_sync(check, limiter=self._hashing)
        finally:
            self._pending -= 1
