"""Validation errors in the shape AEP reports them (everit-json-schema).

Both engines report their errors here as ``Violation``s: the keyword that failed, the path
to it in the composed schema, the failing subschema and the instance. The messages are made
from those alone, so the compiled and the reference engine word them identically:

    extraneous key [workEmail] is not permitted
    expected type: String, found: Long
    required key [timestamp] not found
    [foo] is not a valid email address

``report`` wraps them like everit: one violation is reported as itself; several as one
entry ``"N schema violations found"`` whose ``causingExceptions`` hold the first five. It
takes at most ``MAX_FOUND`` of them: past that the entry says ``"at least 100 schema
violations found"`` (the causes are then the first five of those taken), so that a message
with a hundred thousand violations costs no more than one with a hundred.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

MAX_CAUSES = 5
MAX_FOUND = 100  # violations taken from a message before its report says "at least"

_JSON_NAMES = {
    "string": "String",
    "integer": "Integer",
    "number": "Number",
    "boolean": "Boolean",
    "object": "JSONObject",
    "array": "JSONArray",
    "null": "Null",
}
_FORMAT_MESSAGES = {
    "email": "[{}] is not a valid email address",
    "date-time": "[{}] is not a valid date-time. Expected [yyyy-MM-dd'T'HH:mm:ssZ, "
    "yyyy-MM-dd'T'HH:mm:ss.[0-9]{{1,9}}Z]",
    "date": "[{}] is not a valid date. Expected [yyyy-MM-dd]",
    "uri": "[{}] is not a valid URI",
    "uri-reference": "[{}] is not a valid URI reference",
    "ipv4": "[{}] is not a valid ipv4 address",
    "ipv6": "[{}] is not a valid ipv6 address",
}


@dataclass(frozen=True)
class Violation:
    """One failed keyword, as either engine found it."""

    keyword: str
    schema_path: tuple[str | int, ...]  # to the keyword, ``$ref`` steps removed
    instance_path: tuple[str | int, ...]
    subschema: Any  # the schema object that holds ``keyword``
    instance: Any  # the value that failed (for propertyNames: the failing key)
    fallback: str = ""  # the engine's own message, for keywords worded nowhere below


def report(
    violations: Iterable[Violation], limit: int = MAX_CAUSES, found: int = MAX_FOUND
) -> list[dict[str, Any]]:
    """The ``_streamingValidation`` list for a message: ``[]`` when there is nothing to say.

    ``violations`` is consumed lazily: no more than ``found`` distinct entries are taken."""
    taken: dict[tuple[str, str, str], dict[str, Any]] = {}
    more = False
    for entry in (e for v in violations for e in everit_entries(v)):
        key = _entry_key(entry)
        if len(taken) >= found and key not in taken:
            more = True
            break
        taken[key] = entry
    entries = sorted(
        taken.values(), key=lambda e: (e["pointerToViolation"], e["keyword"], e["message"])
    )
    if not entries:
        return []
    if len(entries) == 1 and not more:
        return entries
    return [
        {
            "schemaLocation": "#",
            "pointerToViolation": "#",
            "causingExceptions": entries[:limit],
            "message": f"{_AT_LEAST if more else ''}{len(entries)} schema violations found",
        }
    ]


_AT_LEAST = "at least "


def everit_entries(violation: Violation) -> Iterator[dict[str, Any]]:
    """One or more everit entries (one per extraneous or missing key) for a violation, lazily."""
    keyword, schema, instance = violation.keyword, violation.subschema, violation.instance
    location = _pointer(violation.schema_path[:-1])
    pointer = _pointer(violation.instance_path)
    messages: Iterable[str] = ()
    if (
        keyword == "additionalProperties"
        and isinstance(instance, dict)
        and isinstance(schema, dict)
    ):
        messages = (f"extraneous key [{k}] is not permitted" for k in _extraneous(schema, instance))
    elif keyword == "required" and isinstance(instance, dict) and isinstance(schema, dict):
        messages = [
            f"required key [{k}] not found" for k in schema["required"] if k not in instance
        ]
    listed = False
    for message in messages:
        listed = True
        yield _entry(location, pointer, keyword, message)
    if not listed:
        yield _entry(
            location, pointer, keyword, _message(keyword, schema, instance, violation.fallback)
        )


def _entry(location: str, pointer: str, keyword: str, message: str) -> dict[str, Any]:
    return {
        "schemaLocation": location,
        "pointerToViolation": pointer,
        "causingExceptions": [],
        "keyword": keyword,
        "message": message,
    }


def json_type_name(value: Any) -> str:
    """The Java type name everit reports for a JSON value."""
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Long"
    if isinstance(value, float):
        return "Double"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "JSONArray"
    return "JSONObject"


def _message(keyword: str, schema: Any, instance: Any, fallback: str) -> str:
    value: Any = schema.get(keyword) if isinstance(schema, dict) else None
    shown = _show(instance)
    if value is None and keyword not in _VALUELESS:
        return fallback or f"{shown} is not valid under keyword {keyword}"
    if keyword == "type":
        names = [_JSON_NAMES.get(t, t) for t in ([value] if isinstance(value, str) else value)]
        expected = names[0] if len(names) == 1 else f"one of [{', '.join(names)}]"
        return f"expected type: {expected}, found: {json_type_name(instance)}"
    if keyword == "format":
        template = _FORMAT_MESSAGES.get(value, "[{}] is not a valid " + str(value))
        return template.format(instance)
    if keyword == "enum":
        return f"{shown} is not a valid enum value"
    if keyword == "const":
        return f"{shown} does not match the constant {_show(value)}"
    if keyword == "pattern":
        return f"string [{instance}] does not match pattern {value}"
    if keyword == "propertyNames":
        return f"key [{instance}] is not a valid property name"
    if keyword in _BOUND_MESSAGES:
        return _BOUND_MESSAGES[keyword].format(value=value, actual=_measure(keyword, instance))
    if keyword == "uniqueItems":
        return "array items are not unique"
    if keyword == "anyOf":
        return f"no subschema matched out of the total {len(value)} subschemas"
    if keyword == "oneOf":
        return f"{len(value)} subschemas given, the value must match exactly one"
    if keyword == "not":
        return "subject must not be valid against schema"
    if keyword == "false":
        return "false schema always fails"
    return fallback or f"{shown} is not valid under keyword {keyword}"


_VALUELESS = frozenset({"propertyNames", "false"})
_BOUND_MESSAGES = {
    "minLength": "expected minLength: {value}, actual: {actual}",
    "maxLength": "expected maxLength: {value}, actual: {actual}",
    "minimum": "{actual} is not greater or equal to {value}",
    "maximum": "{actual} is not less or equal to {value}",
    "exclusiveMinimum": "{actual} is not greater than {value}",
    "exclusiveMaximum": "{actual} is not less than {value}",
    "multipleOf": "{actual} is not a multiple of {value}",
    "minItems": "expected minimum item count: {value}, found: {actual}",
    "maxItems": "expected maximum item count: {value}, found: {actual}",
    "minProperties": "minimum size: [{value}], found: [{actual}]",
    "maxProperties": "maximum size: [{value}], found: [{actual}]",
}


def _measure(keyword: str, instance: Any) -> Any:
    if keyword.endswith("Length") and isinstance(instance, str):
        return len(instance)
    if keyword.endswith(("Items", "Properties")) and isinstance(instance, (list, dict)):
        return len(instance)
    return _show(instance)


def _extraneous(schema: dict[str, Any], instance: dict[str, Any]) -> Iterator[str]:
    declared = schema.get("properties", {})
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    return (
        key for key in instance if key not in declared and not any(p.search(key) for p in patterns)
    )


def _show(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # integers past 64 bits
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _pointer(path: Sequence[str | int]) -> str:
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in path)
    return "/".join(["#", *escaped])


def _entry_key(entry: dict[str, Any]) -> tuple[str, str, str]:
    return (entry["pointerToViolation"], entry["keyword"], entry["message"])


PASS: dict[str, Any] = {"status": "pass"}


def verdict(streaming_validation: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``validation`` member an acknowledgement carries, from a ``report`` list:
    ``{"status": "pass"}`` or ``{"status": "fail", "count": N, "violations": [<= 5]}``;
    when the report stopped counting (``"at least N ..."``), ``"countIsLowerBound": true``
    is added beside ``count``."""
    if not streaming_validation:
        return PASS
    (first,) = streaming_validation
    nested = first.get("causingExceptions") or []
    if first.get("pointerToViolation") == "#" and nested:  # the "N schema violations" wrapper
        message = str(first["message"])
        at_least = message.startswith(_AT_LEAST)
        count = int(message.removeprefix(_AT_LEAST).split(" ", 1)[0])
        if at_least:
            return {
                "status": "fail",
                "count": count,
                "countIsLowerBound": True,
                "violations": nested,
            }
        return {"status": "fail", "count": count, "violations": nested}
    return {"status": "fail", "count": 1, "violations": [first]}
