"""Compose a schema into one closed, self-contained document (AEP's closed world).

An XDM dataset schema is ``allOf: [class, field group, ...]`` and each part lives in its own
file. ``additionalProperties: false`` cannot be written across ``allOf`` branches (each branch
would reject the others' keys), so the registry composes instead: every ``$ref`` is inlined,
every ``allOf`` is merged into one object (``properties`` merged field by field,
``required`` united), and then the result is sealed:

- an object schema that declares ``properties`` or ``patternProperties`` and says nothing about
  ``additionalProperties`` gets ``additionalProperties: false`` (undeclared keys are rejected);
- a value schema (root, property, item, map value) with no ``type``, ``enum`` or ``const``
  gets every JSON type but ``null`` (``null`` is never a valid value).

Annotations (``title``, ``description``, ``meta:enum``) are kept so the composed document can
also describe the dataset's fields; other ``meta:*`` keywords, ``$id`` and ``definitions`` go.
A ``$ref`` cycle (a recursive data type) is kept as a local reference into ``definitions``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urljoin

import referencing
import referencing.exceptions

if TYPE_CHECKING:  # the class is public (``Registry.resolver`` returns it) but not re-exported
    from referencing._core import Resolver

Schema = dict[str, Any]

_NON_NULL_TYPES = ["string", "number", "boolean", "object", "array"]
_KEPT_META = frozenset({"meta:enum", "meta:xdmType"})
_DROPPED = frozenset({"$id", "$schema", "definitions", "$defs", "$comment", "examples"})
_ANNOTATIONS = frozenset({"title", "description", "default", "meta:enum", "meta:xdmType"})
_SCHEMA_MAPS = ("properties", "patternProperties", "definitions", "$defs", "dependencies")
_SCHEMA_VALUES = (
    *("additionalProperties", "items", "additionalItems", "contains", "not"),
    *("propertyNames", "if", "then", "else", "unevaluatedProperties"),
)
_SCHEMA_LISTS = ("anyOf", "oneOf", "prefixItems")
_VALUE_MAPS = ("properties", "patternProperties")
_VALUE_KEYS = ("additionalProperties", "additionalItems", "unevaluatedProperties")
DRAFT_07 = "http://json-schema.org/draft-07/schema#"


class CompositionError(Exception):
    """A schema cannot be composed (an unresolvable reference)."""


class Composer:
    """Composes schemas of one ``referencing.Registry`` (one instance per registry load)."""

    def __init__(self, registry: referencing.Registry[Any]) -> None:
        self._registry = registry

    def compose(self, uri: str) -> Schema:
        """The closed, self-contained form of the schema whose ``$id`` is ``uri``."""
        walk = _Walk(self._registry)
        resolver = self._registry.resolver(base_uri=uri)
        root = resolver.lookup(uri).contents
        body = walk.compose(root, resolver, uri, (uri,))
        walk.define_if_cyclic(uri, body)
        composed: Schema = {"$schema": root.get("$schema", DRAFT_07)}
        composed.update(body if isinstance(body, dict) else {"allOf": [body]})
        if walk.definitions:
            composed["definitions"] = dict(walk.definitions)
        sealed: Schema = seal(composed)
        return sealed


class _Walk:
    """One composition: remembers the references that turned out to be cycles."""

    def __init__(self, registry: referencing.Registry[Any]) -> None:
        self._registry = registry
        self.definitions: dict[str, Any] = {}
        self._cyclic: set[str] = set()
        self._done: dict[str, Any] = {}

    def define_if_cyclic(self, key: str, body: Any) -> bool:
        """Keep ``body`` under ``definitions`` when it refers to itself."""
        if key not in self._cyclic:
            return False
        self.definitions[_definition_name(key)] = body
        return True

    def compose(self, node: Any, resolver: Resolver[Any], base: str, stack: tuple[str, ...]) -> Any:
        if not isinstance(node, dict):
            return node
        parts: list[Any] = []
        own: Schema = {}
        for key, value in node.items():
            if key == "$ref":
                parts.append(self._reference(value, resolver, base, stack))
            elif key == "allOf":
                parts.extend(self.compose(branch, resolver, base, stack) for branch in value)
            elif key in _DROPPED or (key.startswith("meta:") and key not in _KEPT_META):
                continue
            elif key in _SCHEMA_MAPS and isinstance(value, dict):
                own[key] = {k: self.compose(v, resolver, base, stack) for k, v in value.items()}
            elif key in _SCHEMA_VALUES:
                own[key] = self._compose_value(value, resolver, base, stack)
            elif key in _SCHEMA_LISTS:
                own[key] = [self.compose(v, resolver, base, stack) for v in value]
            else:
                own[key] = value
        return merge([own, *parts])

    def _compose_value(
        self, value: Any, resolver: Resolver[Any], base: str, stack: tuple[str, ...]
    ) -> Any:
        if isinstance(value, list):
            return [self.compose(v, resolver, base, stack) for v in value]
        return self.compose(value, resolver, base, stack)

    def _reference(
        self, ref: str, resolver: Resolver[Any], base: str, stack: tuple[str, ...]
    ) -> Any:
        key = urljoin(base, ref)
        name = _definition_name(key)
        if key in stack:
            self._cyclic.add(key)
            return {"$ref": f"#/definitions/{name}"}
        if key in self._done:
            return self._done[key]
        try:
            resolved = resolver.lookup(ref)
        except referencing.exceptions.Unresolvable as exc:
            raise CompositionError(f"unresolvable $ref {ref!r} (from {base})") from exc
        body = self.compose(resolved.contents, resolved.resolver, urldefrag(key).url, (*stack, key))
        if self.define_if_cyclic(key, body):
            body = {"$ref": f"#/definitions/{name}"}
        self._done[key] = body
        return body


def merge(parts: list[Any]) -> Any:
    """Merge ``allOf`` parts into one schema; keywords that cannot merge stay in ``allOf``."""
    merged: Schema = {}
    leftovers: list[Any] = []
    for part in parts:
        if part is True or part == {}:
            continue
        if not isinstance(part, dict) or "$ref" in part:
            leftovers.append(part)
            continue
        for key, value in part.items():
            if key not in merged:
                merged[key] = value
            elif merged[key] == value or key in _ANNOTATIONS:
                continue
            elif key in _VALUE_MAPS:
                merged[key] = _merge_maps(merged[key], value)
            elif key == "required":
                merged[key] = merged[key] + [k for k in value if k not in merged[key]]
            elif key == "type" and (common := _common_types(merged[key], value)):
                merged[key] = common
            elif key == "allOf":
                merged[key] = merged[key] + value
            else:
                leftovers.append({key: value})
    if leftovers:
        merged["allOf"] = merged.get("allOf", []) + leftovers
    return merged


def seal(schema: Any, position: str = "value") -> Any:
    """Close objects and refuse ``null`` throughout an already composed schema.

    ``position`` is ``value`` for schemas that describe a value (root, properties, items,
    map values: closed, ``null`` refused), ``branch`` for ``anyOf``/``oneOf`` alternatives
    (closed when they say ``type: object``) and ``condition`` for the rest (``not``, ``if``,
    ``then``, ``else``, ``contains``, ``propertyNames``: left as written at their top level).
    """
    if not isinstance(schema, dict):
        return schema
    sealed: Schema = {}
    for key, value in schema.items():
        if key in _VALUE_MAPS or key in ("definitions", "$defs"):
            sealed[key] = {k: seal(v) for k, v in value.items()}
        elif key in ("items", "prefixItems"):
            sealed[key] = [seal(v) for v in value] if isinstance(value, list) else seal(value)
        elif key in _VALUE_KEYS:
            sealed[key] = seal(value)
        elif key in _SCHEMA_LISTS:
            sealed[key] = [seal(v, "branch") for v in value]
        elif key in _SCHEMA_VALUES or key == "allOf":
            sealed[key] = _seal_each(value)
        elif key == "dependencies":
            sealed[key] = {k: _seal_each(v) for k, v in value.items()}
        else:
            sealed[key] = value
    closable = position == "value" or (position == "branch" and sealed.get("type") == "object")
    declares_fields = "properties" in sealed or "patternProperties" in sealed
    undecided = "additionalProperties" not in sealed
    if closable and declares_fields and undecided and _may_be_object(sealed):
        sealed["additionalProperties"] = False
    if position == "value" and not ({"type", "enum", "const"} & sealed.keys()):
        sealed["type"] = list(_NON_NULL_TYPES)
    return sealed


def _seal_each(value: Any) -> Any:
    if isinstance(value, list):
        return [seal(v, "condition") for v in value]
    return seal(value, "condition")


def _merge_maps(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    result = dict(left)
    for name, schema in right.items():
        result[name] = merge([result[name], schema]) if name in result else schema
    return result


def _common_types(left: Any, right: Any) -> Any:
    lefts = [left] if isinstance(left, str) else list(left)
    rights = {right} if isinstance(right, str) else set(right)
    common = [t for t in lefts if t in rights or (t == "number" and "integer" in rights)]
    common += [t for t in rights if t == "integer" and "number" in lefts and t not in common]
    if not common:
        return None
    return common[0] if len(common) == 1 else common


def _may_be_object(schema: Schema) -> bool:
    kind = schema.get("type", "object")
    return kind == "object" or (isinstance(kind, list) and "object" in kind)


def _definition_name(uri: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", uri.split("://", 1)[-1]).strip("_")
