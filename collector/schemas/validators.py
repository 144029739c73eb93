"""The two validation engines behind the registry.

``compiled`` (the hot path) is ``jsonschema_rs``: a validator compiled once per schema at
load, asked ``is_valid`` first (about 2 µs for a 1.3 KB event); its errors are collected only
for invalid input. ``reference`` is ``jsonschema``: the readable implementation, used to check
schemas, as the yardstick of the differential test, and as a fallback where the compiled
engine is unavailable. Both report ``Violation``s, so they word errors identically.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal, Protocol

import jsonschema
import jsonschema.validators
import jsonschema_rs
import orjson
import referencing
import referencing.exceptions

from collector.schemas.formats import format_checker
from collector.schemas.subtrees import Subtrees
from collector.schemas.violations import Violation

Engine = Literal["compiled", "reference"]
ENGINES: tuple[Engine, ...] = ("compiled", "reference")


class Validator(Protocol):
    """``is_valid`` is the hot path: a plain callable, no wrapper in between."""

    is_valid: Callable[[Any], bool]

    def violations(self, entity: Any) -> Iterator[Violation]:
        """Lazily: the caller takes what it needs."""
        ...


class CompiledValidator:
    """``jsonschema_rs``, formats checked, never fetching anything over the network.

    ``resources`` are needed only for schemas that still hold references (the as-written
    mode): the compiled registry for validating, the ``referencing`` one to find the
    subschema an error points into.
    """

    def __init__(
        self,
        schema: dict[str, Any],
        resources: tuple[jsonschema_rs.Registry, referencing.Registry[Any]] | None = None,
    ) -> None:
        self._schema = schema
        compiled_resources = resources[0] if resources else None
        self._resources = resources[1] if resources else None
        self._reference: ReferenceValidator | None = None
        self._validator = jsonschema_rs.validator_for(
            schema, validate_formats=True, registry=compiled_resources, offline=True
        )
        self.is_valid: Callable[[Any], bool] = self._validator.is_valid
        self._subtrees = None if resources else Subtrees(schema, _compile, self._validator)

    def violations(self, entity: Any) -> Iterator[Violation]:
        """The violations of an invalid ``entity``, lazily: a large document is validated
        subtree by subtree (``collector.schemas.subtrees``), so taking a few costs little."""
        if _has_empty_key(entity):
            # jsonschema_rs leaves empty-string keys out of its instance paths, so the
            # pointers would be wrong; such documents are rare: ask the reference engine.
            if self._reference is None:
                self._reference = ReferenceValidator(self._schema, self._resources)
            yield from self._reference.violations(entity)
            return
        if self._subtrees is None:  # references to follow: validated whole
            for error in self._validator.iter_errors(entity):
                yield self._violation(entity, (), (), error)
            return
        for at, where, found in self._subtrees.errors(entity):
            yield self._violation(entity, at, where, found)

    def _violation(
        self,
        entity: Any,
        at: Sequence[str | int],
        where: Sequence[str | int],
        error: jsonschema_rs.ValidationError | None,
    ) -> Violation:
        """``error``, found by the validator of the subschema at ``at`` on the value at
        ``where``, as a violation of the whole document (``None``: undeclared keys there)."""
        if error is None:
            return Violation(
                keyword="additionalProperties",
                schema_path=_without_refs([*at, "additionalProperties"]),
                instance_path=tuple(where),
                subschema=self._subschema(at),
                instance=_at(entity, where),
            )
        path: list[str | int] = [*at, *error.evaluation_path]
        keyword = error.kind.name
        instance_path = (*where, *error.instance_path)
        instance = _at(entity, instance_path)  # error.instance has its keys sorted
        if "propertyNames" in path:
            path = path[: path.index("propertyNames") + 1]
            keyword = "propertyNames"
            instance = error.kind.as_dict()["error"].instance
        elif keyword == "falseSchema":
            keyword = "false"
            path.append("false")
        elif keyword.startswith("oneOf"):
            keyword = "oneOf"
        return Violation(
            keyword=keyword,
            schema_path=_without_refs(path),
            instance_path=instance_path,
            subschema=self._subschema(path[:-1]),
            instance=instance,
            fallback=error.message,
        )

    def _subschema(self, path: Sequence[str | int]) -> Any:
        node: Any = self._schema
        resolver = None
        if self._resources is not None:
            resolver = self._resources.resolver(base_uri=self._schema.get("$id", ""))
        try:
            for step in path:
                if step != "$ref":
                    node = node[step]
                elif resolver is None:
                    node = _local(self._schema, node["$ref"])
                else:
                    resolved = resolver.lookup(node["$ref"])
                    node, resolver = resolved.contents, resolved.resolver
        except (KeyError, IndexError, TypeError, referencing.exceptions.Unresolvable):
            return None
        return node


class ReferenceValidator:
    """``jsonschema`` with the schema's own draft and the aligned format checker."""

    def __init__(
        self, schema: dict[str, Any], resources: referencing.Registry[Any] | None = None
    ) -> None:
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
        checker = format_checker(cls.FORMAT_CHECKER)
        if resources is None:
            self._validator = cls(schema, format_checker=checker)
        else:
            self._validator = cls(schema, registry=resources, format_checker=checker)
        self.is_valid: Callable[[Any], bool] = self._validator.is_valid

    def violations(self, entity: Any) -> Iterator[Violation]:
        for error in self._validator.iter_errors(entity):
            path: list[str | int] = list(error.absolute_schema_path)
            keyword = str(error.validator) if error.validator is not None else "false"
            instance = error.instance
            subschema = error.schema
            if "propertyNames" in path:
                path = path[: path.index("propertyNames") + 1]
                keyword = "propertyNames"
            elif error.validator is None:
                path.extend([*error.path][-1:])
                path.append("false")
            yield Violation(
                keyword=keyword,
                schema_path=_without_refs(path),
                instance_path=tuple(error.absolute_path),
                subschema=subschema,
                instance=instance,
                fallback=error.message,
            )


def _compile(schema: Any) -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(schema, validate_formats=True, offline=True)


def _at(document: Any, path: Sequence[str | int]) -> Any:
    # jsonschema_rs reports a key that looks like a number ("0") as an index.
    for step in path:
        document = document[str(step) if isinstance(document, dict) else int(step)]
    return document


def _has_empty_key(document: Any) -> bool:
    """Whether ``document`` may hold an empty-string key (rarely a false yes, never a false no).

    An empty key serialises as ``"":``; so does a key ending in an escaped quote, which only
    costs such a document the slower (and equally right) reference engine.
    """
    try:
        return b'"":' in orjson.dumps(document)
    except TypeError:  # what orjson cannot encode (integers past 64 bits)
        return True


def _without_refs(path: Sequence[str | int]) -> tuple[str | int, ...]:
    return tuple(step for step in path if step != "$ref")


def _local(root: Any, ref: str) -> Any:
    node = root
    for raw in ref.lstrip("#").split("/")[1:]:
        step = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(step)] if isinstance(node, list) else node[step]
    return node
