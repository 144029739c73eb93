"""Names and descriptions people give things: no control characters.

Org, dataset, inlet and property names (and inlet descriptions and source names) are echoed
to terminals by the CLI and shown in consoles; an ANSI escape or a CR/LF in one could rewrite
what an operator sees. Every such text is refused when it holds a C0 control (U+0000-U+001F),
DEL (U+007F) or a C1 control (U+0080-U+009F), with a message naming the field.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def control_character_problem(field: str, value: str) -> str | None:
    """A message naming ``field`` when ``value`` holds a control character, else None."""
    found = _CONTROL.search(value)
    if found is None:
        return None
    return (
        f"{field} must not contain control characters:"
        f" U+{ord(found.group()):04X} at position {found.start()}"
    )
