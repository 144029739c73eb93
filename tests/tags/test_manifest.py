"""The tag extension: manifest, module files, settings schemas, build recipe and size budget."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import rjsmin

from collector.tags.manifest import Manifest
from collector.tags.recipe import Recipe

EXT = Path(__file__).resolve().parents[2] / "tag_extension"
KINDS = ("events", "conditions", "dataElements", "actions")
BUDGET = 8192  # bytes, minified (rjsmin) and gzipped


def _load(name: str) -> Any:
    return json.loads((EXT / name).read_text(encoding="utf-8"))


MANIFEST = _load("extension.json")
EXAMPLE = _load("examples/all-types.json")
TYPES = {f"{kind}/{t['name']}": t for kind in KINDS for t in MANIFEST[kind]}


RECIPE = Recipe(Manifest(EXT))


def library(config: dict[str, Any], paths: list[str]) -> str:
    """The build recipe of README.md, as the Python publisher follows it."""
    return RECIPE.text(config, paths)


def _all_paths() -> list[str]:
    return [t["libPath"] for t in TYPES.values()]


def _minified_full() -> bytes:
    minified: str = rjsmin.jsmin(library(EXAMPLE, _all_paths()))
    return minified.encode()


def test_every_type_names_its_module_and_registers_under_its_key() -> None:
    assert (EXT / MANIFEST["main"]).is_file()
    for key, t in TYPES.items():
        assert set(t) == {"name", "displayName", "libPath", "schema"}, key
        assert t["libPath"] == f"src/{key}.js"
        source = (EXT / t["libPath"]).read_text(encoding="utf-8")
        assert re.findall(r'^M\["([^"]+)"\] =', source, re.M) == [key]
    listed = {t["libPath"] for t in TYPES.values()} | {MANIFEST["main"]}
    on_disk = {p.relative_to(EXT).as_posix() for p in (EXT / "src").rglob("*.js")}
    assert on_disk == listed


@pytest.mark.parametrize("key", sorted(TYPES))
def test_settings_schema_is_valid_draft_2020_12(key: str) -> None:
    schema = TYPES[key]["schema"]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False


def test_configuration_and_library_schemas_are_valid() -> None:
    jsonschema.Draft202012Validator.check_schema(MANIFEST["configuration"]["schema"])
    jsonschema.Draft202012Validator.check_schema(_load("library.schema.json"))
    names = set(MANIFEST["configuration"]["schema"]["properties"])
    assert {"collectorUrl", "inletId", "orgId", "datasetId", "defaultConsent"} <= names
    queue = {"maxQueue", "batchSize", "flushIntervalMs", "maxAttempts", "maxAgeHours"}
    assert {"cookieDomain", "cookieLifetimeDays"} | queue <= names


def _components(config: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(config["dataElements"].values())
    for rule in config["rules"]:
        for kind in ("events", "conditions", "actions"):
            found.extend(rule.get(kind, []))
    return found


def test_the_example_configuration_is_valid_and_uses_every_type() -> None:
    check = jsonschema.Draft202012Validator
    check(_load("library.schema.json")).validate(EXAMPLE)
    check(MANIFEST["configuration"]["schema"]).validate(EXAMPLE["extension"])
    for c in _components(EXAMPLE):
        check(TYPES[c["type"]]["schema"]).validate(c["settings"])
    assert {c["type"] for c in _components(EXAMPLE)} == set(TYPES)


def test_a_schema_rejects_bad_settings() -> None:
    validator = jsonschema.Draft202012Validator(TYPES["actions/sendBeacon"]["schema"])
    schema_id = "https://ns.example.com/s"

    def row(path: str) -> dict[str, Any]:
        return {"schemaId": schema_id, "mapping": [{"path": path, "value": 1}]}

    assert validator.is_valid(row("identityMap.Email[0].id"))
    assert not validator.is_valid(row("a..b"))
    assert not validator.is_valid(row("%x%"))
    assert not validator.is_valid({"mapping": []})
    assert not validator.is_valid({"schemaId": schema_id, "extra": True})


def test_full_runtime_fits_the_size_budget() -> None:
    minified = _minified_full()
    size = len(gzip.compress(minified, compresslevel=9))
    print(f"\nfull runtime: {len(minified)} bytes minified, {size} bytes gzipped (budget {BUDGET})")
    assert size <= BUDGET


def test_node_build_follows_the_same_recipe(tmp_path: Path) -> None:
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(EXAMPLE), encoding="utf-8")
    built = subprocess.run(
        ["node", str(EXT / "build.mjs"), str(config_file)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert built == library(EXAMPLE, _all_paths())


def test_the_minified_library_runs_a_page_visit(tmp_path: Path) -> None:
    lib = tmp_path / "library.min.js"
    lib.write_bytes(_minified_full())
    out = subprocess.run(
        ["node", str(EXT / "tests" / "scenario.mjs"), str(lib)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    result = json.loads(out)
    assert result["warnings"] == []
    inlet = EXAMPLE["extension"]["inletId"]
    assert result["urls"] == [f"http://127.0.0.1:8000/collection/batch/{inlet}"]
    kinds = [m["body"]["xdmEntity"].get("eventType", "profile") for m in result["messages"]]
    assert kinds == [
        "web.webpagedetails.pageViews",
        "commerce.productListAdds",
        "profile",
        "web.webpagedetails.pageViews",
        "web.engagement",
        "web.engagement",
        "web.engagement",
    ]


def test_readme_documents_the_snippet_and_every_type() -> None:
    readme = (EXT / "README.md").read_text(encoding="utf-8")
    assert (EXT / "snippet.js").read_text(encoding="utf-8") in readme
    for key in TYPES:
        assert f"`{key}`" in readme, key
