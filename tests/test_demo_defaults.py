"""``collector serve`` seeds nothing; ``--demo`` seeds a demo with a random inlet id, and the
README's first message works as written against it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from collector.cli.serve import demo_warning
from collector.control import seed
from collector.control.plane import ControlPlane
from collector.tags.demo import DEMO_PROPERTY
from collector.tags.store import TagStore
from tests.server import LiveServer

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
HEX64 = re.compile(r"[0-9a-f]{64}")


def first_message_commands() -> str:
    """The shell block of the README's "Your first message in a minute" section."""
    text = README.read_text()
    section = text.split("## Your first message in a minute", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the section has one shell block"
    return str(blocks[0])


def test_readme_first_message_works_as_written_after_make_serve(tmp_path: Path) -> None:
    assert (
        "$(BIN)/collector serve --demo --host 127.0.0.1 --port 8000"
        in (REPO / "Makefile").read_text()
    )
    commands = first_message_commands()
    assert "http://127.0.0.1:8000" in commands and ".venv/bin/collector" in commands
    # As written, except for this server's port and data dir (8000 may be taken on the machine).
    live = LiveServer(tmp_path / "data", inlet_id=None)
    script = commands.replace("http://127.0.0.1:8000", live.base_url)
    if not (REPO / ".venv" / "bin" / "collector").exists():
        script = script.replace(
            ".venv/bin/collector", str(Path(sys.executable).parent / "collector")
        )
    with live:
        out = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=REPO,
            env={**os.environ, "COLLECTOR_DATA_DIR": str(live.data_dir)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        answer = json.loads(out.stdout)
        log = live.log()
    inlet_id = live.inlet_id
    assert inlet_id is not None and HEX64.fullmatch(inlet_id)
    assert inlet_id != "c011ec70" * 8  # no longer a well-known id
    assert f"Demo inlet id: {inlet_id}" in log
    assert f"{live.base_url}/collection/{inlet_id}" in log
    assert "warning" not in log.lower()  # bound to loopback
    assert answer["inletId"] == inlet_id and answer["syncValidation"] == {"status": "pass"}
    lake = list((live.data_dir / "lake" / seed.WEB_EVENTS).rglob("*"))
    assert any(p.is_file() and answer["xactionId"].encode() in p.read_bytes() for p in lake)


def test_serve_without_demo_seeds_nothing(tmp_path: Path) -> None:
    with LiveServer(tmp_path / "data", demo=False) as live:
        url = f"{live.base_url}/collection/{'ab' * 32}"
        request = urllib.request.Request(url, data=b"{}", method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 404
        demo_page = urllib.request.urlopen(live.base_url + "/", timeout=5)
        assert demo_page.status == 200  # the page is static; it just has no inlet to send to
        log = live.log()
    control = ControlPlane(live.data_dir / "control.db")
    try:
        assert control.orgs() == [] and control.inlets() == [] and control.datasets() == []
        assert seed.demo_inlet(control) is None
    finally:
        control.close()
    store = TagStore(live.data_dir / "control.db")
    try:
        assert store.property(DEMO_PROPERTY) is None
    finally:
        store.close()
    assert "No inlets yet" in log and "Demo inlet id" not in log


def test_each_demo_gets_its_own_random_inlet_id(tmp_path: Path) -> None:
    ids = set()
    for name in ("a", "b"):
        control = ControlPlane(tmp_path / name / "control.db")
        try:
            demo = seed.ensure_demo(control, public_url="http://127.0.0.1:8000")
            assert demo is not None
            assert seed.ensure_demo(control, public_url="http://127.0.0.1:8000") is None
            assert seed.demo_inlet(control) == demo.inlet
            assert demo.inlet.allowed_origins == ("http://127.0.0.1:8000",)
        finally:
            control.close()
        found = seed.demo_inlet_id(tmp_path / name / "control.db")
        assert found == demo.inlet.id and HEX64.fullmatch(found)
        ids.add(found)
    assert len(ids) == 2


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("https://Collector.Example.com:443/ingest/", "https://collector.example.com"),
        ("http://[::1]:8080", "http://[::1]:8080"),
    ],
)
def test_the_demo_inlet_allows_the_origin_of_the_public_url(url: str, origin: str) -> None:
    assert seed.origin_of(url) == origin


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_no_warning_on_loopback(host: str) -> None:
    assert demo_warning(host) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "collector.example.com"])
def test_a_demo_on_another_address_is_warned_about(host: str) -> None:
    warning = demo_warning(host)
    assert warning is not None and host in warning and "unauthenticated" in warning
