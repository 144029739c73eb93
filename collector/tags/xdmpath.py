"""XDM mapping paths (``identityMap.Email[0].id``) checked against a composed XDM schema.

Paths use the tag runtime's syntax: dot-separated keys and ``[n]`` array indices. A key is
known when the object declares it (``properties``, ``patternProperties``) or when the object
is a map whose keys are free (``additionalProperties`` is a schema, as in ``identityMap``;
its ``propertyNames`` still apply). ``allOf``/``anyOf``/``oneOf`` branches are searched.
"""

from __future__ import annotations

import re
from typing import Any

import jsonschema
from jsonschema.validators import validator_for

_TOKENS = re.compile(r"[^.\[\]]+|\[\d+\]")
_LISTED = 8  # known fields named in an "unknown field" message


class PathError(ValueError):
    """The path does not exist in the schema, or a constant does not fit its field."""


def tokens(path: str) -> list[str | int]:
    return [int(t[1:-1]) if t.startswith("[") else t for t in _TOKENS.findall(path)]


def resolve(schema: dict[str, Any], path: str) -> dict[str, Any]:
    """The sub-schema at ``path``; raises PathError naming the first step that fails."""
    current, walked = schema, ""
    for token in tokens(path):
        if isinstance(token, int):
            items = _first(current, _items)
            if items is None:
                raise PathError(
                    f"{walked or 'the entity'} is not an array, so [{token}] is unknown"
                )
            current, walked = items, f"{walked}[{token}]"
            continue
        field = _first(current, lambda s, key=token: _field(s, key))
        if field is None:
            raise PathError(_unknown(current, walked, token))
        current, walked = field, f"{walked}.{token}" if walked else token
    return current


def has(schema: dict[str, Any], path: str) -> bool:
    try:
        resolve(schema, path)
    except PathError:
        return False
    return True


def check_constant(leaf: dict[str, Any], value: Any) -> str | None:
    """Why ``value`` cannot be stored in a field of schema ``leaf`` (None when it can)."""
    cls = validator_for(leaf, default=jsonschema.Draft7Validator)
    validator = cls(leaf, format_checker=jsonschema.FormatChecker())
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    return None if error is None else error.message


def accepts_text(leaf: dict[str, Any]) -> bool:
    """Whether the field can hold a string (what an interpolated ``"a %x% b"`` becomes)."""
    return any(_types(s) & {"string"} or not _types(s) for s in _branches(leaf))


def _branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    found = [schema]
    for keyword in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(keyword) or []:
            if isinstance(sub, dict):
                found.extend(_branches(sub))
    return found


def _first(schema: dict[str, Any], step: Any) -> dict[str, Any] | None:
    for branch in _branches(schema):
        found: dict[str, Any] | None = step(branch)
        if found is not None:
            return found
    return None


def _types(schema: dict[str, Any]) -> set[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared}
    return set(declared) if isinstance(declared, list) else set()


def _items(schema: dict[str, Any]) -> dict[str, Any] | None:
    items = schema.get("items")
    return items if isinstance(items, dict) else None


def _field(schema: dict[str, Any], key: str) -> dict[str, Any] | None:
    if "array" in _types(schema):
        return None
    properties = schema.get("properties") or {}
    if isinstance(properties.get(key), dict):
        return dict(properties[key])
    for pattern, sub in (schema.get("patternProperties") or {}).items():
        if re.search(pattern, key) and isinstance(sub, dict):
            return dict(sub)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        names = schema.get("propertyNames") or {}
        pattern = names.get("pattern") if isinstance(names, dict) else None
        if isinstance(pattern, str) and not re.search(pattern, key):
            return None
        return extra
    return None


def _unknown(schema: dict[str, Any], walked: str, key: str) -> str:
    where = walked or "the entity"
    for branch in _branches(schema):
        names = branch.get("propertyNames")
        if isinstance(branch.get("additionalProperties"), dict) and isinstance(names, dict):
            return f"{key!r} is not a valid key of {where} (keys match {names.get('pattern')})"
    if any("array" in _types(b) for b in _branches(schema)):
        return f"{where} is an array: index it, as in {walked}[0].{key}"
    known = sorted({k for b in _branches(schema) for k in b.get("properties") or {}})
    if not known and not any(_types(b) & {"object"} for b in _branches(schema)):
        return f"{where} is not an object, so it has no field {key!r}"
    listed = ", ".join(known[:_LISTED]) + (", ..." if len(known) > _LISTED else "")
    return f"{where} has no field {key!r}" + (f" (its fields: {listed})" if known else "")
