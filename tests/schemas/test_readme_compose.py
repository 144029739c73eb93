"""The README's "Compose a dataset schema" block works as written against a running demo
server, and the server validates against the new schema without a restart."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import CT
from tests.server import LiveServer

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SCHEMA = "https://example.com/schemas/checkout"


def compose_block() -> str:
    text = (REPO / "README.md").read_text()
    section = text.split("## Compose a dataset schema", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the section has one shell block"
    return str(blocks[0])


def collector(script: str) -> str:
    if (REPO / ".venv" / "bin" / "collector").exists():
        return script
    return script.replace(".venv/bin/collector", str(Path(sys.executable).parent / "collector"))


def message(dataset_id: str, **entity: object) -> dict[str, object]:
    ref = {"id": SCHEMA, "contentType": CT}
    return {
        "header": {"schemaRef": ref, "imsOrgId": "DEMO@AdobeOrg", "datasetId": dataset_id},
        "body": {
            "xdmMeta": {"schemaRef": ref},
            "xdmEntity": {"_id": "order-1", "timestamp": "2026-12-06T10:00:00Z", **entity},
        },
    }


def test_the_readme_compose_block_works_against_a_running_server(tmp_path: Path) -> None:
    script = compose_block()
    assert "--org DEMO@AdobeOrg" in script and "restart" not in script
    bundled = sorted(p.name for p in (REPO / "collector").rglob("*.schema.json"))
    with LiveServer(tmp_path / "data") as live:
        env = {**os.environ, "COLLECTOR_DATA_DIR": str(live.data_dir)}
        env.pop("COLLECTOR_SCHEMAS_DIR", None)
        run = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", collector(script)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr
        listed = subprocess.run(
            [*collector(".venv/bin/collector").split(), "datasets", "list", "--json"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        dataset = next(d for d in json.loads(listed.stdout) if d["schema_id"] == SCHEMA)
        url = f"{live.base_url}/collection/{live.inlet_id}?syncValidation=true"
        good = httpx.post(url, json=message(dataset["id"]), timeout=30)
        assert good.status_code == 200, good.text
        assert good.json()["syncValidation"] == {"status": "pass"}
        # A field of web-events that the checkout schema does not declare: refused by it.
        other = message(dataset["id"], web={"webPageDetails": {"name": "home"}})
        bad = httpx.post(url, json=other, timeout=30)
        assert bad.status_code == 400, bad.text
        assert "web" in bad.text
    tenant_files = list((live.data_dir / "schemas").rglob("*.schema.json"))
    assert len(tenant_files) == 1
    assert json.loads(tenant_files[0].read_text())["$id"] == SCHEMA
    # Nothing was written into the package's own schemas.
    assert sorted(p.name for p in (REPO / "collector").rglob("*.schema.json")) == bundled
