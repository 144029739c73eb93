"""The demo property: the tag of the demo shop page (``static/demo/``), seeded with the demo org.

Its rules: a page view on window load, "Add to cart" clicks with the product from the
button's data attributes, a ``demo:search`` DOM event, ``_xdmTag.track("newsletter",
{email})`` (an Email identity and a beacon) and a virtual page view on history changes.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from collector.control import seed
from collector.control.plane import ControlPlane
from collector.control.settings import Settings
from collector.schemas.registry import SchemaRegistry
from collector.tags.manifest import Manifest
from collector.tags.properties import Properties
from collector.tags.property import Property, PropertyError
from collector.tags.store import TagStore

DEMO_PROPERTY = "PR" + "de70" * 8
DEMO_PROPERTY_NAME = "Demo shop"


def _beacon(*rows: tuple[str, Any]) -> dict[str, Any]:
    mapping = [{"path": path, "value": value} for path, value in rows]
    return {
        "type": "actions/sendBeacon",
        "settings": {"schemaId": seed.WEB_EVENTS_SCHEMA, "mapping": mapping},
    }


def _page_view(view: str) -> dict[str, Any]:
    return _beacon(
        ("eventType", "web.webpagedetails.pageViews"),
        ("web.webPageDetails.pageViews.value", 1),
        ("web.webPageDetails.siteSection", "%site section%"),
        ("web.webPageDetails.viewName", view),
        ("_demo.pageCategory", "%page category%"),
        ("_demo.campaign.name", "%campaign%"),
        ("_demo.tagVersion", "%tag version%"),
    )


def document(public_url: str, inlet_id: str) -> dict[str, Any]:
    """The demo property's document (collector URL: where the demo page is served)."""
    return {
        "extension": {
            "collectorUrl": public_url.rstrip("/"),
            "inletId": inlet_id,
            "orgId": seed.DEMO_ORG,
            "datasetId": seed.WEB_EVENTS,
            "defaultConsent": "in",
            "flushIntervalMs": 500,
        },
        "dataElements": {
            "site section": {"type": "dataElements/constant", "settings": {"value": "demo shop"}},
            "tag version": {"type": "dataElements/constant", "settings": {"value": "demo-1"}},
            "page path": {"type": "dataElements/pageInfo", "settings": {"attribute": "path"}},
            "page category": {
                "type": "dataElements/jsVariable",
                "settings": {"path": "demoShop.category"},
                "default": "home",
            },
            "campaign": {"type": "dataElements/queryParameter", "settings": {"name": "cid"}},
        },
        "rules": [
            {
                "name": "page view",
                "events": [{"type": "events/windowLoaded", "settings": {}}],
                "actions": [_page_view("%page path%")],
            },
            {
                "name": "add to cart",
                "events": [
                    {"type": "events/click", "settings": {"selector": "button.add-to-cart"}}
                ],
                "actions": [
                    _beacon(
                        ("eventType", "commerce.productListAdds"),
                        ("commerce.productListAdds.value", 1),
                        ("productListItems[0].SKU", "%event.element.dataset.sku%"),
                        ("productListItems[0].name", "%event.element.dataset.name%"),
                        ("productListItems[0].quantity", 1),
                        ("productListItems[0].productAddMethod", "product card"),
                    )
                ],
            },
            {
                "name": "search",
                "events": [
                    {"type": "events/customEvent", "settings": {"eventName": "demo:search"}}
                ],
                "actions": [
                    _beacon(
                        ("eventType", "web.formFilledOut"),
                        ("web.webInteraction.name", "search"),
                        ("web.webInteraction.type", "other"),
                        ("_demo.searchTerm", "%event.detail.term%"),
                    )
                ],
            },
            {
                "name": "newsletter",
                "events": [{"type": "events/directCall", "settings": {"name": "newsletter"}}],
                "actions": [
                    {
                        "type": "actions/setIdentity",
                        "settings": {
                            "namespace": "Email",
                            "id": "%event.detail.email%",
                            "authenticatedState": "authenticated",
                        },
                    },
                    _beacon(
                        ("eventType", "web.formFilledOut"),
                        ("web.webInteraction.name", "newsletter sign-up"),
                        ("web.webInteraction.type", "other"),
                        ("_demo.loggedIn", False),
                    ),
                ],
            },
            {
                "name": "virtual page view",
                "events": [{"type": "events/historyChange", "settings": {}}],
                "actions": [_page_view("%event.detail.url%")],
            },
        ],
    }


def ensure_demo_property(properties: Properties) -> Property | None:
    """Create and publish the demo property when the demo inlet exists and it does not yet.

    Returns the property when it was just made.
    """
    inlet = seed.demo_inlet(properties.control)
    if inlet is None or properties.store.property(DEMO_PROPERTY):
        return None
    try:
        prop = properties.create(
            org_id=seed.DEMO_ORG,
            name=DEMO_PROPERTY_NAME,
            document=document(properties.public_url, inlet.id),
            property_id=DEMO_PROPERTY,
        )
    except (PropertyError, sqlite3.IntegrityError):
        if properties.store.property(DEMO_PROPERTY) is not None:  # another worker made it
            return None
        raise
    # One build, taken through the whole flow: every environment serves the same bytes.
    actor = "seed:demo"
    build = properties.build(prop.id, actor=actor, note="the demo property")
    for step in ("submit", "approve", "promote"):
        properties.step(prop.id, build.number, step, actor=actor)
    return prop


def open_tag_store(settings: Settings, control: ControlPlane, registry: SchemaRegistry) -> TagStore:
    """The app's tag store (lifespan); seeds the demo property first when settings say so."""
    store = TagStore(settings.control_db_path)
    if settings.seed_demo:
        manifest = Manifest(settings.tag_extension_dir)
        properties = Properties(store, control, registry, manifest, public_url=settings.public_url)
        ensure_demo_property(properties)
    return store
