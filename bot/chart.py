"""The history chart: one availability strip per component, incidents labelled, as a PNG.

Drawn with matplotlib's Agg backend (no display), in a worker thread so the event loop
keeps serving (`render_png`). The picture has its own opaque background and
colour-blind-safe-enough contrasts, so it reads the same in a chat's light and dark themes.
"""

from __future__ import annotations

import asyncio
import io
from datetime import datetime, timedelta

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display, no GUI toolkit

from matplotlib import dates as mdates  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bot.history import HistoryView  # noqa: E402
from bot.models import Severity  # noqa: E402
from bot.render import human_duration  # noqa: E402

WIDTH_IN, DPI = 8.0, 100  # 800 px wide: readable in a chat column without zooming
MAX_STRIPS = 8  # the service, then the components with the most trouble
MAX_LABELS = 6
MIN_MARK = 0.004  # of the chart's width
LABEL_ROOM = 0.16  # of the chart's width, between two incident labels
BACKGROUND, INK, MUTED = "#ffffff", "#1f2328", "#57606a"
UNKNOWN = "#d0d7de"
COLOURS: dict[Severity, str] = {
    Severity.OPERATIONAL: "#2da44e",
    Severity.MAINTENANCE: "#0969da",
    Severity.DEGRADED: "#d4a72c",
    Severity.PARTIAL_OUTAGE: "#e16f24",
    Severity.MAJOR_OUTAGE: "#cf222e",
}
LEGEND = (
    (Severity.OPERATIONAL, "operational"),
    (Severity.DEGRADED, "degraded"),
    (Severity.PARTIAL_OUTAGE, "partial outage"),
    (Severity.MAJOR_OUTAGE, "major outage"),
    (Severity.MAINTENANCE, "maintenance"),
)
ALL = "All components"
PROBES = "Our probes"  # a strip of its own: our own checks, not the official page


def draw(view: HistoryView) -> Figure:
    probes = view.probe_spans()
    strips: list[str | None] = [None, *([PROBES] if probes else []), *view.components]
    strips = strips[:MAX_STRIPS]
    height = 1.5 + 0.42 * len(strips)
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI, facecolor=BACKGROUND)
    ax = fig.add_axes((0.2, 0.32 / height * 1.6, 0.77, 1 - 1.05 / height))
    ax.set_facecolor(BACKGROUND)
    start_num, end_num = mdates.date2num(view.start), mdates.date2num(view.end)
    for row, component in enumerate(strips):
        y = len(strips) - 1 - row
        spans = probes if component == PROBES and probes else view.spans(component)
        bars = [
            (mdates.date2num(a), mdates.date2num(b) - mdates.date2num(a), s) for a, b, s in spans
        ]
        # Operational first, trouble on top, never thinner than a few pixels: a 20-minute
        # outage is a sliver of 90 days but the reason anyone looks.
        least = (end_num - start_num) * MIN_MARK
        for severity in (Severity.OPERATIONAL, None, *sorted(COLOURS)[1:]):
            chosen = [
                (x, w)
                if severity in (Severity.OPERATIONAL, None)
                else _widened(x, w, least, end_num)
                for x, w, s in bars
                if s == severity
            ]
            if chosen:
                colour = UNKNOWN if severity is None else COLOURS[severity]
                ax.broken_barh(chosen, (y + 0.12, 0.76), facecolors=colour, linewidth=0)
    labels = [ALL if c is None else _short(c) for c in strips]
    ax.set_yticks([len(strips) - 1 - i + 0.5 for i in range(len(strips))], labels)
    ax.set_ylim(0, len(strips) + 0.9)
    ax.set_xlim(start_num, end_num)
    _label_incidents(ax, view, len(strips))
    locator = mdates.AutoDateLocator(minticks=4, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(locator)
    formatter.offset_formats = [""] * 6  # the title names the period
    ax.xaxis.set_major_formatter(formatter)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(MUTED)
    ax.tick_params(colors=INK, labelsize=9, length=0)
    ax.tick_params(axis="x", length=3, color=MUTED)
    fig.suptitle(
        f"{view.name} · {view.period.words} · uptime {view.uptime.text()}",
        x=0.02,
        ha="left",
        fontsize=12,
        fontweight="bold",
        color=INK,
    )
    _legend(fig)
    return fig


def _widened(x: float, width: float, least: float, end: float) -> tuple[float, float]:
    """A mark at least `least` wide, kept inside the chart (the minute now is at its edge)."""
    width = max(width, least)
    return (min(x, end - width), width)


def _label_incidents(ax: object, view: HistoryView, rows: int) -> None:
    """The longest incidents get their duration (and the official page's lag) above the
    service strip."""
    ended = [i for i in view.incidents if i.duration_s is not None]
    longest = sorted(ended, key=lambda i: -(i.duration_s or 0))[:MAX_LABELS]
    room = (view.end - view.start) * LABEL_ROOM
    placed: list[datetime] = []
    for incident in sorted(longest, key=lambda i: -(i.duration_s or 0)):
        middle = incident.first_signal_at + timedelta(seconds=(incident.duration_s or 0) / 2)
        if not view.start <= middle <= view.end:
            continue
        if any(abs(middle - other) < room for other in placed):
            continue  # a longer incident's label is there already
        placed.append(middle)
        text = human_duration(incident.duration_s or 0)
        if incident.lag_s:
            text += f"\nofficial +{human_duration(incident.lag_s)}"
        where = (middle - view.start) / (view.end - view.start)
        align = "right" if where > 0.9 else "left" if where < 0.1 else "center"
        ax.annotate(  # type: ignore[attr-defined]
            text,
            (mdates.date2num(middle), rows - 0.1),
            xytext=(0, 4),
            textcoords="offset points",
            ha=align,
            va="bottom",
            fontsize=7.5,
            color=INK,
        )


def _legend(fig: Figure) -> None:
    x = 0.02
    for severity, words in LEGEND:
        fig.text(x, 0.03, "■", color=COLOURS[severity], fontsize=11, va="bottom")
        fig.text(x + 0.022, 0.035, words, color=INK, fontsize=8.5, va="bottom")
        x += 0.04 + 0.0105 * len(words)
    fig.text(x, 0.03, "■", color=UNKNOWN, fontsize=11, va="bottom")
    fig.text(x + 0.022, 0.035, "no data", color=INK, fontsize=8.5, va="bottom")


def _short(name: str, limit: int = 24) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def png_bytes(view: HistoryView) -> bytes:
    """The chart as PNG bytes (blocking: call `render_png` from async code)."""
    buffer = io.BytesIO()
    draw(view).savefig(buffer, format="png", dpi=DPI, facecolor=BACKGROUND)
    return buffer.getvalue()


async def render_png(view: HistoryView) -> bytes:
    """Draw off the event loop: a 90-day chart takes a noticeable fraction of a second."""
    return await asyncio.to_thread(png_bytes, view)
