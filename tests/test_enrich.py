"""Enrichment: transaction ids, IP policies, user-agent parsing behind a cache."""

from __future__ import annotations

from pathlib import Path

from collector.control.settings import Settings
from collector.ingest.enrich import ClientInfo, XactionIds

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def info(tmp_path: Path, policy: str, **kw: str) -> ClientInfo:
    return ClientInfo(Settings(data_dir=tmp_path, ip_policy=policy, **kw))  # type: ignore[arg-type]


def test_ip_policies(tmp_path: Path) -> None:
    assert info(tmp_path, "full").anonymise("203.0.113.77") == "203.0.113.77"
    assert info(tmp_path, "truncate").anonymise("203.0.113.77") == "203.0.113.0"
    assert info(tmp_path, "truncate").anonymise("2001:db8:1:2:3::9") == "2001:db8:1::"
    assert info(tmp_path, "truncate").anonymise("not-an-ip") is None
    assert info(tmp_path, "drop").anonymise("203.0.113.77") is None
    hashed = info(tmp_path, "hash").anonymise("203.0.113.77")
    assert hashed is not None and len(hashed) == 32 and int(hashed, 16) >= 0  # 128 hex bits
    assert info(tmp_path, "hash").anonymise("203.0.113.78") != hashed
    # the generated secret is kept: the same address hashes the same after a restart
    assert info(tmp_path, "hash").anonymise("203.0.113.77") == hashed
    assert info(tmp_path, "hash", ip_hash_secret="k").anonymise("203.0.113.77") != hashed


def test_user_agents(tmp_path: Path) -> None:
    client = info(tmp_path, "drop")
    chrome = client.build("1.2.3.4", CHROME)
    assert (chrome["browser"], chrome["os"], chrome["deviceType"], chrome["isBot"]) == (
        "Chrome",
        "Windows",
        "pc",
        False,
    )
    assert client.build(None, IPHONE)["deviceType"] == "mobile"
    bot = client.build(None, BOT)
    assert bot["isBot"] is True and bot["deviceType"] == "bot"
    assert client.build(None, None)["userAgent"] is None
    huge = client.build(None, "x" * 100_000)
    assert len(huge["userAgent"]) == 512


def test_user_agent_cache(tmp_path: Path) -> None:
    client = info(tmp_path, "drop")
    for i in range(100):
        client.build(f"10.0.0.{i}", CHROME)  # a new peer each time: the agent parse is shared
    assert client.describe_agent.cache_info().misses == 1  # type: ignore[attr-defined]
    assert client.describe_agent.cache_info().hits == 99  # type: ignore[attr-defined]
    assert client.build("10.0.0.1", CHROME) is client.build("10.0.0.1", CHROME)


def test_xaction_ids_are_unique_and_ordered() -> None:
    ids = XactionIds(node="7")
    assert ids.next(1000) == "1000:7:1"
    assert ids.next(1000) == "1000:7:2"
