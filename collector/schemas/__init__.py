"""XDM schemas: the registry that loads, composes, compiles and validates them.

``SchemaRegistry.load(settings.schemas_dir)`` at startup; ``registry.validate(id, entity)``
on the hot path (``validators``: the two engines; ``subtrees``: a large invalid document
validated subtree by subtree; ``violations``: the everit-shaped report, bounded to 100
violations); ``compose.compose_schema`` builds a dataset schema from a class and field
groups (``collector schemas compose``). See ``schemas/README.md`` for the layout of the
schemas directory.
"""

from __future__ import annotations

from collector.schemas.loader import SchemaLoadError
from collector.schemas.registry import SchemaRegistry, UnknownSchemaError

__all__ = ["SchemaLoadError", "SchemaRegistry", "UnknownSchemaError"]
