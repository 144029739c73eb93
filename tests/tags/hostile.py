"""A property whose configuration is full of values that try to break out of a <script>."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from collector.control import seed
from collector.tags.properties import Properties
from tests.tags.conftest import beacon_rule

# Values that would end a <script> element, open an HTML comment, close a JS string or
# comment, or end a line in pre-2019 JavaScript, if they reached the library as raw text.
HOSTILE = [
    "</script><script>window.__pwned = 1</script>",
    "</SCRIPT ><script>alert(1)</script>",
    "<!--<script>",
    "-->",
    "]]>",
    "*/ window.__pwned = 1; /*",
    '"; window.__pwned = 1; //',
    "'; window.__pwned = 1; //",
    "back\\slash \\u2028 \\\\",
    "line\u2028separator\u2029paragraph",
    "`${window.__pwned = 1}`",
    "&amp; &lt; \u00e9\u00e8 \U0001f600",
]
# Where each value is mapped, in order (string fields of the web-events schema).
FIELDS = [
    *(f"_demo.campaign.{k}" for k in ("source", "medium", "name", "term", "content")),
    "_demo.pageCategory",
    "_demo.experimentVariant",
    "_demo.searchTerm",
    "web.webPageDetails.name",
    "web.webPageDetails.siteSection",
    "eventType",
    "web.webInteraction.name",
]
# Rule names (reported by on("rule")) and a value read through a data element named hostilely.
RULES = [HOSTILE[0], HOSTILE[5]]
REFERENCED = ("producedBy", HOSTILE[0])


@dataclass(frozen=True)
class HostileLibrary:
    property_id: str
    text: str

    def problems(self, first: dict[str, Any], second: dict[str, Any]) -> list[str]:
        """What did not round-trip in the two beacons the library sends on load."""
        found = []
        for path, value in zip(FIELDS, HOSTILE, strict=True):
            node: Any = first
            for key in path.split("."):
                node = node.get(key) if isinstance(node, dict) else None
            if node != value:
                found.append(f"{path}: {node!r} != {value!r}")
        if second.get(REFERENCED[0]) != REFERENCED[1]:
            found.append(f"{REFERENCED[0]}: {second.get(REFERENCED[0])!r}")
        return found


def hostile_library(props: Properties) -> HostileLibrary:
    """Create and publish (production) the hostile property; both its rules fire on load."""
    elements = {
        f"de {value}": {"type": "dataElements/constant", "settings": {"value": value}}
        for value in HOSTILE
    }
    loaded = beacon_rule(RULES[0], *zip(FIELDS, HOSTILE, strict=True))
    referenced = beacon_rule(RULES[1], (REFERENCED[0], f"%de {REFERENCED[1]}%"))
    for rule in (loaded, referenced):
        rule["events"] = [{"type": "events/libraryLoaded", "settings": {}}]
    prop = props.create(
        org_id=seed.DEMO_ORG,
        name=HOSTILE[0],
        document={"dataElements": elements, "rules": [loaded, referenced]},
    )
    return HostileLibrary(prop.id, props.publish(prop.id, "production").text)
