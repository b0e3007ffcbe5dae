"""Request fields: one declaration both validates a request and describes it in OpenAPI.

Pure. Every failure raises rooms.errors.Invalid naming the field, so the client can point at
the input that was wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rooms.errors import Invalid

_JSON_TYPES = {str: "string", int: "integer", bool: "boolean", list: "array", dict: "object"}
_TYPE_WORDS = {
    str: "text",
    int: "an integer",
    bool: "true or false",
    list: "a list",
    dict: "an object",
}
MAX_INT = 2**53  # what JSON clients (JavaScript) represent exactly


@dataclass(frozen=True)
class Field:
    name: str
    kind: type = str
    required: bool = False
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] | None = None
    items: type | None = None  # element type of a list
    description: str = ""

    def check(self, value: Any) -> Any:
        if not _is_kind(value, self.kind):
            raise Invalid(f"{self.name} must be {_TYPE_WORDS[self.kind]}", self.name)
        if self.kind is str:
            if self.max_length is not None and len(value) > self.max_length:
                raise Invalid(f"{self.name} is at most {self.max_length} characters", self.name)
            if self.choices is not None and value not in self.choices:
                raise Invalid(f"{self.name} must be one of {', '.join(self.choices)}", self.name)
        if self.kind is int:
            low = self.minimum if self.minimum is not None else -MAX_INT
            high = self.maximum if self.maximum is not None else MAX_INT
            if not low <= value <= high:
                raise Invalid(f"{self.name} must be between {low} and {high}", self.name)
        if self.kind is list:
            if self.max_length is not None and len(value) > self.max_length:
                raise Invalid(f"{self.name} has at most {self.max_length} items", self.name)
            if self.items is not None and not all(_is_kind(v, self.items) for v in value):
                raise Invalid(f"{self.name} items must be {_TYPE_WORDS[self.items]}", self.name)
            if self.items is int and not all(-MAX_INT <= v <= MAX_INT for v in value):
                raise Invalid(f"{self.name} items are out of range", self.name)
        return value

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": _JSON_TYPES[self.kind]}
        if self.description:
            out["description"] = self.description
        if self.max_length is not None:
            out["maxLength" if self.kind is str else "maxItems"] = self.max_length
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.choices is not None:
            out["enum"] = list(self.choices)
        if self.items is not None:
            out["items"] = {"type": _JSON_TYPES[self.items]}
        return out


def _is_kind(value: Any, kind: type) -> bool:
    # JSON true is not an integer, although bool subclasses int in Python.
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def parse_body(data: Any, fields: Sequence[Field]) -> dict[str, Any]:
    """The declared fields of a JSON object body; absent optional fields are None."""
    if not isinstance(data, dict):
        raise Invalid("the body must be a JSON object")
    known = {field.name for field in fields}
    for name in data:
        if name not in known:
            raise Invalid(f"unknown field {name!r}", name)
    out: dict[str, Any] = {}
    for field in fields:
        value = data.get(field.name)
        if value is None:
            if field.required:
                raise Invalid(f"{field.name} is required", field.name)
            out[field.name] = None
            continue
        out[field.name] = field.check(value)
    return out


def parse_query(query: Mapping[str, str], fields: Sequence[Field]) -> dict[str, Any]:
    """Query parameters: integers and flags arrive as text and are converted here."""
    out: dict[str, Any] = {}
    for field in fields:
        raw = query.get(field.name)
        if raw is None or raw == "":
            if field.required:
                raise Invalid(f"{field.name} is required", field.name)
            out[field.name] = None
            continue
        value: Any = raw
        if field.kind is int:
            # ASCII only: int() refuses "--5" and "²", although both pass str.isdigit().
            if not re.fullmatch(r"-?[0-9]{1,16}", raw):
                raise Invalid(f"{field.name} must be an integer", field.name)
            value = int(raw)
        elif field.kind is bool:
            if raw not in ("0", "1", "true", "false"):
                raise Invalid(f"{field.name} must be 1 or 0", field.name)
            value = raw in ("1", "true")
        out[field.name] = field.check(value)
    return out


def object_schema(fields: Sequence[Field]) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {field.name: field.schema() for field in fields},
    }
    required = [field.name for field in fields if field.required]
    if required:
        schema["required"] = required
    return schema
