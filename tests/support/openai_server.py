"""A local OpenAI-compatible chat-completions endpoint for tests: real HTTP on 127.0.0.1, scripted answers.

It answers in the wire format the request asked for: a tool call when the request carries `tools`
(instructor's TOOLS mode), message content when it carries `response_format` (JSON / JSON_SCHEMA modes), and a
fenced JSON block otherwise (MD_JSON). Every request is recorded so tests can count and inspect them.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


@dataclass
class Answer:
    """A completion carrying `payload` (a dict is sent as JSON, a str as is: use it for broken JSON)."""

    payload: dict[str, Any] | str
    delay: float = 0.0
    finish_reason: str | None = None


@dataclass
class Status:
    """An HTTP error response in OpenAI's error format."""

    code: int
    message: str = "scripted error"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Step = Answer | Status
Responder = Callable[[dict[str, Any]], Step]


def free_port() -> int:
    """A TCP port nothing listens on (for a server that is down)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ScriptedServer:
    """Serves scripted steps in order, then `responder(request)` when the script is used up."""

    def __init__(self, *steps: Step | Responder, responder: Responder | None = None) -> None:
        self.script: deque[Step | Responder] = deque(steps)
        self.responder = responder
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        app = FastAPI()
        app.post("/v1/chat/completions")(self._chat)
        config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    @property
    def base_url(self) -> str:
        """What EXTRACTOR_LLM_BASE_URL points at."""
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the scripted server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()

    def _next(self, body: dict[str, Any]) -> Step:
        with self._lock:
            step = self.script.popleft() if self.script else self.responder
        if step is None:
            return Status(500, "the test script is used up")
        return step(body) if callable(step) else step

    async def _chat(self, request: Request) -> JSONResponse:
        body = await request.json()
        with self._lock:
            self.requests.append(body)
            self.headers.append(dict(request.headers))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            step = self._next(body)
            if step.delay:
                await asyncio.sleep(step.delay)
            if isinstance(step, Status):
                return JSONResponse(status_code=step.code, headers=step.headers, content={"error": {
                    "message": step.message, "type": "scripted", "code": str(step.code)}})
            return JSONResponse(completion(body, step))
        finally:
            with self._lock:
                self.in_flight -= 1


def completion(body: dict[str, Any], answer: Answer) -> dict[str, Any]:
    """A chat.completion object carrying the answer in the shape the request asked for."""
    text = answer.payload if isinstance(answer.payload, str) else json.dumps(answer.payload, ensure_ascii=False)
    if body.get("tools"):
        name = body["tools"][0]["function"]["name"]
        message: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": [
            {"id": f"call_{len(text)}", "type": "function", "function": {"name": name, "arguments": text}}]}
        finish = "tool_calls"
    elif body.get("response_format"):
        message, finish = {"role": "assistant", "content": text}, "stop"
    else:
        message, finish = {"role": "assistant", "content": f"Here is the record:\n```json\n{text}\n```"}, "stop"
    prompt_tokens = sum(len(str(m.get("content") or "")) for m in body.get("messages", [])) // 2
    completion_tokens = len(text) // 2
    return {
        "id": "chatcmpl-scripted", "object": "chat.completion", "created": int(time.time()), "model": body["model"],
        "choices": [{"index": 0, "message": message, "finish_reason": answer.finish_reason or finish,
                     "logprobs": None}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }
