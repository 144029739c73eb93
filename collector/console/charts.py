"""Line charts drawn on the server as inline SVG (no script, no chart library).

``chart`` turns named series of ``(unix seconds, value or None)`` points into what the
``chart.html`` macro draws: one path per series (a gap where a value is missing), the y scale's
top, a few time labels, and the rows of the table that is the chart's text alternative.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

WIDTH, HEIGHT = 600, 200
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 8, 24
# Colours with at least 3:1 contrast on white, told apart by dash pattern too.
STYLES = (
    ("#0b5cad", ""),
    ("#0d6e2b", "6 3"),
    ("#a4161a", "2 3"),
    ("#7a4a00", "8 3 2 3"),
    ("#5b2a86", "1 2"),
)

Point = tuple[int, float | int | None]


@dataclass(frozen=True)
class Line:
    name: str
    colour: str
    dash: str
    paths: list[str]  # SVG polyline points, one string per unbroken run


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    unit: str
    lines: list[Line]
    top: float
    ticks: list[tuple[float, str]]  # (x, label) along the time axis
    header: list[str]
    rows: list[list[str]]  # time, then one value per series ("" when missing)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom_y: int = HEIGHT - BOTTOM

    @property
    def top_label(self) -> str:
        return _number(self.top)

    @property
    def empty(self) -> bool:
        return all(not cell for row in self.rows for cell in row[1:])


def label(seconds: int, step: int) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%m-%d %H:%M" if step >= 3600 else "%H:%M")


def _number(value: float | int | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def chart(
    chart_id: str,
    title: str,
    unit: str,
    series: dict[str, list[Point]],
    times: list[int],
    step: int,
) -> Chart:
    peak = max((v for pts in series.values() for _, v in pts if v is not None), default=0)
    top = float(peak) if peak > 0 else 1.0
    span_x = WIDTH - LEFT - RIGHT
    span_y = HEIGHT - TOP - BOTTOM
    slots = max(1, len(times) - 1)

    def x(i: int) -> float:
        return LEFT + span_x * i / slots

    lines = []
    for n, (name, points) in enumerate(series.items()):
        colour, dash = STYLES[n % len(STYLES)]
        paths: list[str] = []
        run: list[str] = []
        for i, (_, value) in enumerate(points):
            if value is None:
                if run:
                    paths.append(" ".join(run))
                run = []
                continue
            y = TOP + span_y * (1 - float(value) / top)
            run.append(f"{x(i):.1f},{y:.1f}")
        if run:
            paths.append(" ".join(run))
        lines.append(Line(name, colour, dash, paths))
    every = max(1, len(times) // 3)
    ticks = [(x(i), label(t, step)) for i, t in enumerate(times) if i % every == 0]
    rows = [
        [label(t, step), *(_number(points[i][1]) for points in series.values())]
        for i, t in enumerate(times)
    ]
    return Chart(chart_id, title, unit, lines, top, ticks, ["Time (UTC)", *series], rows)
