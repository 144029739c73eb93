"""The ingest pipeline. The order of stages is written here and nowhere else.

It knows no HTTP: an adapter (``routes``) hands it the inlet, the request head as data
(``IngestRequest``) and the body as an awaitable of bytes, and renders the ``Result``.

Per request (``Pipeline.ingest``):
    inlet → authenticate → rate-limit requests → receive body → decode → rate-limit messages
    → (batch: a batch slot, waited for within a deadline)
    → for each message: envelope → route (org, dataset, schema) → validate → enrich
    → lake append (durable) → acknowledge.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, NamedTuple, Protocol

import orjson

from collector.control import origins
from collector.control.plane import ControlPlane, Dataset, Inlet
from collector.control.settings import Settings
from collector.errors import (
    CollectorError,
    InletNotFound,
    InvalidMessage,
    InvalidMessageFormat,
    Overloaded,
    PayloadTooLarge,
    StorageUnavailable,
    UnknownXdmFormat,
    WrongOrg,
)
from collector.ingest import body as bodies
from collector.ingest import envelope, numbers
from collector.ingest.enrich import ClientInfo, XactionIds
from collector.ingest.request import Body, IngestRequest, Result
from collector.lake.writer import Lake, LakeEntry
from collector.schemas.violations import PASS, Violation, verdict

FAILED_PREFIX = "_failed/"


class Observing(Protocol):
    """What the pipeline reports after each request (collector/monitoring/observer.py)."""

    def request(
        self,
        *,
        org: str,
        inlet: str,
        outcomes: Counter[tuple[str, str]],
        received: int,
        size: int,
    ) -> None: ...

    def refused(self, *, org: str, inlet: str, status: int) -> None: ...


class Registry(Protocol):
    def class_of(self, schema_id: str) -> str | None: ...
    def kind(self, schema_id: str) -> str: ...
    def validate(
        self, schema_id: str, entity: object, *, extra: Sequence[Violation] = ()
    ) -> list[dict[str, Any]]: ...


class Guard(Protocol):
    """Authentication and rate limits (collector/guard/inlet.py)."""

    def authenticate(self, inlet: Inlet, authorization: str | None) -> bool: ...
    def limit_request(
        self, inlet: Inlet, client_ip: str | None, *, sync: bool
    ) -> dict[str, str]: ...
    def limit_messages(self, inlet: Inlet, count: int) -> dict[str, str]: ...


class Context(NamedTuple):
    """What every message of a request shares (a named tuple: made once per request)."""

    inlet: Inlet
    received_ms: int
    authenticated: bool
    client: dict[str, Any]


class Pipeline:
    def __init__(
        self,
        settings: Settings,
        *,
        control: ControlPlane,
        registry: Registry,
        lake: Lake,
        guard: Guard,
        ids: XactionIds | None = None,
        clock_ms: Callable[[], int] | None = None,
        observer: Observing | None = None,
    ) -> None:
        self.settings = settings
        self.control = control
        self.registry = registry
        self.lake = lake
        self.guard = guard
        self.ids = ids or XactionIds()
        self.clock_ms = clock_ms or (lambda: time.time_ns() // 1_000_000)
        self.observer = observer
        self.client_info = ClientInfo(settings)
        self._batches = asyncio.Semaphore(settings.max_concurrent_batches)
        # When the last lake append failed, and why (``/health`` reports it); None after a success.
        self.last_lake_failure: tuple[float, str] | None = None

    # -- request level ---------------------------------------------------------------

    async def ingest(
        self, inlet: Inlet | None, request: IngestRequest, body: Body, *, batch: bool
    ) -> Result:
        """Answer one request; ``inlet`` is the inlet ``request.inlet_id`` names, if any.

        The parsed body lives only inside ``_single_lines``/``_batch_lines``: what waits for
        the lake is the lines and the answer, so the document is freed while it is still in
        the cache, and a request waiting for its fsync holds no parsed JSON.
        """
        extra: dict[str, str] = {}
        try:
            if inlet is None:
                raise InletNotFound("Inlet is not found", inlet_id=request.inlet_id)
            if refused := origins.refusal(inlet.allowed_origins, request.origin):
                raise refused
            authenticated = self.guard.authenticate(inlet, request.authorization)
            extra |= self.guard.limit_request(
                inlet, request.client_ip, sync=False if batch else request.sync
            )
            raw = await body()
            outcomes: Counter[tuple[str, str]] = Counter()
            if batch:
                async with self._batch_slot():
                    entries, answer, received = self._batch_lines(
                        inlet, request, authenticated, raw, extra, outcomes
                    )
                    await self._append(entries)
                self._observe(inlet, outcomes, received, len(raw))
                return Result(207, answer, extra)
            entries, answer, error = self._single_lines(
                inlet, request, authenticated, raw, extra, outcomes
            )
            if entries:
                await self._append(entries)
            if error is not None:
                raise error
            self._observe(inlet, outcomes, 1, len(raw))
            return Result(200, answer, extra)
        except CollectorError as err:
            if inlet is not None:
                err.with_context(inlet.id, inlet.org_id)
                if self.observer is not None:
                    self.observer.refused(org=inlet.org_id, inlet=inlet.id, status=err.status)
            return Result.refusal(err, extra)

    @asynccontextmanager
    async def _batch_slot(self) -> AsyncIterator[None]:
        """One of the worker's batch slots, or 503 when none frees up within the deadline."""
        try:
            async with asyncio.timeout(self.settings.batch_queue_timeout_seconds):
                await self._batches.acquire()
        except TimeoutError:
            raise Overloaded("Too many batches are in progress; retry later") from None
        try:
            yield
        finally:
            self._batches.release()

    def _context(self, inlet: Inlet, request: IngestRequest, authenticated: bool) -> Context:
        client = self.client_info.build(request.client_ip, request.user_agent)
        return Context(inlet, self.clock_ms(), authenticated, client)

    async def _append(self, entries: list[LakeEntry]) -> None:
        """Append to the lake; its refusal is shared by a whole commit group: copy it."""
        try:
            await self.lake.append(entries)
        except StorageUnavailable as exc:
            self.last_lake_failure = (time.monotonic(), exc.detail)
            raise StorageUnavailable(exc.detail) from None
        self.last_lake_failure = None

    def _observe(
        self, inlet: Inlet, outcomes: Counter[tuple[str, str]], received: int, size: int
    ) -> None:
        if self.observer is not None:
            self.observer.request(
                org=inlet.org_id, inlet=inlet.id, outcomes=outcomes, received=received, size=size
            )

    def _single_lines(
        self,
        inlet: Inlet,
        request: IngestRequest,
        authenticated: bool,
        raw: bytes,
        extra: dict[str, str],
        outcomes: Counter[tuple[str, str]],
    ) -> tuple[list[LakeEntry], dict[str, Any], CollectorError | None]:
        """Decode and process a single message: the lines to store, the answer, and the
        error to answer with once the lines (a refused message's) are stored."""
        message, lossy = bodies.decode_json(raw, request.content_encoding, self.settings)
        extra |= self.guard.limit_messages(inlet, 1)
        ctx = self._context(inlet, request, authenticated)
        xaction_id = self.ids.next(ctx.received_ms)
        found = numbers.entity_violations(lossy) if lossy else None
        sync = request.sync
        entry, error, checked = self._process(ctx, message, xaction_id, sync=sync, lossy=found)
        entries = []
        if entry is not None:
            entries.append(entry)
            outcomes[_outcome(entry, error)] += 1
        answer = {
            "inletId": inlet.id,
            "xactionId": xaction_id,
            "receivedTimeMs": ctx.received_ms,
            request.sync_key or "syncValidation": {"status": "pass"} if sync else {"skipped": True},
        }
        if not sync and checked is not None:
            answer["validation"] = checked
        return entries, answer, error

    def _batch_lines(
        self,
        inlet: Inlet,
        request: IngestRequest,
        authenticated: bool,
        raw: bytes,
        extra: dict[str, str],
        outcomes: Counter[tuple[str, str]],
    ) -> tuple[list[LakeEntry], dict[str, Any], int]:
        """Decode and process a batch: the lines to store, the answer, the message count."""
        document, lossy = bodies.decode_json(raw, request.content_encoding, self.settings)
        messages = _messages(document, self.settings.max_batch_messages)
        extra |= self.guard.limit_messages(inlet, len(messages))
        ctx = self._context(inlet, request, authenticated)
        batch_id = self.ids.next(ctx.received_ms)
        entries: list[LakeEntry] = []
        responses: list[dict[str, Any]] = []
        for index, message in enumerate(messages):
            xaction_id = f"{batch_id}-{index}"
            found = numbers.entity_violations(lossy, ("messages", index)) if lossy else None
            entry, error, checked = self._process(ctx, message, xaction_id, sync=False, lossy=found)
            if entry is not None:
                entries.append(entry)
                outcomes[_outcome(entry, error)] += 1
            if error is None:
                responses.append({"xactionId": xaction_id, "validation": checked})
            else:
                responses.append(
                    {
                        "xactionId": xaction_id,
                        "status": error.status,
                        "statusCode": error.status,
                        "message": error.message,
                    }
                )
        answer = {
            "inletId": inlet.id,
            "batchId": batch_id,
            "receivedTimeMs": ctx.received_ms,
            "responses": responses,
        }
        return entries, answer, len(messages)

    # -- message level ---------------------------------------------------------------

    def _process(
        self,
        ctx: Context,
        message: object,
        xaction_id: str,
        *,
        sync: bool,
        lossy: list[Violation] | None = None,
    ) -> tuple[LakeEntry | None, CollectorError | None, dict[str, Any] | None]:
        """Run the message stages; returns the line to store, the error to report and the
        validation verdict (None when the message was refused before validation).
        ``lossy``: the message's numbers no float holds, reported as violations."""
        org = ctx.inlet.org_id
        try:
            env = envelope.parse(message)
            org = env.org_id or org
            dataset = self._route(ctx.inlet, env)
            violations = (
                self.registry.validate(dataset.schema_id, env.entity)
                if lossy is None
                else self.registry.validate(dataset.schema_id, env.entity, extra=lossy)
            )
        except CollectorError as err:
            err.with_context(ctx.inlet.id, org)
            return self._failed(ctx, message, xaction_id, err), err, None
        if violations and sync:
            return None, InvalidMessage(violations, inlet_id=ctx.inlet.id, org_id=org), None
        record = self._record(ctx, env, dataset, xaction_id)
        if type(message) is dict and type(data := message.get("data")) is dict:
            record["data"] = data  # the Web SDK's non-XDM data, kept beside the entity
        if violations:
            record["reason"] = "Message is invalid"
            record["_validationErrors"] = violations
            failed = LakeEntry(f"_failed/{dataset.id}", ctx.received_ms, orjson.dumps(record))
            return failed, None, verdict(violations)
        return LakeEntry(dataset.id, ctx.received_ms, orjson.dumps(record)), None, PASS

    def _route(self, inlet: Inlet, env: envelope.Envelope) -> Dataset:
        """The org must be the inlet's; the dataset the org's; the schema the dataset's."""
        if env.org_id is not None and env.org_id != inlet.org_id:
            raise WrongOrg()
        dataset_id = env.dataset_id or inlet.default_dataset_id
        if dataset_id is None:
            raise InvalidMessageFormat("Message has no datasetId and the inlet has no default")
        dataset = self.control.dataset(dataset_id)
        if dataset is None or dataset.org_id != inlet.org_id:
            raise InvalidMessageFormat(f"Dataset [{dataset_id[:64]}] is not found")
        if env.schema_id != dataset.schema_id and not self._names_the_class(env.schema_id, dataset):
            raise InvalidMessageFormat(
                f"Schema [{env.schema_id[:256]}] is not the schema of dataset [{dataset.id}]"
            )
        return dataset

    def _names_the_class(self, schema_id: str, dataset: Dataset) -> bool:
        """A message may name its dataset's class (any of its ids) instead of its schema."""
        dataset_class = self.registry.class_of(dataset.schema_id)
        return (
            dataset_class is not None
            and self.registry.class_of(schema_id) == dataset_class
            and self.registry.kind(schema_id) == "class"
        )

    def _record(
        self, ctx: Context, env: envelope.Envelope, dataset: Dataset, xaction_id: str
    ) -> dict[str, Any]:
        source = env.source_name or ctx.inlet.source_name
        return {
            "xactionId": xaction_id,
            "receivedTimeMs": ctx.received_ms,
            "inletId": ctx.inlet.id,
            "datasetId": dataset.id,
            "schemaId": dataset.schema_id,
            "orgId": ctx.inlet.org_id,
            "authenticatedRequest": ctx.authenticated,
            "header": envelope.normalised_header(
                env, org_id=ctx.inlet.org_id, dataset_id=dataset.id, source_name=source
            ),
            "entity": env.entity,
            "client": ctx.client,
        }

    def _failed(
        self, ctx: Context, message: object, xaction_id: str, err: CollectorError
    ) -> LakeEntry:
        """A rejected message, kept with its reason under ``_failed/<dataset>``."""
        dataset_id = ctx.inlet.default_dataset_id or "_unrouted"
        if isinstance(message, dict) and isinstance(message.get("header"), dict):
            named = message["header"].get("datasetId")
            known = self.control.dataset(named) if isinstance(named, str) else None
            if known is not None and known.org_id == ctx.inlet.org_id:
                dataset_id = known.id
        record = {
            "xactionId": xaction_id,
            "receivedTimeMs": ctx.received_ms,
            "inletId": ctx.inlet.id,
            "datasetId": dataset_id,
            "orgId": ctx.inlet.org_id,
            "authenticatedRequest": ctx.authenticated,
            "client": ctx.client,
            "reason": err.detail,
            "status": err.status,
            "raw": message,
        }
        return LakeEntry(f"_failed/{dataset_id}", ctx.received_ms, orjson.dumps(record))


def _outcome(entry: LakeEntry, error: CollectorError | None) -> tuple[str, str]:
    """(dataset, outcome) of a stored line: accepted, or failed because invalid or refused."""
    partition = entry.partition
    if not partition.startswith(FAILED_PREFIX):
        return partition, "accepted"
    return partition[len(FAILED_PREFIX) :], "failed:invalid" if error is None else "failed:format"


def _messages(document: object, limit: int) -> list[Any]:
    messages = document.get("messages") if isinstance(document, dict) else None
    if not isinstance(messages, list) or not messages:
        raise UnknownXdmFormat()
    if len(messages) > limit:
        raise PayloadTooLarge(f"Batch has {len(messages)} messages; at most {limit} are accepted")
    return messages
