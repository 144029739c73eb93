"""The load: a realistic page-view event (about 1.3 KB of XDM) in the current envelope.

The entity is valid under the demo web-events schema (``seed.WEB_EVENTS_SCHEMA``), so the
collector runs its whole hot path: envelope, routing, validation, enrichment, lake append.
"""

from __future__ import annotations

from typing import Any

import orjson

from collector.control import seed

ID_MARK = "@@ID@@"
_CONTENT_TYPE = "application/vnd.adobe.xed-full+json;version=1"
_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)


def page_view(event_id: str) -> dict[str, Any]:
    return {
        "_id": event_id,
        "timestamp": "2026-11-22T10:00:00.123Z",
        "eventType": "web.webpagedetails.pageViews",
        "identityMap": {
            "ECID": [
                {
                    "id": "43917202861048276583912367411290381234",
                    "primary": True,
                    "authenticatedState": "ambiguous",
                }
            ]
        },
        "web": {
            "webPageDetails": {
                "name": "Running shoes | Shop",
                "URL": "https://shop.example.com/running/shoes?color=blue&size=42",
                "siteSection": "running",
                "server": "shop.example.com",
                "isHomePage": False,
                "pageViews": {"value": 1},
            },
            "webReferrer": {
                "URL": "https://www.search.example/results?q=running+shoes",
                "type": "search_engine",
            },
        },
        "environment": {
            "type": "browser",
            "browserDetails": {
                "name": "Chrome",
                "version": "120.0.6099.109",
                "userAgent": _USER_AGENT,
                "acceptLanguage": "en-GB,en;q=0.9,de;q=0.8",
                "cookiesEnabled": True,
                "javaScriptEnabled": True,
                "viewportWidth": 1440,
                "viewportHeight": 789,
            },
            "operatingSystem": "Windows",
            "operatingSystemVersion": "10",
            "_dc": {"language": "en-GB"},
            "viewportWidth": 1440,
            "viewportHeight": 789,
            "colorDepth": 24,
        },
        "device": {
            "type": "desktop",
            "screenWidth": 2560,
            "screenHeight": 1440,
            "screenOrientation": "landscape",
        },
        "_demo": {
            "pageCategory": "product listing",
            "loggedIn": False,
            "tagVersion": "1.4.0",
            "campaign": {"source": "search", "medium": "cpc", "name": "winter-running"},
        },
    }


def envelope(entity: dict[str, Any]) -> dict[str, Any]:
    ref = {"id": seed.WEB_EVENTS_SCHEMA, "contentType": _CONTENT_TYPE}
    return {
        "header": {
            "schemaRef": ref,
            "imsOrgId": seed.DEMO_ORG,
            "datasetId": seed.WEB_EVENTS,
            "source": {"name": "bench"},
        },
        "body": {"xdmMeta": {"schemaRef": ref}, "xdmEntity": entity},
    }


def single_template() -> bytes:
    """One message whose ``_id`` is ``ID_MARK``, for the load generator to fill in."""
    return orjson.dumps(envelope(page_view(ID_MARK)))


def single(event_id: str = "bench-0") -> bytes:
    return orjson.dumps(envelope(page_view(event_id)))


def batch(size: int) -> bytes:
    messages = [envelope(page_view(f"bench-batch-{i}")) for i in range(size)]
    return orjson.dumps({"messages": messages})


def user_agent() -> str:
    return _USER_AGENT
