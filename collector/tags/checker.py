"""Every setting of a property checked before it is saved or published.

- the configuration against ``library.schema.json``, the extension configuration and each
  component's settings against their schemas in the manifest;
- the extension's org, inlet and dataset against the control plane;
- ``%name%`` references in conditions and actions name a data element (or ``event.``);
- each Send Beacon against its dataset's composed XDM schema: every mapping path exists, every
  constant fits its field, and the fields the runtime adds itself exist. The action's ``fill``
  flags are set from whether the schema has the environment and web page fields.

``check`` returns the configuration as it will be stored (a copy, ``fill`` flags set) or raises
``PropertyError`` listing every problem, each naming the rule, component, row and path.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Iterator
from typing import Any

from jsonschema import Draft202012Validator

from collector.control.plane import ControlPlane
from collector.schemas.registry import SchemaRegistry, UnknownSchemaError
from collector.tags import xdmpath
from collector.tags.manifest import RULE_KINDS, Manifest
from collector.tags.property import PropertyError

_WHOLE = re.compile(r"^%([^%]+)%$")
_REFERENCE = re.compile(r"%([^%]+)%")
# Text between two percent signs that is meant as a reference (not "50% off, 20% more").
_NAME_LIKE = re.compile(r"^[\w$.-](?:[\w$. -]*[\w$.-])?$")
# Names a JavaScript object key must not have: in the runtime each could reach a prototype.
RESERVED_NAMES = ("__proto__", "constructor", "prototype")
# Fields the runtime adds to every beacon: _id when unmapped, the device id.
RUNTIME_FIELDS = (
    "_id",
    "identityMap.ECID[0].id",
    "identityMap.ECID[0].primary",
    "identityMap.ECID[0].authenticatedState",
)
# Fields the runtime fills when the schema has them (``fill`` flags set at publish).
FILL_FIELDS = {
    "timestamp": ("timestamp",),
    "environment": (
        "environment.type",
        "environment.browserDetails.userAgent",
        "environment.browserDetails.acceptLanguage",
        "environment.browserDetails.cookiesEnabled",
        "environment.browserDetails.javaScriptEnabled",
        "environment.browserDetails.viewportWidth",
        "environment.browserDetails.viewportHeight",
    ),
    "web": ("web.webPageDetails.URL", "web.webPageDetails.name", "web.webReferrer.URL"),
}


class PropertyChecker:
    def __init__(self, manifest: Manifest, registry: SchemaRegistry, control: ControlPlane) -> None:
        self.manifest = manifest
        self.registry = registry
        self.control = control

    def check(self, org_id: str, config: dict[str, Any]) -> dict[str, Any]:
        config = copy.deepcopy(config)
        problems = _schema_problems("configuration", self.manifest.library, config)
        if problems:
            raise PropertyError(problems)
        extension = config["extension"]
        problems += _schema_problems("extension", self.manifest.configuration, extension)
        problems += self._extension(org_id, extension)
        names = set(config.get("dataElements") or {})
        problems += _reserved_keys(config)
        for name, element in (config.get("dataElements") or {}).items():
            problems += self._component(f"data element {name!r}", "dataElements", element)
        for i, rule in enumerate(config.get("rules") or []):
            rule_label = f"rule {i + 1} {rule['name']!r}"
            for kind in RULE_KINDS:
                for j, component in enumerate(rule.get(kind) or []):
                    label = f"{rule_label}, {kind[:-1]} {j + 1} ({component['type']})"
                    found = self._component(label, kind, component)
                    problems += found
                    if kind != "events":
                        problems += _references(label, component.get("settings") or {}, names)
                    if not found and component["type"] == "actions/sendBeacon":
                        problems += self._beacon(label, org_id, extension, component, names)
                    if not found and component["type"] == "conditions/valueComparison":
                        wanted = component["settings"]["dataElement"]
                        if wanted not in names and not wanted.startswith("event."):
                            problems.append(f"{label}: dataElement {wanted!r} is not defined")
        if problems:
            raise PropertyError(problems)
        return config

    def _extension(self, org_id: str, extension: dict[str, Any]) -> list[str]:
        problems = []
        if extension.get("orgId") not in (None, org_id):
            problems.append(f"extension: orgId must be the property's org {org_id}")
        inlet_id = extension.get("inletId")
        if isinstance(inlet_id, str):
            inlet = self.control.inlet(inlet_id)
            if inlet is None or inlet.org_id != org_id:
                problems.append(f"extension: inletId {inlet_id} is not an inlet of {org_id}")
        dataset_id = extension.get("datasetId")
        if isinstance(dataset_id, str):
            problems += self._dataset_problems("extension: datasetId", org_id, dataset_id)
        return problems

    def _dataset_problems(self, label: str, org_id: str, dataset_id: str) -> list[str]:
        dataset = self.control.dataset(dataset_id)
        if dataset is None or dataset.org_id != org_id:
            return [f"{label} {dataset_id} is not a dataset of {org_id}"]
        return []

    def _component(self, label: str, kind: str, component: dict[str, Any]) -> list[str]:
        kind_type = self.manifest.types.get(component["type"])
        if kind_type is None or kind_type.kind != kind:
            return [f"{label}: unknown {kind[:-1]} type {component['type']!r}"]
        return _schema_problems(
            f"{label}: settings", kind_type.validator, component.get("settings") or {}
        )

    def _beacon(
        self,
        label: str,
        org_id: str,
        extension: dict[str, Any],
        action: dict[str, Any],
        names: set[str],
    ) -> list[str]:
        settings = action.setdefault("settings", {})
        dataset_id = settings.get("datasetId") or extension.get("datasetId")
        if not dataset_id:
            return [f"{label}: no dataset (set datasetId here or in the extension configuration)"]
        if problems := self._dataset_problems(f"{label}: dataset", org_id, dataset_id):
            return problems
        dataset = self.control.dataset(dataset_id)
        assert dataset is not None
        if settings["schemaId"] != dataset.schema_id:
            return [
                f"{label}: schemaId {settings['schemaId']} is not the schema of dataset"
                f" {dataset_id} ({dataset.schema_id})"
            ]
        try:
            schema = self.registry.composed(dataset.schema_id)
        except UnknownSchemaError:
            return [f"{label}: schema {dataset.schema_id} is not in the schema registry"]
        problems = [
            f"{label}: schema {dataset.schema_id} has no field {path!r},"
            " which the tag adds to every beacon"
            for path in RUNTIME_FIELDS
            if not xdmpath.has(schema, path)
        ]
        for k, row in enumerate(settings.get("mapping") or []):
            where = f"{label}, mapping row {k + 1} ({row['path']!r})"
            problems += [f"{where}: {why}" for why in _row(schema, row, names)]
        settings["fill"] = {
            part: all(xdmpath.has(schema, path) for path in paths)
            for part, paths in FILL_FIELDS.items()
        }
        return problems


def _row(schema: dict[str, Any], row: dict[str, Any], names: set[str]) -> Iterator[str]:
    try:
        leaf = xdmpath.resolve(schema, row["path"])
    except xdmpath.PathError as exc:
        yield f"unknown XDM path: {exc}"
        return
    value = row["value"]
    if value is None or value == "":
        return
    if isinstance(value, str) and _references_in(value, names):
        # A whole-string reference keeps its value's type; embedded ones make text.
        if not _WHOLE.match(value) and not xdmpath.accepts_text(leaf):
            yield f"the field takes no text, but {value!r} interpolates to text"
        return
    if (why := xdmpath.check_constant(leaf, value)) is not None:
        yield f"constant {value!r} does not fit the field: {why}"


def _references_in(value: str, names: set[str]) -> list[str]:
    return [n for n in _REFERENCE.findall(value) if _known(n, names) or _NAME_LIKE.match(n)]


def _known(name: str, names: set[str]) -> bool:
    return name in names or name.startswith("event.")


def _references(label: str, settings: Any, names: set[str]) -> list[str]:
    problems = []
    for text in _strings(settings):
        for name in _REFERENCE.findall(text):
            if _NAME_LIKE.match(name) and not _known(name, names):
                defined = ", ".join(sorted(names)) or "none"
                problems.append(f"{label}: %{name}% is not a data element (defined: {defined})")
    return problems


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _schema_problems(label: str, validator: Draft202012Validator, value: Any) -> list[str]:
    problems = []
    for error in sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.path))):
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.path)
        problems.append(f"{label}{' at ' + where.lstrip('.') if where else ''}: {error.message}")
    return problems


def _reserved_keys(config: dict[str, Any]) -> list[str]:
    """Data element names, and keys anywhere in the configuration, that could reach a prototype.

    ``constructor`` and ``prototype`` are refused as data element names (the runtime looks
    names up in an object); ``__proto__`` is refused as any key at all.
    """
    problems = [
        f"data element {name!r}: the name is reserved in JavaScript"
        f" ({', '.join(RESERVED_NAMES)} cannot name a data element)"
        for name in config.get("dataElements") or {}
        if name in RESERVED_NAMES
    ]

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "__proto__" and path != "dataElements":
                    problems.append(f"{path}: the key '__proto__' is reserved in JavaScript")
                walk(item, f"{path}.{key}" if path else key)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]")

    walk(config, "")
    return problems
