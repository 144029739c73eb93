"""Integer fields hold 64-bit integers: the bounds every ``"type": "integer"`` gets.

JSON Schema's ``integer`` is unbounded, so ``2**64-1`` passes and ``2**70`` (which the JSON
parser can only read as a float) passes too, and the lake would keep a number no consumer
reads back as it was sent. Before a schema is compiled, each integer subschema is given
``minimum``/``maximum`` of ±(2^63-1), unless it has tighter ones. The minimum leaves out
-2^63 itself: the float a parser makes of a literal just past it is that same value.
The check costs nothing more than the validation already does.
"""

from __future__ import annotations

from typing import Any

INT64_MAX = 2**63 - 1
MINIMUM, MAXIMUM = -INT64_MAX, INT64_MAX


def int64_bounded(schema: Any) -> Any:
    """A copy of ``schema`` with the bounds on every integer subschema."""
    if isinstance(schema, list):
        return [int64_bounded(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    bounded = {key: int64_bounded(value) for key, value in schema.items()}
    kind = schema.get("type")
    if kind == "integer" or (isinstance(kind, list) and "integer" in kind):
        bounded["minimum"] = _tighter(schema.get("minimum"), MINIMUM, max)
        bounded["maximum"] = _tighter(schema.get("maximum"), MAXIMUM, min)
    return bounded


def _tighter(own: Any, bound: int, pick: Any) -> Any:
    if isinstance(own, (int, float)) and not isinstance(own, bool):
        return pick(own, bound)
    return bound
