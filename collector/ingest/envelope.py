"""The message envelope: the current (``schemaRef``) and legacy (``xdmSchema``) forms.

``parse`` checks only the envelope's shape and returns the parts later stages need; it
never looks at the control plane. Anything it cannot understand is ``UnknownXdmFormat``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, NamedTuple

from collector.errors import UnknownXdmFormat, WrongOrg

CONTENT_TYPE = "application/vnd.adobe.xed-full+json;version=1"
_CONTENT_TYPE = re.compile(
    r"^\s*application/vnd\.adobe\.xed(?:-[a-z]+)*\+json\s*"
    r"(?:;\s*(?:version\s*=\s*)?(?P<version>\d+)(?:\.\d+)*\s*)?;?\s*$",
    re.IGNORECASE,
)


class Envelope(NamedTuple):
    """One per message: a named tuple (a frozen dataclass costs four times as much to make)."""

    schema_id: str
    org_id: str | None
    dataset_id: str | None
    source_name: str | None
    header: dict[str, Any]
    entity: dict[str, Any]
    legacy: bool


def legacy_schema_id(name: str) -> str:
    """Map a legacy schema name (``_xdm.context.profile``, any case) to its ``$id``."""
    if "://" in name:
        return name
    parts = [p for p in name.lstrip("_").split(".") if p]
    if not parts:
        raise UnknownXdmFormat()
    # Legacy names are matched case-insensitively (the 2019 extension sends
    # ``_xdm.context.experienceEvent``); the XDM ids they stand for are lower case.
    return "https://ns.adobe.com/" + "/".join(parts).lower()


def parse(message: object) -> Envelope:
    """Check the envelope's shape; raises ``UnknownXdmFormat`` or ``WrongOrg``."""
    if not isinstance(message, dict):
        raise UnknownXdmFormat()
    header = message.get("header", {})
    body = message.get("body")
    if not isinstance(header, dict) or not isinstance(body, dict):
        raise UnknownXdmFormat()
    meta = body.get("xdmMeta")
    entity = body.get("xdmEntity")
    if not isinstance(meta, dict) or not isinstance(entity, dict):
        raise UnknownXdmFormat()
    schema_id, legacy = _schema_of(meta)
    # Most clients repeat the same schemaRef in the header: equal to the one just checked.
    ref = header.get("schemaRef")
    if ref is None or ref != meta.get("schemaRef"):
        header_schema = _schema_of(header, required=False)[0]
        if header_schema is not None and header_schema != schema_id:
            raise UnknownXdmFormat()
    org = header.get("imsOrgId")
    if org is not None and not isinstance(org, str):
        raise WrongOrg()
    dataset = header.get("datasetId")
    if dataset is not None and not isinstance(dataset, str):
        raise UnknownXdmFormat()
    source = header.get("source")
    source_name = None
    if source is not None:
        if not isinstance(source, dict):
            raise UnknownXdmFormat()
        source_name = source.get("name")
        if source_name is not None and not isinstance(source_name, str):
            raise UnknownXdmFormat()
    flow = header.get("flowId")
    if flow is not None and not isinstance(flow, str):
        raise UnknownXdmFormat()
    return Envelope(
        schema_id, org or None, dataset or None, source_name or None, header, entity, legacy
    )


def normalised_header(
    envelope: Envelope, *, org_id: str, dataset_id: str, source_name: str
) -> dict[str, Any]:
    """The header as stored: org, dataset and source filled, ``schemaRef`` in its one form."""
    header = dict(envelope.header)
    header.pop("xdmSchema", None)
    header["schemaRef"] = {"id": envelope.schema_id, "contentType": CONTENT_TYPE}
    header["imsOrgId"] = org_id
    header["datasetId"] = dataset_id
    source = header.get("source")
    header["source"] = {**(source if isinstance(source, dict) else {}), "name": source_name}
    return header


def _schema_of(holder: dict[str, Any], *, required: bool = True) -> tuple[Any, bool]:
    ref = holder.get("schemaRef")
    if ref is not None:
        if not isinstance(ref, dict):
            raise UnknownXdmFormat()
        schema_id = ref.get("id")
        content_type = ref.get("contentType")
        if not isinstance(schema_id, str) or not schema_id.strip():
            raise UnknownXdmFormat()
        if content_type is not None and not _known_content_type(content_type):
            raise UnknownXdmFormat()
        return schema_id.strip(), False
    legacy = holder.get("xdmSchema")
    if legacy is not None:
        name = legacy.get("name") if isinstance(legacy, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise UnknownXdmFormat()
        return legacy_schema_id(name.strip()), True
    if required:
        raise UnknownXdmFormat()
    return None, False


def _known_content_type(value: object) -> bool:
    return isinstance(value, str) and len(value) <= 256 and _content_type_ok(value)


@lru_cache(maxsize=256)
def _content_type_ok(value: str) -> bool:
    match = _CONTENT_TYPE.match(value)
    return match is not None and match["version"] in (None, "1")
