"""Errors that carry their HTTP status and render the contract's problem-JSON body.

One exception handler (``collector.app``) turns any ``CollectorError`` into a response;
batch entries use ``entry_message`` for the per-message ``message`` field.
"""

from __future__ import annotations

from typing import Any, ClassVar

_DCS = "http://ns.adobe.com/adobecloud/problem/data-collection-service"


def message_prefix(inlet_id: str | None, org_id: str | None) -> str:
    """The prefix DCS puts in front of every message: ``inletId: [..] imsOrgId: [..] ``.

    Errors of routes that are not about an inlet (schemas, tags, profiles) have none.
    """
    if inlet_id is None and org_id is None:
        return ""
    return f"inletId: [{inlet_id or ''}] imsOrgId: [{org_id or ''}] "


class CollectorError(Exception):
    """Base class: ``status`` is the HTTP status, ``title``/``type`` the problem fields."""

    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal Server Error"
    type: ClassVar[str] = f"{_DCS}/internal"
    # DCS sends some statuses as strings ("401"); subclasses flip this.
    status_as_string: ClassVar[bool] = False
    # Seconds a client should wait before retrying a 429/503 that names no better value.
    retry_after: ClassVar[int] = 1

    def __init__(
        self,
        detail: str,
        *,
        inlet_id: str | None = None,
        org_id: str | None = None,
        headers: dict[str, str] | None = None,
        cause: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.inlet_id = inlet_id
        self.org_id = org_id
        self.headers = headers or {}
        self.cause = cause

    def with_context(self, inlet_id: str | None, org_id: str | None) -> CollectorError:
        """Fill the inlet and org of the message prefix where the raiser did not know them."""
        if self.inlet_id is None:
            self.inlet_id = inlet_id
        if self.org_id is None:
            self.org_id = org_id
        return self

    @property
    def message(self) -> str:
        return message_prefix(self.inlet_id, self.org_id) + self.detail

    def response_headers(self) -> dict[str, str]:
        """The headers of this error's response: its own, and ``Retry-After`` on 429/503."""
        if self.status in (429, 503) and "retry-after" not in self.headers:
            return {**self.headers, "retry-after": str(self.retry_after)}
        return self.headers

    def problem(self) -> dict[str, Any]:
        report: dict[str, Any] = {"message": self.message}
        if self.cause is not None:
            report["cause"] = self.cause
        return {
            "type": self.type,
            "status": str(self.status) if self.status_as_string else self.status,
            "title": self.title,
            "report": report,
        }


class InvalidMessageFormat(CollectorError):
    """The envelope cannot be understood (400, never succeeds on retry)."""

    status = 400
    title = "Invalid XDM Message Format"
    type = f"{_DCS}/inlet"


class UnknownXdmFormat(InvalidMessageFormat):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__("Message has unknown xdm format", **kwargs)


class WrongOrg(InvalidMessageFormat):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__("Message has an absent or wrong ims org in the header", **kwargs)


class InvalidMessage(InvalidMessageFormat):
    """Synchronous validation failed; ``cause`` carries ``_streamingValidation``."""

    def __init__(self, violations: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__("Message is invalid", cause={"_streamingValidation": violations}, **kwargs)


class Unauthorized(CollectorError):
    status = 401
    status_as_string = True
    title = "Authorization"
    type = "https://ns.adobe.com/adobecloud/problem/data-collection-service-authorization"


class Forbidden(CollectorError):
    status = 403
    title = "Forbidden"
    type = "https://ns.adobe.com/adobecloud/problem/data-collection-service-authorization"


class InletNotFound(CollectorError):
    status = 404
    title = "Inlet not found"
    type = f"{_DCS}/inlet"


class NotFound(CollectorError):
    status = 404
    title = "Not found"
    type = f"{_DCS}/not-found"


class MethodNotAllowed(CollectorError):
    status = 405
    title = "Method Not Allowed"
    type = f"{_DCS}/method-not-allowed"


class PayloadTooLarge(CollectorError):
    status = 413
    title = "Payload Too Large"
    type = f"{_DCS}/payload-too-large"


class HeaderFieldsTooLarge(CollectorError):
    """The request head (request line and headers) is over the server's cap."""

    status = 431
    title = "Request Header Fields Too Large"
    type = f"{_DCS}/header-fields-too-large"


class UnsupportedMediaType(InvalidMessageFormat):
    """A body the collector cannot decode (unknown Content-Encoding): a 400 like DCS."""


class Unprocessable(CollectorError):
    status = 422
    title = "Unprocessable Entity"
    type = f"{_DCS}/unprocessable"


class RateLimited(CollectorError):
    status = 429
    title = "Too Many Requests"
    type = f"{_DCS}/rate-limit"


class RequestTimeout(CollectorError):
    status = 408
    title = "Request Timeout"
    type = f"{_DCS}/timeout"


class StorageUnavailable(CollectorError):
    status = 503
    title = "Service Unavailable"
    type = f"{_DCS}/storage"


class NotAuthenticated(CollectorError):
    """A data route without a live access token (``collector/guard/access.py``)."""

    status = 401
    title = "Unauthorized"
    type = "https://ns.adobe.com/aep/errors/access/unauthorized"

    def __init__(self, detail: str, **kwargs: Any) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="xdm-collector"'})


class AccessDenied(CollectorError):
    """A live token that may not do this: another org, another client, a missing scope."""

    status = 403
    title = "Forbidden"
    type = "https://ns.adobe.com/aep/errors/access/forbidden"


class Overloaded(CollectorError):
    """The worker cannot take the request now (bodies buffered, batch queue): retry later."""

    status = 503
    title = "Service Unavailable"
    type = f"{_DCS}/overloaded"


class BadRequest(CollectorError):
    """A setup API request (Catalog, Flow Service, Schema Registry, Identity) that is wrong."""

    status = 400
    title = "Bad Request"
    type = "https://ns.adobe.com/aep/errors/setup/bad-request"


class Conflict(CollectorError):
    """A setup API change that the objects as they are now do not allow (an object in use)."""

    status = 409
    title = "Conflict"
    type = "https://ns.adobe.com/aep/errors/setup/conflict"
