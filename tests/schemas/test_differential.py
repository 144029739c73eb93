"""The compiled engine (hot path) and the reference engine agree.

Same verdict, and for our own schemas the same report, on: every example under
schemas/examples, every shared XDM example (as written), and documents hypothesis derives
from the composed schemas, valid ones and broken ones alike.
"""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.schemas import SchemaRegistry
from collector.schemas.examples import load_examples

from .conftest import PROFILE, SCHEMAS, WEB, XDM

EXAMPLES = load_examples(SCHEMAS)
FORMAT_SAMPLES = {
    "date-time": [
        "2026-11-22T10:00:00Z", "2026-11-22T10:00:00.123456+05:30", "2026-11-22t10:00:00z",
        "2016-12-31T23:59:60Z", "2016-12-31T22:59:60-01:00", "2026-11-22T10:00:60Z",
        "2026-02-29T10:00:00Z", "2024-02-29T10:00:00Z", "2026-11-22 10:00:00Z",
        "2026-11-22T10:00:00", "2026-11-22T24:00:00Z", "2026-11-22T10:00:00+2400", "",
    ],
    "email": [
        "ada@example.com", "a.b+tag@sub.example.org", '"quoted name"@example.com',
        "a@[127.0.0.1]", "a@[IPv6:::1]", "a@localhost", "ada@", "@example.com", "a..b@x.com",
        ".a@x.com", "a@-x.com", "a@x_y.com", "ädä@example.com", "a b@x.com", "plain",
    ],
    "uri": [
        "https://shop.example.com/a?b=c#d", "mailto:ada@example.com", "urn:isbn:0451450523",
        "http://[::1]:8080/", "/relative", "no scheme", "https://exa mple.com/", "https://ä.de/",
    ],
    "date": ["2026-11-22", "2024-02-29", "2026-02-29", "2026-1-2", "22.11.2026"],
    "ipv4": ["192.0.2.1", "256.0.0.1", "01.2.3.4", "::1"],
    "ipv6": ["2001:db8::1", "::1", "192.0.2.1", "2001:db8:::1"],
}  # fmt: skip
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.path.name)
def test_schema_examples(compiled: SchemaRegistry, reference: SchemaRegistry, example: Any) -> None:
    assert compiled.validate(example.schema_id, example.entity) == reference.validate(
        example.schema_id, example.entity
    )


@pytest.fixture(scope="module")
def upstream() -> dict[str, SchemaRegistry]:
    return {
        engine: SchemaRegistry.load(XDM, engine=engine, closed=False, exclude=["meta.schema.json"])  # type: ignore[arg-type]
        for engine in ("compiled", "reference")
    }


def test_shared_xdm_examples(upstream: dict[str, SchemaRegistry]) -> None:
    manifest = json.loads((XDM / "MANIFEST.json").read_text())
    cases = [
        (f["$id"], XDM / path)
        for f in manifest["files"]
        for path in f["examples"] + f["invalid_examples"]
    ]
    assert len(cases) == 297
    for schema_id, path in cases:
        document = json.loads(Path(path).read_text())
        verdicts = {e: r.is_valid(schema_id, document) for e, r in upstream.items()}
        assert verdicts["compiled"] == verdicts["reference"], path


def documents(schema: dict[str, Any], broken: bool) -> st.SearchStrategy[Any]:
    """Documents shaped by ``schema``; with ``broken``, any value may be replaced by noise."""
    return _from_schema(schema, broken)


def _from_schema(schema: Any, broken: bool) -> st.SearchStrategy[Any]:
    strategy = _shaped(schema, broken) if isinstance(schema, dict) else ANY_JSON
    if broken:
        return st.one_of(strategy, strategy, strategy, ANY_JSON)
    return strategy


def _shaped(schema: dict[str, Any], broken: bool) -> st.SearchStrategy[Any]:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = kind[0]
    if "enum" in schema:
        return st.sampled_from(schema["enum"]) | (st.text(max_size=6) if broken else st.nothing())
    if kind == "object":
        return _object(schema, broken)
    if kind == "array":
        items = _from_schema(schema.get("items", {}), broken)
        return st.lists(items, min_size=0 if broken else schema.get("minItems", 0), max_size=3)
    if kind == "string":
        return _string(schema)
    if kind == "integer":
        return st.integers(min_value=-10, max_value=10**6)
    if kind == "number":
        return st.integers(-10, 10**6) | st.floats(-10, 1e6, allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    return ANY_JSON


def _object(schema: dict[str, Any], broken: bool) -> st.SearchStrategy[Any]:
    properties = schema.get("properties", {})
    if not properties:
        values = _from_schema(schema.get("additionalProperties", {}), broken)
        keys = st.sampled_from(["ECID", "Email", "CRMID"]) | st.text(string.printable, max_size=6)
        return st.dictionaries(keys, values, max_size=3)
    required = [k for k in schema.get("required", []) if k in properties]
    optional = [k for k in properties if k not in required]

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        names = list(required)
        if broken:
            names = [n for n in names if draw(st.integers(0, 9))]
        names += (
            draw(st.lists(st.sampled_from(optional), unique=True, max_size=4)) if optional else []
        )
        document = {name: draw(_from_schema(properties[name], broken)) for name in names}
        if broken and draw(st.integers(0, 4)) == 0:
            document[draw(st.sampled_from(["workEmail", "extra", "_acme"]))] = draw(ANY_JSON)
        return document

    return build()


def _string(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    if schema.get("format") in FORMAT_SAMPLES:
        return st.sampled_from(FORMAT_SAMPLES[schema["format"]])
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True) | st.text(max_size=6)
    return st.text(max_size=12)


# Derandomized: the same documents on every run, so a failure reproduces and nothing flakes.
SETTINGS = settings(
    max_examples=200,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.mark.parametrize("schema_id", [WEB, PROFILE])
@pytest.mark.parametrize("broken", [False, True], ids=["shaped", "broken"])
def test_generated_documents(
    compiled: SchemaRegistry, reference: SchemaRegistry, schema_id: str, broken: bool
) -> None:
    verdicts: list[bool] = []

    @SETTINGS
    @given(documents(compiled.composed(schema_id), broken))
    def agree(document: Any) -> None:
        report = compiled.validate(schema_id, document)
        assert report == reference.validate(schema_id, document)
        verdicts.append(report == [])

    agree()
    # Shaped documents reach both verdicts; broken ones are (nearly) all invalid.
    assert not all(verdicts)
    assert any(verdicts) or broken
