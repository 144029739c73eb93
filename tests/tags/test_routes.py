"""Serving: ``GET /tags/<propertyId>/<environment>.js``, the demo page and static assets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from collector.app import create_app
from collector.control.settings import Settings
from collector.tags.demo import DEMO_PROPERTY
from collector.tags.properties import Properties

URL = f"/tags/{DEMO_PROPERTY}/production.js"


@pytest.fixture
def app_client(tag_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(tag_settings)) as client:
        yield client


def test_serves_the_latest_library_plain_or_gzipped(app_client: TestClient) -> None:
    store = app_client.app.state.tags  # type: ignore[attr-defined]
    library = store.latest(DEMO_PROPERTY, "production")
    plain = app_client.get(URL, headers={"accept-encoding": "identity"})
    assert plain.status_code == 200
    assert plain.headers["content-type"] == "application/javascript; charset=utf-8"
    assert "content-encoding" not in plain.headers
    assert plain.text == library.text
    assert plain.headers["etag"] == f'"{library.content_hash}"'
    assert plain.headers["vary"] == "Accept-Encoding"
    assert plain.headers["cache-control"] == "public, max-age=300"
    zipped = app_client.get(URL, headers={"accept-encoding": "br, gzip;q=0.8"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["etag"] == f'"{library.content_hash}-gz"'
    assert int(zipped.headers["content-length"]) == len(library.gzip)
    assert zipped.text == library.text  # httpx decoded it
    refused = app_client.get(URL, headers={"accept-encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in refused.headers


def test_every_environment_serves_the_same_build(app_client: TestClient) -> None:
    tags = {
        env: app_client.get(f"/tags/{DEMO_PROPERTY}/{env}.js").headers["etag"]
        for env in ("development", "staging", "production")
    }
    assert len(set(tags.values())) == 1, tags


def test_cache_control_per_environment(app_client: TestClient) -> None:
    expected = {
        "development": "no-cache",
        "staging": "public, max-age=60",
        "production": "public, max-age=300",
    }
    for environment, cache_control in expected.items():
        response = app_client.get(f"/tags/{DEMO_PROPERTY}/{environment}.js")
        assert response.status_code == 200
        assert response.headers["cache-control"] == cache_control
        assert f"| {DEMO_PROPERTY} */" in response.text[:120]


def test_if_none_match_answers_304(app_client: TestClient) -> None:
    etag = app_client.get(URL, headers={"accept-encoding": "gzip"}).headers["etag"]
    for header in (etag, f'"other", W/{etag}', "*", etag.replace("-gz", "")):
        response = app_client.get(URL, headers={"if-none-match": header})
        assert response.status_code == 304, header
        assert response.content == b""
        assert response.headers["etag"] and response.headers["cache-control"]
    assert app_client.get(URL, headers={"if-none-match": '"stale"'}).status_code == 200


def test_a_new_version_is_served_at_once_with_a_new_etag(
    app_client: TestClient, tag_settings: Settings
) -> None:
    before = app_client.get(URL).headers["etag"]
    with Properties.open(tag_settings) as props:
        document = props.export(DEMO_PROPERTY)
        document["rules"] = document["rules"][:1]
        props.import_document(document)
        library = props.publish(DEMO_PROPERTY, "production")
    response = app_client.get(URL, headers={"if-none-match": before})
    assert response.status_code == 200
    assert response.headers["etag"] != before
    assert library.version == 2
    assert 'M["events/click"]' not in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/tags/PR00000000000000000000000000000000/production.js",
        f"/tags/{DEMO_PROPERTY}/prod.js",
        f"/tags/{DEMO_PROPERTY}/production.json",
    ],
)
def test_unknown_property_or_environment_is_a_404_problem(
    app_client: TestClient, path: str
) -> None:
    response = app_client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Not found"


def test_nothing_published_is_a_404(app_client: TestClient, tag_settings: Settings) -> None:
    with Properties.open(tag_settings) as props:
        prop = props.create(org_id="DEMO@AdobeOrg", name="unpublished")
    response = app_client.get(f"/tags/{prop.id}/development.js")
    assert response.status_code == 404
    assert "no library published" in response.json()["report"]["message"]


def test_head_has_the_headers_and_no_body(app_client: TestClient) -> None:
    response = app_client.head(URL, headers={"accept-encoding": "gzip"})
    assert response.status_code == 200 and response.content == b""
    assert response.headers["etag"].endswith('-gz"')


def test_the_demo_page_and_its_assets(app_client: TestClient) -> None:
    page = app_client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert f"/tags/{DEMO_PROPERTY}/development.js" in page.text
    snippet = (Path(__file__).resolve().parents[2] / "tag_extension" / "snippet.js").read_text()
    assert snippet.strip() in page.text
    for asset in ("/static/demo/demo.css", "/static/demo/demo.js"):
        assert asset in page.text
        assert app_client.get(asset).status_code == 200
    assert app_client.get("/static/demo/nope.js").status_code == 404


def test_without_a_demo_page_the_root_is_a_404(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d", static_dir=tmp_path / "empty", run_projector=False)
    with TestClient(create_app(settings)) as client:
        assert client.get("/").status_code == 404
        assert client.get("/static/x.js").status_code == 404
