"""What a form cost at the LLM endpoint, read from the mapper's provenance (`provenance.llm`)."""

from __future__ import annotations

from typing import Any, NamedTuple


class LLMUsage(NamedTuple):
    """Requests sent and tokens spent for one form (zeros for a form the rules read alone)."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False


def llm_usage(llm: dict[str, Any] | None) -> LLMUsage:
    """The requests and tokens a form's `provenance.llm` records, an induction included.

    The LLM mapper records `requests` sent and the answer's `usage`; an answer served from its disk cache has
    `cached` true, no requests, and the usage it cost when it was first asked. A form read by an induced
    definition carries the induction's requests and usage under `induction` on the one form that asked for it
    (the rest of its layout's forms record none: they were read by rules).
    """
    llm = llm or {}
    usage = llm.get("usage") or llm.get("tokens") or llm
    usage = usage if isinstance(usage, dict) else {}
    requests = int(llm.get("requests", llm.get("responses", llm.get("calls"))) or 0)
    prompt, completion = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
    induction = llm.get("induction")
    if isinstance(induction, dict):
        spent = induction.get("usage") if isinstance(induction.get("usage"), dict) else {}
        requests += int(induction.get("requests") or 0)
        prompt += int(spent.get("prompt_tokens") or 0)
        completion += int(spent.get("completion_tokens") or 0)
    return LLMUsage(requests, prompt, completion, bool(llm.get("cached")))
