"""The tag extension's manifest (``extension.json``): types, settings schemas, module files.

A type's key is ``<kind>/<name>`` (``events/click``); its module is ``src/<key>.js``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator

KINDS = ("events", "conditions", "dataElements", "actions")
# Where each kind of component sits in a configuration (data elements are a name map).
RULE_KINDS = ("events", "conditions", "actions")


class ManifestError(ValueError):
    """A configuration names a type the manifest does not list."""


@dataclass(frozen=True)
class ComponentType:
    key: str
    kind: str
    display_name: str
    lib_path: str
    validator: Draft202012Validator


class Manifest:
    """``extension.json`` and ``library.schema.json`` of one tag extension directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.document: dict[str, Any] = _read_json(root / "extension.json")
        self.version: str = self.document["version"]
        self.main: str = self.document["main"]
        checker = jsonschema.FormatChecker()
        self.configuration = Draft202012Validator(
            self.document["configuration"]["schema"], format_checker=checker
        )
        self.library = Draft202012Validator(_read_json(root / "library.schema.json"))
        self.types: dict[str, ComponentType] = {}
        for kind in KINDS:
            for entry in self.document[kind]:
                key = f"{kind}/{entry['name']}"
                self.types[key] = ComponentType(
                    key,
                    kind,
                    entry["displayName"],
                    entry["libPath"],
                    Draft202012Validator(entry["schema"], format_checker=checker),
                )

    def all_paths(self) -> list[str]:
        return sorted(t.lib_path for t in self.types.values())

    def paths_for(self, config: dict[str, Any]) -> list[str]:
        """Module files of the types a configuration uses, each once, sorted."""
        used = set()
        for component in components(config):
            kind_type = self.types.get(str(component.get("type")))
            if kind_type is None:
                raise ManifestError(f"unknown type {component.get('type')!r}")
            used.add(kind_type.lib_path)
        return sorted(used)

    def text(self, rel_path: str) -> str:
        text = (self.root / rel_path).read_text(encoding="utf-8")
        return text if text.endswith("\n") else text + "\n"

    def source(self, paths: list[str]) -> str:
        """The core and the given modules: the inside of the library function."""
        return self.text(self.main) + "".join(self.text(p) for p in sorted(paths))


def components(config: dict[str, Any]) -> list[dict[str, Any]]:
    """Every data element, then every event, condition and action of every rule."""
    found = list((config.get("dataElements") or {}).values())
    for rule in config.get("rules") or []:
        for kind in RULE_KINDS:
            found.extend(rule.get(kind) or [])
    return found


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
