"""AEP's timestamp-ordered merge policy, as a merge of stamped trees.

A record fragment is kept as a *stamped tree*: objects stay objects, every other value (a string,
a number, a boolean, an array) becomes a leaf ``[time_ms, xactionId, value]``. Merging two trees
keeps, field by field, the leaf with the newer stamp; objects merge deeply; arrays are leaves, so
a newer array replaces an older one. Stamps compare by time, then by xactionId (natural order),
so the result does not depend on the order in which fragments arrive. When one side has an
object and the other a leaf at the same path, the leaf wins only if it is newer than everything
inside the object.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

Tree = dict[str, Any]
_NEVER: tuple[int, tuple[tuple[int, int | str], ...]] = (-(2**62), ())
_SPLIT = re.compile(r"[:\-]")


def stamp(entity: Mapping[str, Any], time_ms: int, xaction_id: str) -> Tree:
    """The stamped tree of one record."""
    tree: Tree = {}
    for key, value in entity.items():
        if isinstance(value, dict):
            tree[key] = stamp(value, time_ms, xaction_id)
        else:
            tree[key] = [time_ms, xaction_id, value]
    return tree


def merge(a: Tree, b: Tree) -> Tree:
    """Field-by-field merge of two stamped trees (commutative for trees of one shape)."""
    out = dict(a)
    for key, right in b.items():
        left = out.get(key)
        out[key] = right if left is None else _merge_node(left, right)
    return out


def merge_all(trees: Iterable[Tree]) -> Tree:
    result: Tree = {}
    for tree in trees:
        result = merge(result, tree)
    return result


def strip(tree: Tree) -> dict[str, Any]:
    """The plain entity of a stamped tree."""
    return {k: strip(v) if isinstance(v, dict) else v[2] for k, v in tree.items()}


def project(entity: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """Keep only the dotted ``fields`` of ``entity`` (AEP's ``fields=`` parameter)."""
    out: dict[str, Any] = {}
    for field in fields:
        parts = [p for p in field.split(".") if p]
        if parts:
            _copy_path(entity, out, parts)
    return out


def _copy_path(src: Mapping[str, Any], dst: dict[str, Any], parts: list[str]) -> None:
    head, rest = parts[0], parts[1:]
    if head not in src:
        return
    value = src[head]
    if not rest:
        dst[head] = value
    elif isinstance(value, dict):
        existing = dst.get(head)
        child: dict[str, Any] = existing if isinstance(existing, dict) else {}
        before = len(child)
        _copy_path(value, child, rest)
        if len(child) > before or head in dst:
            dst[head] = child


def _merge_node(left: Any, right: Any) -> Any:
    left_obj, right_obj = isinstance(left, dict), isinstance(right, dict)
    if left_obj and right_obj:
        return merge(left, right)
    if not left_obj and not right_obj:
        return right if _key(right) >= _key(left) else left
    tree, leaf = (left, right) if left_obj else (right, left)
    return leaf if _key(leaf) > _newest(tree) else tree


def _key(leaf: list[Any]) -> tuple[int, tuple[tuple[int, int | str], ...]]:
    return (leaf[0], _natural(leaf[1]))


def _natural(xaction_id: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in _SPLIT.split(xaction_id))


def _newest(tree: Tree) -> tuple[int, tuple[tuple[int, int | str], ...]]:
    best = _NEVER
    for node in tree.values():
        candidate = _newest(node) if isinstance(node, dict) else _key(node)
        if candidate > best:
            best = candidate
    return best
