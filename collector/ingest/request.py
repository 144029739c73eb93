"""What the pipeline is told about a request, and what it answers: plain values, no HTTP.

An adapter (the streaming routes, later the Edge routes or a CLI) turns its protocol's
request into an ``IngestRequest`` and a ``Body`` (an awaitable that yields the raw bytes, so
that authentication and request limits run before a byte of the body is read), and turns the
``Result`` back into its protocol's response.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from collector.errors import CollectorError

Body = Callable[[], Awaitable[bytes]]

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"

_SYNC_KEYS = {"syncvalidation": "syncValidation", "synchronousvalidation": "synchronousValidation"}


class IngestRequest(NamedTuple):
    """The request head as data. ``sync_key`` is the spelling of the sync-validation flag
    the client used (it names the member of the answer), ``sync`` its value. One per request:
    a named tuple, cheaper to make than a frozen dataclass."""

    inlet_id: str
    content_type: str | None = None
    content_encoding: str | None = None
    authorization: str | None = None
    origin: str | None = None
    client_ip: str | None = None
    user_agent: str | None = None
    sync_key: str | None = None
    sync: bool = False


@dataclass(frozen=True, slots=True)
class Result:
    """The pipeline's answer: an HTTP-style status, a JSON-able body and headers."""

    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)
    media_type: str = JSON

    @classmethod
    def refusal(cls, err: CollectorError, headers: Mapping[str, str]) -> Result:
        """The contract's problem body of ``err``, with ``Retry-After`` on 429/503."""
        return cls(err.status, err.problem(), {**err.response_headers(), **headers}, PROBLEM_JSON)


def given(raw: bytes) -> Body:
    """A ``Body`` for bytes that are already at hand."""

    async def body() -> bytes:
        return raw

    return body


def sync_flag(query: Iterable[tuple[str, str]]) -> tuple[str | None, bool]:
    """The first ``syncValidation``/``synchronousValidation`` flag of a query, any case."""
    for key, value in query:
        spelling = _SYNC_KEYS.get(key.lower())
        if spelling is not None:
            return spelling, value.strip().lower() == "true"
    return None, False
