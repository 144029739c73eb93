"""The one form renderer against the real manifest's schemas: fields from a schema, form data
back to JSON, and messages placed on the field they concern."""

from __future__ import annotations

from typing import Any

import pytest

from collector.console import forms
from collector.control.settings import Settings
from collector.tags.manifest import Manifest


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    return Manifest(Settings().tag_extension_dir)


def _config(manifest: Manifest) -> dict[str, object]:
    schema: dict[str, object] = manifest.document["configuration"]["schema"]
    return schema


def _schema(manifest: Manifest, key: str) -> dict[str, Any]:
    kind, name = key.split("/")
    found: dict[str, Any] = next(e for e in manifest.document[kind] if e["name"] == name)
    return dict(found["schema"])


def test_every_type_in_the_manifest_gets_labelled_fields_of_a_known_kind(
    manifest: Manifest,
) -> None:
    schemas = [manifest.document["configuration"]["schema"]]
    for kind in ("events", "conditions", "dataElements", "actions"):
        schemas += [entry["schema"] for entry in manifest.document[kind]]
    for schema in schemas:
        found = forms.fields(schema)
        assert [f.key for f in found] == list(schema.get("properties", {}))
        for field in found:
            assert field.kind in forms.KINDS and field.label


def test_the_configuration_schema_maps_to_fitting_controls(manifest: Manifest) -> None:
    by_key = {f.key: f for f in forms.fields(_config(manifest), {"debug": True}, prefix="ext.")}
    assert by_key["collectorUrl"].kind == "url" and by_key["collectorUrl"].required
    assert by_key["cookieLifetimeDays"].kind == "integer"
    assert by_key["cookieLifetimeDays"].hint == "From 1 to 3650. Empty means 390."
    assert by_key["defaultConsent"].kind == "select"
    assert by_key["defaultConsent"].options == ("in", "out", "pending")
    assert by_key["debug"].kind == "checkbox" and by_key["debug"].value == "on"
    assert by_key["debug"].name == "ext.debug" and by_key["debug"].id == "f-ext-debug"
    assert not by_key["cookieDomain"].required


def test_form_data_becomes_typed_json_that_passes_the_schema(manifest: Manifest) -> None:
    form = {
        "ext.collectorUrl": "https://collect.example.com",
        "ext.inletId": "7e57" * 16,
        "ext.orgId": "DEMO@AdobeOrg",
        "ext.cookieLifetimeDays": "30",
        "ext.defaultConsent": "pending",
        "ext.cookieDomain": "",
        "ext.debug.present": "1",
    }
    value, errors = forms.parse(_config(manifest), form, "ext.")
    assert errors == {}
    assert value == {
        "collectorUrl": "https://collect.example.com",
        "inletId": "7e57" * 16,
        "orgId": "DEMO@AdobeOrg",
        "cookieLifetimeDays": 30,
        "defaultConsent": "pending",
    }  # an unchecked box whose default is false is left out


def test_each_problem_is_reported_on_its_own_field(manifest: Manifest) -> None:
    form = {
        "ext.collectorUrl": "not a url",
        "ext.inletId": "short",
        "ext.cookieLifetimeDays": "ninety",
        "ext.maxQueue": "5000",
        "ext.defaultConsent": "maybe",
    }
    _, errors = forms.parse(_config(manifest), form, "ext.")
    assert errors == {
        "collectorUrl": "Enter a full URL, such as https://collect.example.com.",
        "inletId": "Not in the expected form (pattern ^[0-9a-f]{64}$).",
        "orgId": "Required.",
        "cookieLifetimeDays": "Enter a whole number.",
        "maxQueue": "Must be at most 1000.",
        "defaultConsent": "Choose one of: in, out, pending.",
    }
    drawn = {f.key: f.error for f in forms.fields(_config(manifest), {}, errors)}
    assert drawn["maxQueue"] == "Must be at most 1000."


def test_lines_numbers_and_any_json_values(manifest: Manifest) -> None:
    path = _schema(manifest, "conditions/path")
    value, errors = forms.parse(path, {"patterns": "/shop/*\n\n /cart \n", "syntax": "glob"})
    assert errors == {} and value == {"patterns": ["/shop/*", "/cart"], "syntax": "glob"}
    _, errors = forms.parse(path, {"patterns": "\n"})
    assert errors == {"patterns": "Required."}
    sampling = _schema(manifest, "conditions/sampling")
    assert forms.parse(sampling, {"percentage": "12.5"}) == ({"percentage": 12.5}, {})
    assert forms.parse(sampling, {"percentage": "101"})[1] == {"percentage": "Must be at most 100."}
    constant = _schema(manifest, "dataElements/constant")
    assert forms.parse(constant, {"value": '{"a": [1]}'})[0] == {"value": {"a": [1]}}
    assert forms.parse(constant, {"value": "plain words"})[0] == {"value": "plain words"}
    compare = _schema(manifest, "conditions/queryParameter")
    assert forms.parse(compare, {"name": "q", "value": "42"})[0] == {"name": "q", "value": 42}
    assert forms.parse(compare, {"name": "q", "value": "[1]"})[0] == {"name": "q", "value": "[1]"}
