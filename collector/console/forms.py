"""The console's one form renderer: a JSON Schema object becomes HTML form fields, and the
submitted form data becomes a JSON object validated against the same schema.

``fields(schema, value, errors, prefix)`` describes each property of an object schema as a
``Field`` (the template ``form_fields.html`` draws every kind); ``parse(schema, form,
prefix)`` reads the fields back and answers ``(value, errors)``: ``errors`` maps a
property name to one message for the person filling the form ("" for the whole object).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

# Field kinds the template knows how to draw.
KINDS = ("text", "url", "integer", "number", "checkbox", "select", "lines", "json", "rows")


@dataclass(frozen=True)
class Field:
    name: str  # the form control's name (prefix + property)
    key: str  # the property
    label: str
    kind: str
    required: bool
    value: str  # the control's current text ("on" for a checked box)
    options: tuple[str, ...] = ()
    error: str = ""
    hint: str = ""
    # "rows" (an array of objects): the columns (key, title) and each row's texts and message.
    columns: tuple[tuple[str, str], ...] = ()
    rows: tuple[tuple[tuple[str, ...], str], ...] = ()

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-")


def _kind(schema: Mapping[str, Any]) -> str:
    kind = schema.get("type")
    if "enum" in schema and all(isinstance(v, str) for v in schema["enum"]):
        return "select"
    if kind == "boolean":
        return "checkbox"
    if kind == "integer":
        return "integer"
    if kind == "number":
        return "number"
    if kind == "string":
        return "url" if schema.get("format") == "uri" else "text"
    items = schema.get("items") or {}
    if kind == "array" and items.get("type") == "string":
        return "lines"
    if kind == "array" and items.get("type") == "object" and items.get("properties"):
        return "rows"
    return "json"


def _hint(schema: Mapping[str, Any], kind: str) -> str:
    parts = []
    if kind in ("integer", "number"):
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is not None and high is not None:
            parts.append(f"From {low} to {high}.")
        elif schema.get("exclusiveMinimum") is not None:
            parts.append(f"More than {schema['exclusiveMinimum']}.")
    if kind == "lines":
        parts.append("One per line.")
    if kind == "json":
        parts.append("Text, or JSON (a number, true, false, an object or an array).")
    if "default" in schema and kind != "checkbox":
        parts.append(f"Empty means {json.dumps(schema['default'])}.")
    return " ".join(parts)


def _text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "checkbox":
        return "on" if value is True else ""
    if kind == "lines" and isinstance(value, list):
        return "\n".join(str(v) for v in value)
    if kind == "json":
        return value if isinstance(value, str) else json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def fields(
    schema: Mapping[str, Any],
    value: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    prefix: str = "",
) -> list[Field]:
    """One field per property of an object schema, in the schema's order."""
    value, errors = value or {}, errors or {}
    required = set(schema.get("required", ()))
    found = []
    for key, sub in (schema.get("properties") or {}).items():
        kind = _kind(sub)
        options = tuple(sub["enum"]) if kind == "select" else ()
        columns: tuple[tuple[str, str], ...] = ()
        rows: tuple[tuple[tuple[str, ...], str], ...] = ()
        if kind == "rows":
            columns, rows = _rows(sub, value.get(key), errors, key)
        found.append(
            Field(
                name=prefix + key,
                key=key,
                label=str(sub.get("title") or key),
                kind=kind,
                required=key in required,
                value=_text(value.get(key), kind),
                options=options,
                error=errors.get(key, ""),
                hint=_hint(sub, kind),
                columns=columns,
                rows=rows,
            )
        )
    return found


def _rows(
    schema: Mapping[str, Any], value: Any, errors: Mapping[str, str], key: str
) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[tuple[str, ...], str], ...]]:
    props = schema["items"]["properties"]
    columns = tuple((name, str(sub.get("title") or name)) for name, sub in props.items())
    rows = []
    for k, row in enumerate(value if isinstance(value, list) else []):
        row = row if isinstance(row, dict) else {}
        texts = tuple(_text(row.get(name), _kind(props[name])) for name, _ in columns)
        rows.append((texts, errors.get(f"{key}.{k}", "")))
    return columns, tuple(rows)


def _read_rows(schema: Mapping[str, Any], form: Mapping[str, str], name: str) -> list[Any]:
    props = schema["items"]["properties"]
    try:
        count = min(int(form.get(name + ".count", "0")), 500)
    except ValueError:
        count = 0
    rows = []
    for k in range(count):
        texts = {col: form.get(f"{name}.{k}.{col}", "") for col in props}
        if not any(t.strip() for t in texts.values()):
            continue
        row = {}
        for col, text in texts.items():
            kind = _kind(props[col])
            row[col] = _read(props[col], kind, text)[0] if text.strip() else text
        rows.append(row)
    return rows


def _read(sub: Mapping[str, Any], kind: str, raw: str) -> tuple[Any, str]:
    """The JSON value of one control's text, or a message."""
    text = raw.strip()
    if kind == "integer":
        try:
            return int(text), ""
        except ValueError:
            return None, "Enter a whole number."
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            return None, "Enter a number."
        return (int(number) if number.is_integer() and "." not in text else number), ""
    if kind == "lines":
        return [line.strip() for line in raw.splitlines() if line.strip()], ""
    if kind == "json":
        try:
            parsed = json.loads(text)
        except ValueError:
            return raw, ""  # plain text is a string
        allowed = sub.get("type")
        if isinstance(allowed, list) and "string" in allowed and not _fits(parsed, allowed):
            return raw, ""
        return parsed, ""
    return raw, ""


def _fits(value: Any, types: list[str]) -> bool:
    names = {bool: "boolean", int: "number", float: "number", str: "string"}
    return names.get(type(value), "") in types


def parse(
    schema: Mapping[str, Any], form: Mapping[str, str], prefix: str = ""
) -> tuple[dict[str, Any], dict[str, str]]:
    """The object the form's fields describe and the problems, by property."""
    value: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, sub in (schema.get("properties") or {}).items():
        kind = _kind(sub)
        name = prefix + key
        if kind == "checkbox":
            if form.get(name) == "on":
                value[key] = True
            elif name + ".present" in form and sub.get("default") is True:
                value[key] = False  # unchecked differs from the default only then
            continue
        if kind == "rows":
            if rows := _read_rows(sub, form, name):
                value[key] = rows
            continue
        raw = form.get(name, "")
        if raw.strip() == "":
            continue  # empty: absent (the schema's default applies)
        parsed, problem = _read(sub, kind, raw)
        if problem:
            errors[key] = problem
        else:
            value[key] = parsed
    for key, message in validate(schema, value).items():
        errors.setdefault(key, message)
    return value, errors


def validate(schema: Mapping[str, Any], value: Any) -> dict[str, str]:
    """Schema problems of ``value`` by top-level property ("" for the object itself)."""
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    errors: dict[str, str] = {}
    for error in sorted(validator.iter_errors(value), key=lambda e: list(e.path)):
        key, message = _place(schema, error)
        errors.setdefault(key, message)
    return errors


def _place(schema: Mapping[str, Any], error: ValidationError) -> tuple[str, str]:
    path = list(error.path)
    if error.validator == "required" and not path:
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return missing, "Required."
    if error.validator == "additionalProperties" and not path:
        return "", error.message
    key = str(path[0]) if path else ""
    sub = (schema.get("properties") or {}).get(key, {})
    if len(path) >= 2 and isinstance(path[1], int) and _kind(sub) == "rows":
        column = str(path[2]) if len(path) > 2 else ""
        inner = sub["items"]["properties"].get(column, {})
        return f"{key}.{path[1]}", f"{inner.get('title') or column}: {_message(error, inner)}"
    return key, _message(error, sub)


def _message(error: ValidationError, sub: Mapping[str, Any]) -> str:
    rule, expected = error.validator, cast(Any, error.validator_value)
    if rule == "pattern":
        return f"Not in the expected form (pattern {expected})."
    if rule == "format":
        return (
            "Enter a full URL, such as https://collect.example.com."
            if expected == "uri"
            else (f"Not a valid {expected}.")
        )
    if rule == "minimum":
        return f"Must be at least {expected}."
    if rule == "maximum":
        return f"Must be at most {expected}."
    if rule == "exclusiveMinimum":
        return f"Must be more than {expected}."
    if rule == "minLength":
        return "Required." if expected == 1 else f"At least {expected} characters."
    if rule == "minItems":
        return "Add at least one." if expected == 1 else f"Add at least {expected}."
    if rule == "enum":
        return "Choose one of: " + ", ".join(str(v) for v in list(expected or ())) + "."
    if rule == "type":
        names = expected if isinstance(expected, list) else [expected]
        return "Must be " + " or ".join(f"a {n}" for n in names) + "."
    return str(error.message)
