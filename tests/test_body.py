"""The nesting check agrees with a plain recursive depth on any JSON document."""

from __future__ import annotations

import json
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.ingest.body import too_deep

# Strings full of the characters that could fool a byte-level scan.
_tricky = st.text(alphabet='[]{}"\\ab', max_size=6)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | _tricky,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_tricky, inner, max_size=3),
    max_leaves=40,
)


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


@settings(max_examples=1500, deadline=None)
@given(document=_json, limit=st.integers(min_value=0, max_value=8))
def test_too_deep_matches_the_recursive_depth(document: Any, limit: int) -> None:
    for raw in (json.dumps(document).encode(), json.dumps(document, indent=1).encode()):
        assert too_deep(orjson.loads(raw), raw, limit) == (depth(document) > limit)


def test_deep_text_in_strings_is_not_nesting() -> None:
    raw = json.dumps({"a": "[" * 100, "b": ["{" * 100]}).encode()
    assert not too_deep(orjson.loads(raw), raw, 2)
    assert too_deep(orjson.loads(raw), raw, 1)
