"""The README's "Access and credentials" commands, run as written (bash, the collector CLI,
curl and jq) against a live collector; only the base URL is swapped for the test server's."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from collector.control import seed
from collector.control.settings import Settings
from collector.profile.projector import project_once
from tests.conftest import REPO, web_event
from tests.demo import INLET as DEMO_INLET
from tests.server import LiveServer

pytestmark = pytest.mark.slow
README_URL = "http://127.0.0.1:8000"


def _section_script() -> str:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Access and credentials", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match is not None, "the section has no sh block"
    return match.group(1)


def _jane() -> dict[str, Any]:
    message = web_event()
    ref = {"id": seed.PROFILE_SCHEMA, "contentType": message["header"]["schemaRef"]["contentType"]}
    message["header"]["schemaRef"] = ref
    message["header"]["datasetId"] = seed.PROFILES
    entity = {"personalEmail": {"address": "jane@example.com"}, "person": {"gender": "female"}}
    message["body"] = {"xdmMeta": {"schemaRef": ref}, "xdmEntity": entity}
    return message


def test_the_readme_commands_get_a_token_and_a_profile(tmp_path: Path) -> None:
    assert shutil.which("curl") and shutil.which("jq"), "make system-deps installs curl and jq"
    script = _section_script()
    assert README_URL in script and "collector credentials create" in script
    data_dir = tmp_path / "data"
    with LiveServer(data_dir) as live:
        assert httpx.post(f"{live.base_url}/collection/{DEMO_INLET}", json=_jane()).is_success
        project_once(Settings(data_dir=data_dir))
        work = tmp_path / "shell"
        (work / ".venv" / "bin").mkdir(parents=True)  # the README runs .venv/bin/collector
        (work / ".venv" / "bin" / "collector").symlink_to(Path(sys.executable).parent / "collector")
        env = {
            **os.environ,
            "COLLECTOR_DATA_DIR": str(data_dir),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        }
        run = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script.replace(README_URL, live.base_url)],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert run.returncode == 0, run.stderr
    [document] = json.loads(run.stdout).values()
    assert document["entity"]["person"] == {"gender": "female"}
    headers = (work / "aep-headers.txt").read_text()
    assert "Authorization: Bearer xdmat_" in headers
