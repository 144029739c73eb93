"""The build recipe of ``tag_extension/README.md`` ("Build recipe"), rendered with Jinja2.

The library is JavaScript, so the environment is not the HTML one: no autoescaping, strict
undefined, and a ``finalize`` hook that refuses any value that did not pass through one of
the three filters: ``tojson`` (configuration values, as JSON that cannot close a ``<script>``
element or an HTML comment, nor end a line in old parsers), ``code`` (the extension's own
module files) and ``comment`` (the banner, limited to a few plain characters).

In a JavaScript object literal a ``"__proto__":`` key sets the object's prototype; the
configuration is emitted with such keys computed (``["__proto__"]:``), which makes them
ordinary own properties, as ``JSON.parse`` would.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import jinja2
import rjsmin

from collector.tags.manifest import Manifest

_TEMPLATE = """\
{% if banner %}/*! {{ banner | comment }} */
{% endif %}(function (window, C) {
"use strict";
{{ source | code }}start(window, C);
})(window, {{ config | tojson }});
"""
_ESCAPES = {c: f"\\u{ord(c):04x}" for c in "<>&'\u2028\u2029"}
_ESCAPED = re.compile("[<>&'\u2028\u2029]")
_BANNER = re.compile(r"^[A-Za-z0-9 .:|_-]*$")
# A "__proto__" key of the JSON text (inside a string the quote would be escaped).
_PROTO_KEY = re.compile(r'([{,])"__proto__":')


class _Rendered(str):
    """Text a filter vouched for; the only kind ``finalize`` lets into the output."""


def _defined(value: Any) -> Any:
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises UndefinedError here
    return value


def tojson(value: Any) -> str:
    """Compact JSON with ``< > & '`` U+2028 U+2029 escaped as ``\\uXXXX``."""
    value = _defined(value)
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = _PROTO_KEY.sub(r'\1["__proto__"]:', text)
    return _Rendered(_ESCAPED.sub(lambda m: _ESCAPES[m.group()], text))


def _code(text: str) -> str:
    return _Rendered(_defined(text))


def _comment(text: str) -> str:
    if not _BANNER.match(_defined(text)):
        raise ValueError(f"banner may hold only letters, digits and ' .:|_-': {text!r}")
    return _Rendered(text)


def _finalize(value: Any) -> Any:
    if not isinstance(value, _Rendered):
        raise TypeError(f"a raw value reached the library template: {type(value).__name__}")
    return value


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.filters["tojson"] = tojson
    env.filters["code"] = _code
    env.filters["comment"] = _comment
    return env


class Recipe:
    """Renders, minifies and compresses libraries of one extension (built once, reused)."""

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self._template = _environment().from_string(_TEMPLATE)

    def text(self, config: dict[str, Any], paths: list[str] | None = None, banner: str = "") -> str:
        """The unminified library: the modules ``config`` uses (or ``paths``) and ``config``."""
        chosen = self.manifest.paths_for(config) if paths is None else paths
        source = self.manifest.source(chosen)
        return self._template.render(banner=banner, source=source, config=config)

    def build(self, config: dict[str, Any], banner: str = "") -> Built:
        minified: str = rjsmin.jsmin(self.text(config, banner=banner), keep_bang_comments=True)
        data = minified.encode("utf-8")
        return Built(
            text=minified,
            gzip=gzip.compress(data, compresslevel=9, mtime=0),
            content_hash=hashlib.sha256(data).hexdigest(),
        )


@dataclass(frozen=True)
class Built:
    text: str
    gzip: bytes
    content_hash: str
