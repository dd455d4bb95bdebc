"""Compare a document result (the envelope's JSON) with a manifest entry's `expect`."""

from __future__ import annotations

from typing import Any


def problems(result: dict[str, Any], expect: dict[str, Any]) -> list[str]:
    """What in `result` contradicts `expect` (empty when the outcome is as expected)."""
    found: list[str] = []
    status = result.get("status")
    if status != expect.get("status", "ok"):
        found.append(f"status {status!r}, expected {expect.get('status')!r}")
    codes = expect.get("error_code")
    if codes is not None:
        code = (result.get("error") or {}).get("code")
        if code not in codes:
            found.append(f"error code {code!r}, expected one of {codes}")
    forms = result.get("forms") or []
    if "forms" in expect and len(forms) != expect["forms"]:
        found.append(f"{len(forms)} forms, expected {expect['forms']}")
    if "form_status" in expect:
        statuses = [f.get("status") for f in forms]
        if not statuses or any(s != expect["form_status"] for s in statuses):
            found.append(f"form statuses {statuses}, expected {expect['form_status']!r}")
    for field in expect.get("missing_fields", []):
        missing = {p for f in forms for finding in f.get("findings", []) if finding.get("code") == "MISSING_FIELD"
                   for p in finding.get("fields", [])}
        if field not in missing:
            found.append(f"no MISSING_FIELD for {field}")
    return found
