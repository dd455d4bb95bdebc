"""JSON Schemas generated from the models: schemas/record.v1.schema.json and schemas/result.v1.schema.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from extractor.records.models import Record, ResultEnvelope

SCHEMA_FILES: dict[str, type[Record] | type[ResultEnvelope]] = {"record.v1.schema.json": Record, "result.v1.schema.json": ResultEnvelope}


def schema_of(model: type[Record] | type[ResultEnvelope]) -> dict[str, Any]:
    """The JSON Schema of a model, with an $id and a title."""
    schema = model.model_json_schema(mode="serialization")
    name = "record" if model is Record else "result"
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://perf-form-extractor/schemas/{name}.v1.schema.json", **schema}


def render(model: type[Record] | type[ResultEnvelope]) -> str:
    """The schema file's exact text."""
    return json.dumps(schema_of(model), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_schemas(directory: Path) -> list[Path]:
    """(Re)generate the schema files."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, model in SCHEMA_FILES.items():
        path = directory / filename
        path.write_text(render(model), encoding="utf-8")
        written.append(path)
    return written
