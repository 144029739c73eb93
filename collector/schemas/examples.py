"""Example entities under ``schemas/examples``: the valid ones must pass, the invalid ones fail.

A file is ``{"schema": "<$id>", "description": "...", "entity": {...}}``; files under
``examples/invalid/`` add ``"expect": [keywords]``, keywords the report has to contain.
``collector schemas check`` and the tests run them all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collector.schemas.registry import SchemaRegistry


@dataclass(frozen=True)
class Example:
    path: Path
    schema_id: str
    entity: Any
    valid: bool
    expect: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class ExampleResult:
    example: Example
    violations: list[dict[str, Any]] = field(default_factory=list)
    problem: str | None = None  # why the example did not behave as its directory says

    @property
    def ok(self) -> bool:
        return self.problem is None


def load_examples(schemas_dir: Path) -> list[Example]:
    """Every example under ``schemas_dir/examples/valid`` and ``.../invalid``."""
    examples = []
    for valid, folder in ((True, "valid"), (False, "invalid")):
        for path in sorted((schemas_dir / "examples" / folder).glob("*.json")):
            document = json.loads(path.read_text(encoding="utf-8"))
            examples.append(
                Example(
                    path=path,
                    schema_id=document["schema"],
                    entity=document["entity"],
                    valid=valid,
                    expect=tuple(document.get("expect", ())),
                    description=document.get("description", ""),
                )
            )
    return examples


def check_example(registry: SchemaRegistry, example: Example) -> ExampleResult:
    """Validate one example and say whether it behaved as expected."""
    if not registry.knows(example.schema_id):
        return ExampleResult(example, problem=f"unknown schema {example.schema_id}")
    violations = registry.validate(example.schema_id, example.entity)
    if example.valid and violations:
        return ExampleResult(example, violations, "expected valid, got violations")
    if not example.valid:
        if not violations:
            return ExampleResult(example, violations, "expected invalid, passed")
        missing = sorted(set(example.expect) - set(keywords(violations)))
        if missing:
            return ExampleResult(example, violations, f"expected keywords missing: {missing}")
    return ExampleResult(example, violations)


def keywords(violations: list[dict[str, Any]]) -> list[str]:
    """Every keyword of a ``_streamingValidation`` list, causes included."""
    return [entry["keyword"] for entry in _entries(violations) if "keyword" in entry]


def _entries(violations: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for entry in violations:
        yield entry
        yield from _entries(entry.get("causingExceptions", []))
