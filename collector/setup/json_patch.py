"""JSON Patch (RFC 6902) for the setup APIs: ``add``, ``remove``, ``replace`` and ``test``.

    document = apply(document, operations)     # a new document; BadRequest says what is wrong

Paths are JSON Pointers (RFC 6901, ``~0`` and ``~1`` escapes); ``-`` appends to an array.
"""

from __future__ import annotations

import copy
from typing import Any

from collector.errors import BadRequest

MAX_OPERATIONS = 100
_OPS = ("add", "remove", "replace", "test")


def apply(document: dict[str, Any], operations: Any) -> dict[str, Any]:
    if not isinstance(operations, list) or not operations:
        raise BadRequest("The request body must be a non-empty JSON Patch array of operations")
    if len(operations) > MAX_OPERATIONS:
        raise BadRequest(f"At most {MAX_OPERATIONS} patch operations per request")
    result = copy.deepcopy(document)
    for index, operation in enumerate(operations):
        if not isinstance(operation, dict):
            raise BadRequest(f"Patch operation {index} must be an object")
        op, path = operation.get("op"), operation.get("path")
        if op not in _OPS:
            raise BadRequest(f"Patch operation {index}: op must be one of {', '.join(_OPS)}")
        if not isinstance(path, str) or not (path == "" or path.startswith("/")):
            raise BadRequest(f"Patch operation {index}: path must be a JSON Pointer")
        if op != "remove" and "value" not in operation:
            raise BadRequest(f"Patch operation {index}: {op} needs a value")
        if path == "":
            raise BadRequest(f"Patch operation {index}: the whole document cannot be patched")
        _one(result, op, path, operation.get("value"), index)
    return result


def _one(document: dict[str, Any], op: str, path: str, value: Any, index: int) -> None:
    *parents, last = [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]
    target: Any = document
    for part in parents:
        target = _child(target, part, path, index)
    where = f"Patch operation {index}: path {path[:200]}"
    if isinstance(target, dict):
        if op == "add":
            target[last] = copy.deepcopy(value)
            return
        if last not in target:
            raise BadRequest(f"{where} does not exist")
        if op == "remove":
            del target[last]
        elif op == "replace":
            target[last] = copy.deepcopy(value)
        elif target[last] != value:
            raise BadRequest(f"{where}: test failed")
        return
    if not isinstance(target, list):
        raise BadRequest(f"{where} does not exist")
    if op == "add" and last == "-":
        target.append(copy.deepcopy(value))
        return
    position = _index(last, len(target) + (1 if op == "add" else 0), where)
    if op == "add":
        target.insert(position, copy.deepcopy(value))
    elif op == "remove":
        del target[position]
    elif op == "replace":
        target[position] = copy.deepcopy(value)
    elif target[position] != value:
        raise BadRequest(f"{where}: test failed")


def _child(target: Any, part: str, path: str, index: int) -> Any:
    if isinstance(target, dict) and part in target:
        return target[part]
    if isinstance(target, list):
        return target[_index(part, len(target), f"Patch operation {index}: path {path[:200]}")]
    raise BadRequest(f"Patch operation {index}: path {path[:200]} does not exist")


def _index(part: str, size: int, where: str) -> int:
    if not part.isascii() or not part.isdigit() or len(part) > 6 or int(part) >= size:
        raise BadRequest(f"{where}: no array element {part[:16]!r}")
    return int(part)
