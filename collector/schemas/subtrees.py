"""The errors of a large document, found subtree by subtree.

``jsonschema_rs``'s ``iter_errors`` builds every error before it yields the first: a 1 MB
message with 110,000 violations costs seconds, though the report keeps five. ``Subtrees``
bounds that cost: below ``WHOLE_BYTES`` a node is validated whole (as before); above it, the
node is validated *shallowly* (its own keywords, its children's schemas replaced by ``true``)
and then child by child, each child first asked the cheap ``is_valid``. The caller takes as many
errors as it needs and stops; the errors not taken are never built.

Only plain structure is divided: ``properties``, a schema-valued ``additionalProperties`` and an
object-valued ``items``. A node holding anything that couples children or subschemas
(combinators, references, ``patternProperties``, ``contains`` …) is validated whole, so the
errors found are exactly those the whole document gives, each with its full schema and
instance path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import jsonschema_rs
import orjson

WHOLE_BYTES = 8192  # a node this small (serialised) is validated whole

Path = tuple[str | int, ...]
# The schema path and instance path of the node the error was found at, and the error;
# ``None`` for the keys an ``additionalProperties: false`` node does not declare (the
# caller lists them: jsonschema_rs would first build a message naming every one).
Found = tuple[Path, Path, jsonschema_rs.ValidationError | None]
Compile = Callable[[Any], jsonschema_rs.Validator]

_WHOLE_ONLY = frozenset(
    {
        "$ref",
        "$dynamicRef",
        "$recursiveRef",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "if",
        "then",
        "else",
        "dependencies",
        "dependentSchemas",
        "patternProperties",
        "contains",
        "prefixItems",
        "additionalItems",
        "unevaluatedProperties",
        "unevaluatedItems",
    }
)


class Subtrees:
    """Validators for the subschemas of one closed (reference-free) schema, compiled lazily."""

    def __init__(
        self, schema: dict[str, Any], compile: Compile, whole: jsonschema_rs.Validator
    ) -> None:
        """``whole``: the validator of ``schema`` itself, already compiled."""
        self._schema = schema
        self._compile = compile
        self._draft = schema.get("$schema")
        self._whole: dict[Path, jsonschema_rs.Validator] = {(): whole}
        self._shallow: dict[Path, jsonschema_rs.Validator] = {}

    def errors(self, instance: Any) -> Iterator[Found]:
        """The errors of an invalid ``instance``, lazily, subtree by subtree."""
        return self._node((), (), self._schema, instance, known_invalid=True)

    def _node(
        self, at: Path, where: Path, schema: Any, instance: Any, *, known_invalid: bool = False
    ) -> Iterator[Found]:
        if not isinstance(schema, dict):  # a boolean schema: nothing to divide
            if schema is False:
                yield from self._whole_errors(at, where, schema, instance)
            return
        if not known_invalid and self._validator(self._whole, at, schema).is_valid(instance):
            return
        if not _divisible(schema, instance):
            yield from self._whole_errors(at, where, schema, instance)
            return
        shallow = self._validator(self._shallow, at, _shallow(schema))
        for error in shallow.iter_errors(instance):
            yield at, where, error
        if isinstance(instance, dict):
            declared = schema.get("properties", {})
            extra = schema.get("additionalProperties")
            if extra is False and any(key not in declared for key in instance):
                yield at, where, None
            for key, value in instance.items():
                if key in declared:
                    yield from self._node(
                        (*at, "properties", key), (*where, key), declared[key], value
                    )
                elif isinstance(extra, dict):
                    yield from self._node(
                        (*at, "additionalProperties"), (*where, key), extra, value
                    )
        else:
            items = schema["items"]
            for index, value in enumerate(instance):
                yield from self._node((*at, "items"), (*where, index), items, value)

    def _whole_errors(self, at: Path, where: Path, schema: Any, instance: Any) -> Iterator[Found]:
        for error in self._validator(self._whole, at, schema).iter_errors(instance):
            yield at, where, error

    def _validator(
        self, cache: dict[Path, jsonschema_rs.Validator], at: Path, schema: Any
    ) -> jsonschema_rs.Validator:
        validator = cache.get(at)
        if validator is None:
            if not at:
                document = schema
            elif isinstance(schema, dict) and self._draft:
                document = {**schema, "$schema": self._draft}
            else:
                document = schema
            validator = cache[at] = self._compile(document)
        return validator


def _divisible(schema: dict[str, Any], instance: Any) -> bool:
    if _WHOLE_ONLY & schema.keys() or not _large(instance):
        return False
    kinds = schema.get("type")
    if isinstance(instance, dict):
        return kinds is None or kinds == "object" or (isinstance(kinds, list) and "object" in kinds)
    if isinstance(instance, list) and isinstance(schema.get("items"), dict):
        return kinds is None or kinds == "array" or (isinstance(kinds, list) and "array" in kinds)
    return False


def _shallow(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` judging only its node: every child schema it holds becomes ``true``."""
    shallow = dict(schema)
    if isinstance(schema.get("properties"), dict):
        shallow["properties"] = dict.fromkeys(schema["properties"], True)
    if "additionalProperties" in schema:  # a schema, or false: the walk judges the keys
        shallow["additionalProperties"] = True
    if isinstance(schema.get("items"), dict):
        shallow["items"] = True
    return shallow


def _large(instance: Any) -> bool:
    if not isinstance(instance, (dict, list)):
        return False
    try:
        return len(orjson.dumps(instance)) > WHOLE_BYTES
    except TypeError:  # integers past 64 bits: cannot measure, so divide
        return True
