"""The product's data folders, shipped as package data.

``schemas/``, ``static/`` and ``tag_extension/`` stay at the top of the repository; packaging maps
them to ``collector._data.schemas``, ``collector._data.static`` and
``collector._data.tag_extension`` (see ``[tool.setuptools.package-dir]`` in ``pyproject.toml``),
so an editable install and a wheel both find them through the import system.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path


def folder(name: str) -> Path:
    """The directory of the data folder ``name`` ("schemas", "static" or "tag_extension")."""
    resource = importlib.resources.files(f"{__name__}.{name}")
    return Path(str(resource))
