"""Drive Debian's ``wrk`` with a generated Lua script and read its results as JSON.

The script sets the method, headers and body; for single messages it fills a fresh ``_id``
into every request (thread number and counter), for batches it sends one static body. Its
``done()`` prints one ``BENCH_JSON {...}`` line with the counts and latency percentiles
(microseconds), which ``run`` parses.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

WRK = "/usr/bin/wrk"
_MARK = "BENCH_JSON "

_SCRIPT = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["User-Agent"] = USER_AGENT

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

local template = slurp(BODY_PATH)
local first, last = string.find(template, ID_MARK, 1, true)
local threads = {}
local counter = 0
tid = 0

if first == nil then
  wrk.body = template
else
  local prefix = string.sub(template, 1, first - 1)
  local suffix = string.sub(template, last + 1)
  function request()
    counter = counter + 1
    return wrk.format(nil, nil, nil, prefix .. "bench-" .. tid .. "-" .. counter .. suffix)
  end
end

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, '
    .. '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, '
    .. '"p999_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.mean, latency.max))
end
"""


@dataclass(frozen=True)
class Result:
    """What one wrk run measured; latencies in milliseconds."""

    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float

    # CPU seconds the server used during the run, per wall second (1.0 = one core busy).
    server_cpu: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def available() -> bool:
    return shutil.which(WRK) is not None


def run(
    url: str,
    body: bytes,
    *,
    id_mark: str,
    user_agent: str,
    seconds: float,
    connections: int,
    threads: int,
    timeout_s: float = 10.0,
) -> Result:
    """Run wrk against ``url`` for ``seconds``; raises when wrk fails or prints no result."""
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        body_path = Path(tmp) / "body.json"
        body_path.write_bytes(body)
        script = Path(tmp) / "load.lua"
        header = (
            f"BODY_PATH = {_lua_string(str(body_path))}\n"
            f"ID_MARK = {_lua_string(id_mark)}\n"
            f"USER_AGENT = {_lua_string(user_agent)}\n"
        )
        script.write_text(header + _SCRIPT)
        argv = [
            WRK,
            f"-t{threads}",
            f"-c{max(connections, threads)}",
            f"-d{max(1, round(seconds))}s",
            f"--timeout={timeout_s:g}s",
            "-s",
            str(script),
            url,
        ]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    for line in done.stdout.splitlines():
        if line.startswith(_MARK):
            return _result(json.loads(line[len(_MARK) :]))
    raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")


def _result(raw: dict[str, float]) -> Result:
    errors = sum(int(raw[k]) for k in ("connect", "read", "write", "status", "timeout"))
    return Result(
        requests=int(raw["requests"]),
        seconds=raw["duration_us"] / 1e6,
        errors=errors,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        p999_ms=raw["p999_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
    )


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
