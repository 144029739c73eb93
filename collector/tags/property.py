"""Property and Library records, and the property document (``properties export/import``).

A property document is JSON:

    {"id": "PR<32 hex>", "orgId": "DEMO@AdobeOrg", "name": "Shop",
     "extension": {...}, "dataElements": {...}, "rules": [...],
     "createdAt": "...", "updatedAt": "..."}

``extension``, ``dataElements`` and ``rules`` form the library configuration (the object a
published library carries, ``tag_extension/library.schema.json``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

ENVIRONMENTS = ("development", "staging", "production")
PROPERTY_ID = re.compile(r"^PR[0-9a-f]{32}$")


class PropertyError(ValueError):
    """A property that cannot be saved or published; ``problems`` lists every reason."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Property:
    id: str
    org_id: str
    name: str
    extension: dict[str, Any]
    data_elements: dict[str, Any]
    rules: list[dict[str, Any]]
    created_at: str
    updated_at: str

    def config(self) -> dict[str, Any]:
        """The library configuration ``C``."""
        return {
            "extension": self.extension,
            "dataElements": self.data_elements,
            "rules": self.rules,
        }

    def document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "orgId": self.org_id,
            "name": self.name,
            **self.config(),
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "org_id": self.org_id,
            "name": self.name,
            "data_elements": len(self.data_elements),
            "rules": len(self.rules),
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True)
class Library:
    """One immutable published version of a property's library in one environment."""

    property_id: str
    environment: str
    version: int
    content_hash: str
    text: str
    gzip: bytes
    built_at: str

    @property
    def path(self) -> str:
        return library_path(self.property_id, self.environment)

    def summary(self) -> dict[str, Any]:
        return {
            "property_id": self.property_id,
            "environment": self.environment,
            "version": self.version,
            "content_hash": self.content_hash,
            "bytes": len(self.text.encode("utf-8")),
            "gzip_bytes": len(self.gzip),
            "built_at": self.built_at,
            "path": self.path,
        }


def library_path(property_id: str, environment: str) -> str:
    return f"/tags/{property_id}/{environment}.js"


def check_environment(environment: str) -> str:
    if environment not in ENVIRONMENTS:
        raise PropertyError(f"environment must be one of {', '.join(ENVIRONMENTS)}")
    return environment


# The fields of a property document and the JSON type each must have when present.
DOCUMENT_FIELDS: dict[str, tuple[type, str]] = {
    "id": (str, "a string"),
    "orgId": (str, "a string"),
    "name": (str, "a string"),
    "extension": (dict, "an object"),
    "dataElements": (dict, "an object"),
    "rules": (list, "an array"),
    "createdAt": (str, "a string"),
    "updatedAt": (str, "a string"),
}


def check_document_types(doc: Any) -> dict[str, Any]:
    """``doc`` when it is an object whose known fields have their types; else PropertyError."""
    if not isinstance(doc, dict):
        raise PropertyError("a property document is a JSON object")
    problems = [
        f"{key} must be {label}, not {type_name(doc[key])}"
        for key, (kind, label) in DOCUMENT_FIELDS.items()
        if key in doc and not (isinstance(doc[key], kind) and not isinstance(doc[key], bool))
    ]
    if problems:
        raise PropertyError(problems)
    return doc


def type_name(value: Any) -> str:
    """The JSON name of a parsed JSON value's type, for messages."""
    names: list[tuple[type, str]] = [
        (type(None), "null"),
        (bool, "a boolean"),
        (int, "a number"),
        (float, "a number"),
        (str, "a string"),
        (list, "an array"),
        (dict, "an object"),
    ]
    for kind, name in names:
        if isinstance(value, kind):
            return name
    return type(value).__name__


def config_from_document(doc: Any) -> dict[str, Any]:
    """The configuration part of a document (missing parts empty); the checker validates it."""
    if not isinstance(doc, dict):
        raise PropertyError("a property document is a JSON object")
    return {
        "extension": doc.get("extension", {}),
        "dataElements": doc.get("dataElements", {}),
        "rules": doc.get("rules", []),
    }
