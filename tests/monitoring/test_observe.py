"""collector/monitoring/observe.py: route templates, samples, rejections and the access log."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from collector.monitoring.metrics import Metrics
from collector.monitoring.observe import AccessLog, Observe, route_of


async def _ok(request: Request) -> Response:
    return PlainTextResponse("ok")


async def _limited(request: Request) -> Response:
    await request.body()
    return JSONResponse(
        {"title": "Too Many Requests", "status": 429},
        status_code=429,
        headers={"Retry-After": "1"},
        media_type="application/problem+json",
    )


def _app(tmp_path: Path, log: AccessLog | None) -> tuple[TestClient, Metrics]:
    metrics = Metrics(tmp_path / "metrics")
    inner = Starlette(
        routes=[
            Route("/collection/{inlet_id}", _limited, methods=["POST"]),
            Route("/health", _ok),
        ]
    )
    app = Observe(inner, metrics=lambda: metrics, access_log=lambda: log)
    return TestClient(app), metrics


def test_samples_use_route_templates(tmp_path: Path) -> None:
    client, metrics = _app(tmp_path, None)
    client.get("/health")
    client.post("/collection/" + "a" * 64, content=b"{}")
    client.get("/nowhere")
    text = metrics.render().decode()
    assert 'http_requests_total{code="200",method="GET",route="/health"} 1.0' in text
    assert (
        'http_requests_total{code="429",method="POST",route="/collection/{inlet_id}"} 1.0' in text
    )
    assert 'http_requests_total{code="404",method="GET",route="unmatched"} 1.0' in text
    assert "a" * 64 not in text
    assert 'http_request_duration_seconds_count{method="GET",route="/health"} 1.0' in text


def test_the_access_log_and_problem_bodies_share_a_request_id(tmp_path: Path) -> None:
    stream = io.BytesIO()
    stream.close = lambda: None  # type: ignore[method-assign]
    client, _ = _app(tmp_path, AccessLog(stream))
    r = client.post("/collection/abc", content=b'{"x": 1}', headers={"x-request-id": "req-7"})
    assert r.status_code == 429
    assert r.headers["x-request-id"] == "req-7"
    assert r.headers["retry-after"] == "1"
    assert r.json() == {"title": "Too Many Requests", "status": 429, "requestId": "req-7"}
    assert int(r.headers["content-length"]) == len(r.content)
    ok = client.get("/health", headers={"x-request-id": "bad id with spaces"})
    assert ok.text == "ok"
    generated = ok.headers["x-request-id"]
    assert generated != "bad id with spaces" and len(generated) == 16
    lines = [orjson.loads(line) for line in stream.getvalue().splitlines()]
    assert [(e["requestId"], e["route"], e["status"]) for e in lines] == [
        ("req-7", "/collection/{inlet_id}", 429),
        (generated, "/health", 200),
    ]
    assert lines[0]["bytesIn"] == 8
    assert lines[0]["bytesOut"] == len(r.content)


def test_without_an_access_log_responses_are_untouched(tmp_path: Path) -> None:
    client, _ = _app(tmp_path, None)
    r = client.post("/collection/abc", content=b"{}")
    assert "x-request-id" not in r.headers
    assert r.json() == {"title": "Too Many Requests", "status": 429}


def test_route_of_an_unrouted_scope() -> None:
    assert route_of({"path": "/x"}) == "unmatched"
    scope = {"path": "/tags/p1/production.js", "endpoint": object(),
             "path_params": {"property_id": "p1", "env": "production"}}  # fmt: skip
    assert route_of(scope) == "/tags/{property_id}/{env}.js"


def test_the_grafana_dashboard_queries_only_metrics_we_export(tmp_path: Path) -> None:
    import re

    import collector.monitoring

    dashboard = Path(collector.monitoring.__file__).parent / "grafana.json"
    exprs = [
        t["expr"] for p in orjson.loads(dashboard.read_bytes())["panels"] for t in p["targets"]
    ]
    used = {m for e in exprs for m in re.findall(r"\b((?:http|collector)_[a-z_]+)\b", e)}
    exported = Metrics(tmp_path).render().decode()
    for name in used:
        base = re.sub(r"_(bucket|count|sum)$", "", name)
        assert (
            f"# TYPE {base.removesuffix('_total')} " in exported or f"# TYPE {base} " in exported
        ), name


def test_repeated_requests_and_a_new_metrics_object_are_all_counted(tmp_path: Path) -> None:
    """The labelled samples are kept per (route, method, status) for the metrics object of
    the current lifespan; a new lifespan's object gets its own."""
    current = {"metrics": Metrics(tmp_path / "one")}
    inner = Starlette(routes=[Route("/health", _ok)])
    client = TestClient(Observe(inner, metrics=lambda: current["metrics"], access_log=lambda: None))
    for _ in range(3):
        client.get("/health")
    first = current["metrics"]
    current["metrics"] = Metrics(tmp_path / "two")
    client.get("/health")
    line = 'http_requests_total{code="200",method="GET",route="/health"} '
    assert line + "3.0" in first.render().decode()
    assert line + "1.0" in current["metrics"].render().decode()
    assert 'http_request_duration_seconds_count{method="GET",route="/health"} 1.0' in (
        current["metrics"].render().decode()
    )
