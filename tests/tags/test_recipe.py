"""The build recipe: the non-HTML Jinja2 environment, escaping, minification, compression."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import jinja2
import pytest

from collector.tags import recipe
from collector.tags.manifest import Manifest, ManifestError
from collector.tags.properties import Properties
from collector.tags.recipe import Recipe, tojson
from tests.tags.conftest import beacon_rule, run_in_node
from tests.tags.hostile import HOSTILE, RULES, hostile_library
from tests.tags.test_manifest import EXT


def test_tojson_escapes_what_could_close_a_script_or_end_a_line() -> None:
    text = tojson({"a</b>": "<!-- x & 'y' \u2028\u2029 -->"})
    for raw in "<>&'\u2028\u2029":
        assert raw not in text
    assert "\\u003c" in text and "\\u2028" in text
    assert json.loads(text) == {"a</b>": "<!-- x & 'y' \u2028\u2029 -->"}


def test_the_environment_refuses_values_that_skip_the_filters() -> None:
    env = recipe._environment()
    assert env.autoescape is False
    with pytest.raises(TypeError, match="raw value"):
        env.from_string("var x = {{ value }};").render(value="</script>")
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ missing | tojson }}").render()
    assert env.from_string("{{ v | tojson }}").render(v="<") == '"\\u003c"'
    with pytest.raises(ValueError, match="banner"):
        env.from_string("{{ b | comment }}").render(b="x */ alert(1) /*")


def test_the_text_follows_the_recipe(manifest: Manifest) -> None:
    config: dict[str, Any] = {"extension": {}, "rules": [beacon_rule("go", ("eventType", "x"))]}
    text = Recipe(manifest).text(config, banner="xdm-tag 1.0.0 | test")
    lines = text.split("\n")
    assert lines[:3] == ["/*! xdm-tag 1.0.0 | test */", "(function (window, C) {", '"use strict";']
    assert text.endswith(f"start(window, C);\n}})(window, {tojson(config)});\n")
    modules = ["src/actions/sendBeacon.js", "src/events/directCall.js"]
    assert manifest.paths_for(config) == modules
    assert manifest.source(modules) in text
    assert 'M["events/click"]' not in text


def test_an_unknown_type_is_an_error(manifest: Manifest) -> None:
    config = {"extension": {}, "dataElements": {"x": {"type": "dataElements/nope"}}}
    with pytest.raises(ManifestError, match="dataElements/nope"):
        manifest.paths_for(config)


def test_build_minifies_keeps_the_banner_gzips_and_hashes(manifest: Manifest) -> None:
    config: dict[str, Any] = {"extension": {}, "rules": [beacon_rule("go", ("eventType", "x"))]}
    r = Recipe(manifest)
    built = r.build(config, banner="xdm-tag 1.0.0 | test")
    assert built.text.startswith("/*! xdm-tag 1.0.0 | test */")
    assert len(built.text) < len(r.text(config)) * 0.8
    assert gzip.decompress(built.gzip).decode() == built.text
    assert built.content_hash == hashlib.sha256(built.text.encode()).hexdigest()
    assert r.build(config, banner="xdm-tag 1.0.0 | test") == built  # deterministic


def test_hostile_configuration_values_round_trip_and_cannot_break_out(
    props: Properties, tmp_path: Path
) -> None:
    library = hostile_library(props)
    text = library.text
    for value in HOSTILE:
        if any(c in value for c in "<>&'\u2028\u2029"):
            assert value not in text, value
    assert "</script" not in text.lower()
    assert "<!--" not in text and "\u2028" not in text and "\u2029" not in text
    result = run_in_node(text, tmp_path)  # node --check first, then run on the fake window
    assert result["warnings"] == []
    assert result["rules"] == RULES
    first, second = (b["body"]["xdmEntity"] for b in result["beacons"])
    assert library.problems(first, second) == []
    assert first["eventType"] == HOSTILE[10]


def test_proto_keys_are_emitted_as_own_properties_by_both_builds(tmp_path: Path) -> None:
    config = {
        "extension": {"inletId": "a" * 64},
        "dataElements": {"__proto__": {"type": "dataElements/constant", "settings": {"value": 1}}},
        "rules": [],
        "note": 'a string with ,"__proto__": inside',
    }
    text = tojson(config)
    assert '{"dataElements":' not in text  # key order kept: extension first
    assert ',"dataElements":{["__proto__"]:{' in text
    assert '\\"__proto__\\":' in text  # the one inside a string is left alone
    file = tmp_path / "config.json"
    file.write_text(json.dumps(config))
    node = subprocess.run(
        ["node", str(EXT / "build.mjs"), str(file)], check=True, capture_output=True, text=True
    ).stdout
    assert node.endswith(f"(window, {text});\n")
