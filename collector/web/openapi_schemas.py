"""The component schemas of the OpenAPI document (collector/web/openapi.py): message envelopes,
responses and problem bodies, as CONTRACT.md defines them."""

from __future__ import annotations

from typing import Any

from collector.control.settings import Settings

STRING: dict[str, Any] = {"type": "string"}
INTEGER: dict[str, Any] = {"type": "integer"}
OBJECT: dict[str, Any] = {"type": "object"}
NULLABLE_STRING: dict[str, Any] = {"type": "string", "nullable": True}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(*required: str, **properties: Any) -> dict[str, Any]:
    """An object schema: ``required`` names, then the properties by name."""
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def array(items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "array", "items": items, **extra}


def components(settings: Settings) -> dict[str, Any]:
    schema_ref = obj(id=STRING, contentType=STRING)
    legacy = obj(name=STRING, version=STRING)
    status = {
        "oneOf": [INTEGER, {"type": "string", "pattern": "^[0-9]{3}$"}],
        "description": 'The HTTP status; 401 is sent as the string "401", as DCS does.',
    }
    message = obj(
        "body",
        header=obj(
            schemaRef=schema_ref,
            xdmSchema=legacy,
            imsOrgId=STRING,
            datasetId=STRING,
            flowId=STRING,
            source=obj(name=STRING),
        ),
        body=obj(
            "xdmMeta",
            "xdmEntity",
            xdmMeta=obj(schemaRef=schema_ref, xdmSchema=legacy),
            xdmEntity=OBJECT,
        ),
    )
    message["description"] = (
        "An XDM message envelope, in the current (`schemaRef`) or legacy (`xdmSchema`) form; "
        "unknown header fields are tolerated."
    )
    batch_entry = obj(
        "xactionId", xactionId=STRING, status=INTEGER, statusCode=INTEGER, message=STRING
    )
    schema_summary = obj(
        "id",
        "title",
        "kind",
        id=STRING,
        title=STRING,
        kind=STRING,
        description=STRING,
        **{"class": NULLABLE_STRING},
    )
    counts = obj(
        "datasetId",
        "name",
        "orgId",
        "schemaId",
        "accepted",
        "failed",
        "segments",
        datasetId=STRING,
        name=STRING,
        orgId=STRING,
        schemaId=STRING,
        accepted=INTEGER,
        failed=INTEGER,
        segments=INTEGER,
    )
    profile = obj(
        "entityId",
        "entity",
        entityId=STRING,
        sources=array(STRING),
        identityGraph=array(obj("id", "namespace", id=STRING, namespace=obj(code=STRING))),
        entity=OBJECT,
        lastModifiedAt=STRING,
    )
    page = obj(orderby=STRING, start=NULLABLE_STRING, count=INTEGER, next=NULLABLE_STRING)
    child = obj(entityId=STRING, timestamp=INTEGER, entity=OBJECT)
    return {
        "schemas": {
            "Problem": obj(
                "type",
                "status",
                "title",
                "report",
                type=STRING,
                status=status,
                title=STRING,
                report=obj("message", message=STRING, cause=OBJECT),
            ),
            "Message": message,
            "Batch": obj(
                "messages",
                messages=array(ref("Message"), minItems=1, maxItems=settings.max_batch_messages),
            ),
            "SingleResponse": obj(
                "inletId",
                "xactionId",
                "receivedTimeMs",
                inletId=STRING,
                xactionId=STRING,
                receivedTimeMs=INTEGER,
                syncValidation=ref("SyncResult"),
                synchronousValidation=ref("SyncResult"),
            ),
            "SyncResult": {
                "oneOf": [
                    obj("skipped", skipped={"type": "boolean", "enum": [True]}),
                    obj("status", status={"type": "string", "enum": ["pass"]}),
                ]
            },
            "BatchResponse": obj(
                "inletId",
                "batchId",
                "receivedTimeMs",
                "responses",
                inletId=STRING,
                batchId=STRING,
                receivedTimeMs=INTEGER,
                responses=array(batch_entry),
            ),
            "Health": obj("status", status={"type": "string", "enum": ["ok"]}),
            "SchemaList": obj("schemas", schemas=array(schema_summary)),
            "DatasetCounts": obj("datasets", datasets=array(counts)),
            "Profiles": {
                "type": "object",
                "description": "One entry, keyed by the profile id.",
                "additionalProperties": profile,
            },
            "EventPage": obj(
                "_page",
                "children",
                "_links",
                _page=page,
                children=array(child),
                _links=obj(next=obj(href=STRING)),
            ),
        }
    }
