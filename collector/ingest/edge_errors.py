"""Errors of the Edge routes, shaped as the Edge Network answers them.

The body is a problem detail (``application/problem+json``) with ``type``
(``https://ns.adobe.com/aep/errors/<code>``), a numeric ``status``, ``title``, ``detail`` and a
``report`` holding the request id, the org and, where there are several, the ``errors``. The
codes are this collector's own, in the Edge Network's ``EXEG-<n>-<status>`` form.
"""

from __future__ import annotations

from typing import Any

from collector.errors import CollectorError

_TYPE = "https://ns.adobe.com/aep/errors/"

# CollectorError status -> (code, title) used when a shared stage (body, limits) refuses.
_BY_STATUS = {
    400: ("EXEG-0003-400", "Bad Request"),
    403: ("EXEG-0015-403", "Forbidden"),
    404: ("EXEG-0001-404", "Not Found"),
    408: ("EXEG-0008-408", "Request Timeout"),
    413: ("EXEG-0501-413", "Payload Too Large"),
    415: ("EXEG-0003-415", "Unsupported Media Type"),
    429: ("EXEG-0005-429", "Too Many Requests"),
    503: ("EXEG-0201-503", "Service Unavailable"),
}


class EdgeError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str,
        *,
        errors: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}

    @classmethod
    def from_collector(cls, err: CollectorError) -> EdgeError:
        code, title = _BY_STATUS.get(err.status, (f"EXEG-0000-{err.status}", err.title))
        return cls(err.status, code, title, err.detail, headers=dict(err.headers))

    @classmethod
    def from_result(cls, status: int, body: Any, headers: dict[str, str]) -> EdgeError:
        """The Edge shape of the pipeline's refusal of a whole request (limits, storage)."""
        code, title = _BY_STATUS.get(status, (f"EXEG-0000-{status}", "Error"))
        report = body.get("report") if isinstance(body, dict) else None
        detail = report.get("message") if isinstance(report, dict) else None
        return cls(status, code, title, str(detail or title), headers=headers)

    def problem(self, *, request_id: str, org_id: str | None) -> dict[str, Any]:
        report: dict[str, Any] = {"requestId": request_id}
        if org_id is not None:
            report["orgId"] = org_id
        if self.errors:
            report["errors"] = self.errors
        return {
            "type": _TYPE + self.code,
            "status": self.status,
            "title": self.title,
            "detail": self.detail,
            "report": report,
        }


def invalid_request(errors: list[str]) -> EdgeError:
    return EdgeError(
        422,
        "EXEG-0104-422",
        "Unprocessable entity",
        "Invalid request (report attached). Please check your input and try again.",
        errors=errors,
    )


def unknown_datastream(config_id: str) -> EdgeError:
    return EdgeError(
        400,
        "EXEG-0003-400",
        "Invalid datastream ID",
        f"The datastream ID '{config_id[:64]}' is not valid or is not enabled.",
    )


def origin_not_allowed(origin: str) -> EdgeError:
    return EdgeError(
        403,
        "EXEG-0015-403",
        "Origin not allowed",
        f"The origin '{origin[:256]}' is not allowed by this datastream.",
    )


def consent_declined() -> EdgeError:
    return EdgeError(
        403,
        "EXEG-0301-403",
        "Consent declined",
        "The visitor declined data collection; no events were stored.",
    )
