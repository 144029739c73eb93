"""Bounded cost per invalid message: a large document is validated subtree by subtree, the
report stops at ``MAX_FOUND`` violations, and below that it is the whole document's report."""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest
from hypothesis import given

from collector.schemas import SchemaRegistry, subtrees
from collector.schemas.subtrees import WHOLE_BYTES
from collector.schemas.violations import MAX_CAUSES, MAX_FOUND, verdict

from .conftest import PROFILE, WEB
from .test_differential import SETTINGS, documents

BASE = {"_id": "e-1", "timestamp": "2026-11-22T10:00:00Z"}


def many_violations() -> dict[str, Any]:
    """Just under 1 MB: 110,000 violations (90,000 wrong SKU types, 20,000 missing SKUs)."""
    items: list[dict[str, Any]] = [{"SKU": 1}] * 90_000 + [{}] * 20_000
    return {**BASE, "productListItems": items}


def test_a_megabyte_of_violations_costs_little(compiled: SchemaRegistry, taken: list[int]) -> None:
    entity = many_violations()
    assert 900_000 < len(orjson.dumps(entity)) < 1_000_000
    started = time.perf_counter()
    report = compiled.validate(WEB, entity)
    elapsed = time.perf_counter() - started
    print(f"\n110,000 violations in {len(orjson.dumps(entity))} bytes: {elapsed * 1000:.1f} ms")
    assert taken == [MAX_FOUND + 1]  # one past the cap says "at least"; the rest never built
    (wrapper,) = report
    assert wrapper["message"] == f"at least {MAX_FOUND} schema violations found"
    assert [c["pointerToViolation"] for c in wrapper["causingExceptions"]] == [
        "#/productListItems/0/SKU",
        "#/productListItems/1/SKU",
        "#/productListItems/10/SKU",
        "#/productListItems/11/SKU",
        "#/productListItems/12/SKU",
    ]
    assert {c["message"] for c in wrapper["causingExceptions"]} == {
        "expected type: String, found: Long"
    }
    assert verdict(report) == {
        "status": "fail",
        "count": MAX_FOUND,
        "countIsLowerBound": True,
        "violations": wrapper["causingExceptions"],
    }


def test_many_undeclared_keys_cost_little(compiled: SchemaRegistry, taken: list[int]) -> None:
    entity = {**BASE, **{f"k{i}": 0 for i in range(90_000)}}
    started = time.perf_counter()
    (wrapper,) = compiled.validate(WEB, entity)
    elapsed = time.perf_counter() - started
    print(f"\n90,000 undeclared keys: {elapsed * 1000:.1f} ms")
    assert len(taken) == 1 and taken[0] <= MAX_FOUND + 1
    assert wrapper["message"] == f"at least {MAX_FOUND} schema violations found"
    assert len(wrapper["causingExceptions"]) == MAX_CAUSES


def test_exactly_the_cap_is_an_exact_count(registry: SchemaRegistry) -> None:
    entity = {**BASE, **{f"k{i:03}": 0 for i in range(MAX_FOUND)}}
    (wrapper,) = registry.validate(WEB, entity)
    assert wrapper["message"] == f"{MAX_FOUND} schema violations found"
    assert verdict([wrapper])["count"] == MAX_FOUND
    assert "countIsLowerBound" not in verdict([wrapper])
    (over,) = registry.validate(WEB, {**entity, "k999": 0})
    assert over["message"] == f"at least {MAX_FOUND} schema violations found"


def scattered() -> dict[str, Any]:
    """A large document (validated subtree by subtree) with violations of many kinds, deep
    and shallow, fewer than the cap."""
    items: list[dict[str, Any]] = [{"SKU": f"sku-{i}", "quantity": i} for i in range(400)]
    items[7] = {"SKU": 7}
    items[120] = {"quantity": 1}
    items[200] = {"SKU": "x", "colour": "red", "quantity": "two"}
    items[399] = {"SKU": "y", "selectedOptions": [{"attribute": "size"}, {"value": 1}]}
    return {
        **BASE,
        "timestamp": "yesterday",
        "workEmail": "a@b.example",
        "productListItems": items,
        "web": {"webPageDetails": {"name": 5, "URL": "not a url", "extra": True}},
        "channel": {"contentTypes": ["https://a.example/", 3, "x y"]},
        "identityMap": {"ECID": [{"primary": True}, {"id": "1", "other": 2}]},
    }


def test_a_large_document_reports_what_the_whole_document_does(
    compiled: SchemaRegistry, reference: SchemaRegistry
) -> None:
    entity = scattered()
    assert len(orjson.dumps(entity)) > WHOLE_BYTES  # so the compiled engine divides it
    report = compiled.validate(WEB, entity, limit=MAX_FOUND)
    assert report == reference.validate(WEB, entity, limit=MAX_FOUND)  # validated whole
    (wrapper,) = report
    assert 15 <= len(wrapper["causingExceptions"]) < MAX_FOUND
    assert wrapper["message"] == f"{len(wrapper['causingExceptions'])} schema violations found"
    # and the contract's five are the same as well
    assert compiled.validate(WEB, entity) == reference.validate(WEB, entity)


@pytest.mark.parametrize("schema_id", [WEB, PROFILE])
def test_every_node_divided_still_agrees_with_the_reference(
    compiled: SchemaRegistry,
    reference: SchemaRegistry,
    schema_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The differential test's broken documents, with every container validated subtree by
    subtree: the reports are the reference engine's, cause for cause."""
    monkeypatch.setattr(subtrees, "WHOLE_BYTES", 0)
    invalid: list[bool] = []

    @SETTINGS
    @given(documents(compiled.composed(schema_id), True))
    def agree(document: Any) -> None:
        report = compiled.validate(schema_id, document, limit=MAX_FOUND)
        assert report == reference.validate(schema_id, document, limit=MAX_FOUND)
        invalid.append(report != [])

    agree()
    assert sum(invalid) > len(invalid) // 2
