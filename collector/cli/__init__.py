"""The ``collector`` command line.

``main`` assembles the commands that each package owns (``collector.cli.root``); ``options``
holds the options every command shares and ``output`` the one way commands print. ``main``
is loaded on first use so that packages can import ``options`` and ``output`` without a cycle.

Every listing command takes ``--json``, ``--csv`` or ``--table`` (``collector.cli.output``).
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "main":
        from collector.cli.root import main

        return main
    raise AttributeError(name)
