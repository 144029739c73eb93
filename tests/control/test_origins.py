"""collector/control/origins.py: which allowed origins may be saved, and what they match."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collector.control import origins
from collector.control.origins import OriginError

LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("https://shop.example.com", "https://shop.example.com"),
        ("https://shop.example.com/", "https://shop.example.com"),
        ("http://localhost:3000", "http://localhost:3000"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("https://[::1]:8443", "https://[::1]:8443"),
        ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example"),
        ("https://*.example.com", "https://*.example.com"),
        ("http://*.example.co.uk:8080", "http://*.example.co.uk:8080"),
        ("*", "*"),
    ],
)
def test_valid_origins_are_stored_as_browsers_send_them(value: str, stored: str) -> None:
    assert origins.parse(value) == stored


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("shop.example.com", "no scheme"),
        ("ftp://shop.example.com", "not http or https"),
        ("https://Shop.Example.com", "lowercase"),
        ("HTTPS://shop.example.com", "lowercase"),
        ("https://shop.example.com/path", "no path"),
        ("https://shop.example.com/?q=1", "no path"),
        ("https://shop.example.com#top", "no path"),
        ("https://user:pw@shop.example.com", "userinfo"),
        ("https://shop.example.com:443", "default port"),
        ("http://shop.example.com:80", "default port"),
        ("https://shop.example.com:99999", "port out of range"),
        ("https://shop.example.com:0", "bad host or port"),
        ("https://*.com", "two labels"),
        ("https://*example.com", "wildcard"),
        ("https://a.*.example.com", "wildcard"),
        ("https://*", "wildcard"),
        ("*.example.com", "no scheme"),
        ("https://", "bad host"),
        ("", "no scheme"),
        (" https://shop.example.com", "not http or https"),
        ("https://shop example.com", "bad host"),
        ("https://-shop.example.com", "bad host"),
        ("https://[zz::1]", "bad host"),
        ("https://[1:2:3]", "IPv6"),
        ("null", "no scheme"),
        ("**", "no scheme"),
    ],
)
def test_anything_else_is_refused_with_a_message_naming_it(value: str, reason: str) -> None:
    with pytest.raises(OriginError) as refused:
        origins.parse(value)
    assert repr(value) in str(refused.value)
    assert reason in str(refused.value)


def test_a_list_is_parsed_in_order_without_duplicates() -> None:
    given_list = ["https://a.example", "https://a.example/", "https://*.b.example"]
    assert origins.parse_all(given_list) == ("https://a.example", "https://*.b.example")
    with pytest.raises(OriginError) as refused:
        origins.parse_all(["https://ok.example", "https://A.example"])
    assert "'https://A.example'" in str(refused.value)


@given(sub=st.lists(LABEL, min_size=1, max_size=4), domain=st.lists(LABEL, min_size=2, max_size=3))
def test_a_wildcard_matches_subdomains_at_any_depth_only(sub: list[str], domain: list[str]) -> None:
    apex = ".".join(domain)
    patterns = (f"https://*.{apex}",)
    assert origins.matches(patterns, f"https://{'.'.join(sub)}.{apex}")
    assert not origins.matches(patterns, f"https://{apex}")  # the domain itself: list it too
    assert not origins.matches(patterns, f"https://evil-{apex}")
    assert not origins.matches(patterns, f"https://{sub[0]}{apex}")
    assert not origins.matches(patterns, f"https://{apex}.{sub[0]}.evil")
    assert not origins.matches(patterns, f"http://{sub[0]}.{apex}")  # another scheme
    assert not origins.matches(patterns, f"https://{sub[0]}.{apex}:8443")  # another port
    assert origins.matches((*patterns, f"https://{apex}"), f"https://{apex}")


@given(host=st.lists(LABEL, min_size=1, max_size=4), port=st.integers(1, 65535))
def test_an_exact_origin_matches_itself_only(host: list[str], port: int) -> None:
    origin = f"http://{'.'.join(host)}:{port}" if port != 80 else f"http://{'.'.join(host)}"
    stored = origins.parse_all([origin])
    assert origins.matches(stored, origin)
    assert not origins.matches(stored, origin.replace("http://", "https://"))
    assert not origins.matches(stored, f"http://x{'.'.join(host)}")
    assert not origins.matches(stored, "null")


@given(origin=st.text(max_size=40))
def test_star_matches_every_origin_and_nothing_matches_an_empty_list(origin: str) -> None:
    assert origins.matches(("*",), origin)
    assert not origins.matches((), origin)


def test_the_wildcard_port_must_be_the_origins_port() -> None:
    patterns = origins.parse_all(["http://*.example.com:8080"])
    assert origins.matches(patterns, "http://a.example.com:8080")
    assert not origins.matches(patterns, "http://a.example.com")
    assert not origins.matches(patterns, "http://a.example.com:8081")
