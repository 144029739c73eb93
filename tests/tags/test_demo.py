"""The demo property: seeded with the demo org, published everywhere, and its beacons valid."""

from __future__ import annotations

import gzip
from pathlib import Path

from collector.control import seed
from collector.schemas.registry import SchemaRegistry
from collector.tags.demo import DEMO_PROPERTY, ensure_demo_property
from collector.tags.properties import Properties
from collector.tags.property import ENVIRONMENTS
from tests.demo import INLET
from tests.tags.conftest import run_in_node


def test_seeded_once_and_published_to_every_environment(props: Properties) -> None:
    made = ensure_demo_property(props)
    assert made is not None and made.id == DEMO_PROPERTY
    assert ensure_demo_property(props) is None
    assert [p.id for p in props.store.properties()] == [DEMO_PROPERTY]
    for environment in ENVIRONMENTS:
        library = props.store.latest(DEMO_PROPERTY, environment)
        assert library is not None and library.version == 1
        assert gzip.decompress(library.gzip).decode() == library.text
    extension = made.extension
    assert extension["collectorUrl"] == props.public_url
    assert (extension["inletId"], extension["orgId"], extension["datasetId"]) == (
        INLET,
        seed.DEMO_ORG,
        seed.WEB_EVENTS,
    )


def test_demo_library_size(props: Properties) -> None:
    ensure_demo_property(props)
    library = props.store.latest(DEMO_PROPERTY, "production")
    assert library is not None
    print(f"\ndemo library: {len(library.text)} bytes minified, {len(library.gzip)} gzipped")
    assert len(library.gzip) <= 8192
    # Only the modules the property uses: no time-on-page event, no cookie condition.
    assert 'M["events/timeOnPage"]' not in library.text
    assert 'M["conditions/cookie"]' not in library.text
    assert 'M["events/historyChange"]' in library.text


def test_every_demo_beacon_is_valid_web_events(
    props: Properties, registry: SchemaRegistry, tmp_path: Path
) -> None:
    ensure_demo_property(props)
    library = props.store.latest(DEMO_PROPERTY, "development")
    assert library is not None
    result = run_in_node(library.text, tmp_path)
    assert result["warnings"] == []
    assert result["rules"] == [
        "page view",
        "add to cart",
        "search",
        "newsletter",
        "virtual page view",
    ]
    sent = [m for batch in result["requests"] for m in batch]
    assert len(sent) == 5
    kinds = [m["body"]["xdmEntity"]["eventType"] for m in sent]
    assert kinds == [
        "web.webpagedetails.pageViews",
        "commerce.productListAdds",
        "web.formFilledOut",
        "web.formFilledOut",
        "web.webpagedetails.pageViews",
    ]
    for message in sent:
        assert message["header"]["datasetId"] == seed.WEB_EVENTS
        assert registry.validate(seed.WEB_EVENTS_SCHEMA, message["body"]["xdmEntity"]) == []
    page, cart, search, newsletter, virtual = (m["body"]["xdmEntity"] for m in sent)
    assert page["web"]["webPageDetails"]["URL"] == "http://127.0.0.1:8000/?cid=spring"
    assert page["_demo"] == {
        "pageCategory": "shoes",
        "campaign": {"name": "spring"},
        "tagVersion": "demo-1",
    }
    assert page["environment"]["browserDetails"]["userAgent"] == "FakeBrowser/1.0"
    assert cart["productListItems"] == [
        {"SKU": "SKU-1", "name": "Red shoes", "quantity": 1, "productAddMethod": "product card"}
    ]
    assert search["_demo"]["searchTerm"] == "boots"
    assert newsletter["identityMap"]["Email"] == [
        {"id": "ada@example.com", "authenticatedState": "authenticated"}
    ]
    assert virtual["web"]["webPageDetails"]["viewName"] == "http://127.0.0.1:8000/shoes"
    device = page["identityMap"]["ECID"][0]
    assert device["primary"] is True and len(device["id"]) == 38
