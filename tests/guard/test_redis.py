"""Shared rate limits: two ``collector serve`` processes, one Redis, one budget."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from collector.control import seed
from collector.control.plane import ControlPlane
from tests.conftest import INLET, web_event
from tests.server import LiveServer, free_port

pytestmark = [pytest.mark.slow, pytest.mark.redis]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private redis-server on a free loopback port, in a tmp dir, stopped afterwards."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        pytest.fail("redis-server is missing: `make system-deps` installs Debian's package")
    workdir = tmp_path_factory.mktemp("redis")
    port = free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(workdir),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ],
        stdout=(workdir / "redis.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None:
                    pytest.fail((workdir / "redis.log").read_text())
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def seeded(data_dir: Path, **limits: int) -> Path:
    """A data dir with the demo seeded and the demo inlet's limits set."""
    control = ControlPlane(data_dir / "control.db")
    seed.ensure_demo(control, public_url="http://127.0.0.1", inlet_id=INLET)
    control.set_inlet_limits(INLET, dict(limits))
    control.close()
    return data_dir


def post(base_url: str, query: str = "") -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(
        f"{base_url}/collection/{INLET}{query}",
        data=json.dumps(web_event()).encode(),
        headers={"content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as err:
        body = json.loads(err.read())
        assert body["status"] == err.code
        return err.code, {k.lower(): v for k, v in err.headers.items()}


def test_two_processes_share_one_budget(redis_url: str, tmp_path: Path) -> None:
    env = {"COLLECTOR_RATE_LIMIT_STORAGE": redis_url}
    # Two "machines": each its own data dir (and lake), the same inlet, the same Redis.
    one_dir = seeded(tmp_path / "one" / "data", sync_per_minute=6)
    two_dir = seeded(tmp_path / "two" / "data", sync_per_minute=6)
    with LiveServer(one_dir, env=env) as one, LiveServer(two_dir, env=env) as two:
        results = []
        for _ in range(5):
            for server in (one, two):
                status, headers = post(server.base_url, "?syncValidation=true")
                results.append((server, status, headers))
    statuses = [status for _, status, _ in results]
    assert statuses.count(200) == 6, statuses
    assert statuses.count(429) == 4, statuses
    # Each process took only 3 of the 6: it refused because of the other's requests.
    for server in (one, two):
        mine = [status for s, status, _ in results if s is server]
        assert mine.count(200) == 3 and mine.count(429) == 2, mine
    for _, status, headers in results:
        if status == 429:
            assert 1 <= int(headers["retry-after"]) <= 60
            assert headers["ratelimit-limit"] == "6"
    client = redis.Redis.from_url(redis_url)
    keys = [k.decode() for k in client.keys("*")]  # type: ignore[union-attr]
    client.close()
    assert any("xdmc-sync" in k and INLET in k for k in keys), keys
