"""One question to an OpenAI-compatible endpoint through instructor: transport retries, re-asks, typed errors.

Transport retries (429, 5xx, timeouts, refused connections) are the openai client's own, with exponential
backoff and Retry-After; re-asks after a failed validation are instructor's. Neither is re-implemented here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import instructor
import openai
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from instructor.v2.core.hooks import Hooks
from pydantic import BaseModel

from extractor.errors import (
    ConfigurationError,
    LLMError,
    LLMRequestError,
    LLMResponseError,
    LLMUnavailableError,
)
from extractor.mapping.answers import answer_json
from extractor.settings import LLMMode, Settings

log = logging.getLogger(__name__)

_MODES = {
    LLMMode.TOOLS: instructor.Mode.TOOLS,
    LLMMode.JSON_SCHEMA: instructor.Mode.JSON_SCHEMA,
    LLMMode.JSON: instructor.Mode.JSON,
    LLMMode.MD_JSON: instructor.Mode.MD_JSON,
}
# A key is only sent to the endpoint; local servers (vLLM, Ollama) ignore it but the client wants one.
_NO_KEY = "unused"


class _RedactSecrets(logging.Filter):
    """Blots API keys out of records of the HTTP/LLM client loggers (a server may echo a key in an error body)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            record.msg, record.args = self._clean(message), None
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            if any(secret in text for secret in self.secrets):
                record.exc_text = self._clean(text)
        return True


_REDACT = _RedactSecrets()
_CLIENT_LOGGERS = ("openai", "instructor", "httpx", "httpx2", "httpcore")


def _redact_logs(secret: str) -> None:
    # Logger filters do not apply to records of child loggers: attach to every client logger that exists
    # (they are created when openai and instructor are imported, which has happened by now).
    if len(secret) < 4:
        return
    _REDACT.secrets.add(secret)
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] in _CLIENT_LOGGERS]
    for name in {*_CLIENT_LOGGERS, *names, __name__}:
        logger = logging.getLogger(name)
        if _REDACT not in logger.filters:
            logger.addFilter(_REDACT)


@dataclass
class Exchange:
    """What one question produced: the validated answer, or the last answer read without grounding."""

    answer: BaseModel | None
    raw: Any
    validated: bool
    responses: int
    usage: dict[str, int] = field(default_factory=dict)
    reask_errors: list[str] = field(default_factory=list)


class LLMClient:
    """An instructor client over the openai client, pointed at the configured endpoint."""

    def __init__(self, settings: Settings) -> None:
        missing = [name for name, value in (("EXTRACTOR_LLM_BASE_URL", settings.llm_base_url),
                                            ("EXTRACTOR_LLM_MODEL", settings.llm_model)) if not value]
        if missing:
            raise ConfigurationError(f"the LLM mapper needs {' and '.join(missing)} (any OpenAI-compatible endpoint; "
                                     f"see README 'LLM mapping')", missing=missing)
        assert settings.llm_base_url is not None and settings.llm_model is not None
        self.base_url = settings.llm_base_url
        self.model = settings.llm_model
        self.mode = _MODES[settings.llm_mode]
        self._secret = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
        _redact_logs(self._secret)
        self._transport_attempts = settings.llm_max_retries + 1
        self._extra: dict[str, Any] = {}
        if settings.llm_temperature is not None:
            self._extra["temperature"] = settings.llm_temperature
        if settings.llm_max_tokens is not None:
            self._extra["max_tokens"] = settings.llm_max_tokens
        self._openai = openai.OpenAI(base_url=self.base_url, api_key=self._secret or _NO_KEY,
                                     timeout=settings.llm_timeout_s, max_retries=settings.llm_max_retries)
        self._client = instructor.from_openai(self._openai, mode=self.mode)

    def redact(self, text: str) -> str:
        """Text with the API key blotted out (exceptions from a server may echo request details)."""
        return text.replace(self._secret, "***") if len(self._secret) >= 4 else text

    def _failure(self, exc: BaseException | None, responses: int) -> LLMError:
        details: dict[str, Any] = {"base_url": self.base_url, "model": self.model, "responses": responses}
        if isinstance(exc, openai.APIStatusError):
            details["status"] = exc.status_code
        details["cause"] = type(exc).__name__ if exc is not None else None
        where = f"{self.base_url} (model {self.model})"
        if isinstance(exc, openai.APITimeoutError):
            return LLMUnavailableError(f"the LLM endpoint {where} timed out ({self._transport_attempts} attempts)",
                                       **details)
        if isinstance(exc, openai.APIConnectionError):
            return LLMUnavailableError(f"the LLM endpoint {where} cannot be reached ({self._transport_attempts} "
                                       f"attempts): is it running?", **details)
        if isinstance(exc, openai.APIStatusError) and (exc.status_code == 429 or exc.status_code >= 500):
            return LLMUnavailableError(f"the LLM endpoint {where} kept answering HTTP {exc.status_code} "
                                       f"({self._transport_attempts} attempts)", **details)
        if isinstance(exc, openai.APIStatusError):
            message = self.redact(str(getattr(exc, "message", "") or ""))[:300]
            return LLMRequestError(f"the LLM endpoint {where} rejected the request (HTTP {exc.status_code}): {message}",
                                   **details)
        text = self.redact(str(exc))[:300] if exc is not None else "no answer"
        return LLMResponseError(f"the LLM endpoint {where} gave no usable answer: {text}", **details)

    def ask(self, messages: list[dict[str, Any]], response_model: type[BaseModel], context: dict[str, Any],
            reasks: int) -> Exchange:
        """Ask once (plus up to `reasks` re-asks on a refused answer); raise a typed LLMError when there is no answer."""
        completions: list[Any] = []
        errors: list[str] = []
        hooks = Hooks()
        hooks.on("completion:response", completions.append)
        hooks.on("parse:error", lambda error, **_: errors.append(_summary(error)))
        try:
            answer = self._client.create(response_model=response_model, messages=messages,  # type: ignore[arg-type]
                                         max_retries=reasks, context=context, strict=False, hooks=hooks,
                                         model=self.model, **self._extra)
        except InstructorRetryException as exc:
            cause = exc.__cause__
            if isinstance(cause, openai.APIError) or not completions:
                raise self._failure(cause, len(completions)) from None
            return self._unvalidated(completions, errors)
        except IncompleteOutputException:
            raise LLMResponseError(f"the answer of {self.model} was cut off (finish_reason=length): raise "
                                   f"EXTRACTOR_LLM_MAX_TOKENS or use a model with a longer output",
                                   base_url=self.base_url, model=self.model, responses=len(completions)) from None
        except openai.APIError as exc:
            raise self._failure(exc, len(completions)) from None
        return Exchange(answer=answer, raw=answer.model_dump(mode="json"), validated=True, responses=len(completions),
                        usage=_usage(completions), reask_errors=errors)

    def _unvalidated(self, completions: list[Any], errors: list[str]) -> Exchange:
        # Every attempt was refused: keep the last answer's JSON; the caller drops what does not hold up.
        text = _completion_text(completions[-1])
        try:
            raw = answer_json(text)
        except ValueError:
            raise LLMResponseError(f"{self.model} gave no readable JSON in {len(completions)} attempts",
                                   base_url=self.base_url, model=self.model, responses=len(completions),
                                   last_error=errors[-1] if errors else None) from None
        return Exchange(answer=None, raw=raw, validated=False, responses=len(completions), usage=_usage(completions),
                        reask_errors=errors)


def _summary(error: BaseException) -> str:
    text = str(error)
    return text if len(text) <= 2000 else text[:2000] + "…"


def _completion_text(completion: Any) -> str:
    message = completion.choices[0].message
    for call in getattr(message, "tool_calls", None) or []:
        arguments = getattr(getattr(call, "function", None), "arguments", None)
        if arguments:
            return str(arguments)
    return str(message.content or "")


def _usage(completions: list[Any]) -> dict[str, int]:
    total = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    for completion in completions:
        usage = getattr(completion, "usage", None)
        for key in total:
            total[key] += int(getattr(usage, key, 0) or 0)
    return total
