"""collector/tags/builds.py: builds, the path to production, history, diff and rollback."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner, Result
from starlette.testclient import TestClient

from collector.app import create_app
from collector.cli import main
from collector.control import audit, seed
from collector.control.settings import Settings
from collector.tags.properties import Properties
from collector.tags.property import PropertyError
from tests.tags.conftest import beacon_rule

EDITOR, APPROVER = "user:ed@example.com", "user:ann@example.com"


def _make(props: Properties) -> str:
    rule = beacon_rule("go", ("eventType", "x"))
    return props.create(org_id=seed.DEMO_ORG, name="shop", document={"rules": [rule]}).id


def test_a_build_travels_to_production_unchanged(props: Properties) -> None:
    prop = _make(props)
    build = props.build(prop, actor=EDITOR, note="first")
    assert build.number == 1
    served = props.store.latest(prop, "development")
    assert served is not None and served.content_hash == build.content_hash
    assert props.store.latest(prop, "staging") is None
    props.step(prop, 1, "submit", actor=EDITOR)
    props.step(prop, 1, "approve", actor=APPROVER)
    props.step(prop, 1, "promote", actor=APPROVER)
    for env in ("development", "staging", "production"):
        served = props.store.latest(prop, env)
        assert served is not None and served.version == 1
        assert served.text == build.text and served.gzip == build.gzip
    assert props.store.builds.status(prop, 1) == "production"
    actions = [(d.action, d.environment, d.actor) for d in props.store.builds.history(prop)]
    assert actions == [
        ("build", "development", EDITOR),
        ("submit", "staging", EDITOR),
        ("approve", None, APPROVER),
        ("promote", "production", APPROVER),
    ]
    logged = [e.action for e in audit.entries(props.store.db.conn, object_id=prop)]
    assert logged == ["property.build", "property.submit", "property.approve", "property.promote"]


@pytest.mark.parametrize(
    ("steps", "refused", "says"),
    [
        ([], "approve", "only a submitted build can approve"),
        ([], "promote", "only a approved build can promote"),
        (["submit"], "promote", "only a approved build can promote"),
        (["submit"], "submit", "submitted already"),
        (["submit", "reject"], "approve", "only a submitted build can approve"),
        ([], "rollback", "never in production"),
    ],
)
def test_steps_out_of_order_are_refused(
    props: Properties, steps: list[str], refused: str, says: str
) -> None:
    prop = _make(props)
    props.build(prop, actor=EDITOR)
    for step in steps:
        props.step(prop, 1, step, actor=APPROVER)
    with pytest.raises(PropertyError, match=says):
        props.step(prop, 1, refused, actor=APPROVER)


def test_only_the_newest_build_is_submitted(props: Properties) -> None:
    prop = _make(props)
    props.build(prop, actor=EDITOR)
    props.build(prop, actor=EDITOR)
    with pytest.raises(PropertyError, match=r"only the newest build \(2\)"):
        props.step(prop, 1, "submit", actor=EDITOR)
    with pytest.raises(PropertyError, match="has no build 9"):
        props.step(prop, 9, "submit", actor=EDITOR)


def _to_production(props: Properties, prop: str, number: int) -> None:
    for step in ("submit", "approve", "promote"):
        props.step(prop, number, step, actor=APPROVER)


def test_rollback_serves_the_earlier_production_build_again(
    props: Properties, tag_settings: Settings
) -> None:
    prop = _make(props)
    first = props.build(prop, actor=EDITOR)
    _to_production(props, prop, 1)
    document = props.export(prop)
    document["rules"].append(beacon_rule("more", ("eventType", "y")))
    props.import_document(document)
    second = props.build(prop, actor=EDITOR)
    _to_production(props, prop, 2)
    assert second.content_hash != first.content_hash
    with TestClient(create_app(tag_settings)) as client:
        url = f"/tags/{prop}/production.js"
        assert client.get(url).text == second.text
        props.step(prop, 1, "rollback", actor=APPROVER, note="bad rule")
        rolled = client.get(url)
        assert rolled.text == first.text
        assert rolled.headers["etag"] == f'"{first.content_hash}-gz"'
    with pytest.raises(PropertyError, match="serves build 1 already"):
        props.step(prop, 1, "rollback", actor=APPROVER)
    production = [(d.action, d.build) for d in props.store.builds.history(prop, "production")]
    assert production == [("promote", 1), ("promote", 2), ("rollback", 1)]


def test_diff_names_what_was_added_changed_and_removed(props: Properties) -> None:
    prop = _make(props)
    props.build(prop, actor=EDITOR)
    document = props.export(prop)
    document["rules"] = [beacon_rule("other", ("eventType", "z"))]
    document["dataElements"] = {
        "site": {"type": "dataElements/constant", "settings": {"value": "s"}}
    }
    props.import_document(document)
    props.build(prop, actor=EDITOR)
    changes = props.store.builds.diff(prop, 1, 2)
    assert [r["name"] for r in changes["rules"]["added"]] == ["other"]
    assert [r["name"] for r in changes["rules"]["removed"]] == ["go"]
    assert [d["name"] for d in changes["dataElements"]["added"]] == ["site"]
    assert changes["extension"] == {"added": [], "removed": [], "changed": []}


def test_the_cli_walks_the_flow(props: Properties, tag_settings: Settings) -> None:
    prop = _make(props)
    runner = CliRunner()
    base = ["--data-dir", str(tag_settings.data_dir)]

    def run(*args: str) -> Result:
        result = runner.invoke(main, ["properties", *args, *base])
        assert result.exit_code == 0, result.output
        return result

    made = json.loads(run("build", prop, "--note", "from the shell", "--json").output)
    assert made["build"] == 1 and made["note"] == "from the shell"
    for step in ("submit", "approve", "promote"):
        assert json.loads(run(step, prop, "1", "--json").output)["action"] == step
    listed: list[dict[str, Any]] = json.loads(run("builds", prop, "--json").output)
    assert listed[0]["status"] == "production"
    assert listed[0]["served_on"] == ["development", "staging", "production"]
    history = json.loads(run("history", prop, "--environment", "production", "--json").output)
    assert [h["action"] for h in history] == ["promote"]
    assert history[0]["actor"].startswith("cli:")
    refused = runner.invoke(main, ["properties", "rollback", prop, "1", *base])
    assert refused.exit_code != 0 and "serves build 1 already" in refused.output
