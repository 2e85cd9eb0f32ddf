"""Charts of a result, as inline SVG strings.

matplotlib's object API only (``Figure`` with the SVG backend; never pyplot state in
the server). Output is deterministic: a fixed SVG hash salt, no date in the metadata,
text kept as text. Gray tones, line styles and (for offsets) hatching, so a chart reads in
grayscale; axes labelled, money in dollars.

Thread safety: the style (``RC``) is matplotlib's global rcParams, set by
``matplotlib.rc_context`` for the time a chart is drawn, and some of it
(``svg.hashsalt``, ``svg.fonttype``) is read only when the SVG is written, so it cannot
be given per figure. Under gunicorn's threaded workers two requests may draw at once,
and one thread leaving its ``rc_context`` would reset the style under the other; so
every chart is drawn and written while holding one module lock (``_style``).
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib
import numpy as np
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, MaxNLocator
from numpy.typing import NDArray

from models.analyses import Alternative, TornadoBar
from models.results import Summary, YearSummary

from .formatting import money_short
from .formatting import share as share_label
from .labels import component_label, label

__all__ = [
    "components",
    "contributors",
    "distribution",
    "fan",
    "savings",
    "stay_histogram",
    "tornado",
]

RC: Any = {
    "svg.hashsalt": "detainer-cost",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    # plain numbers on count axes: no "1e6" multiplier, no "+2.026e3" offset
    "axes.formatter.useoffset": False,
    "axes.formatter.limits": (-9, 15),
}
DARK, MID, LIGHT = "#222222", "#777777", "#c8c8c8"
_LOCK = threading.RLock()


@contextmanager
def _style() -> Iterator[None]:
    """The chart style, for this thread alone: the lock, then ``RC`` in rcParams."""
    with _LOCK, matplotlib.rc_context(RC):
        yield


def dollars(value: float, _pos: object = None) -> str:
    """$1.2M, $350K, $900."""
    return money_short(value)


class Dollars(Formatter):
    """Dollar ticks that are all distinct: as few decimals as tell them apart
    ($1.2M, $1.25M, $1.3M rather than $1.2M, $1.2M, $1.3M)."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        return dollars(x)

    def format_ticks(self, values: Any) -> list[str]:
        values = list(values)
        for decimals in range(1, 5):
            labels = [money_short(v, decimals) for v in values]
            if decimals == 1:
                labels = [dollars(v) for v in values]
            if len(set(labels)) == len(labels):
                return labels
        return labels


_ID = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')


def _svg(fig: Figure, prefix: str) -> str:
    """The figure as inline SVG, every id and reference prefixed with ``prefix`` so that
    several charts can share one HTML document without clashing ids."""
    out = io.StringIO()
    with _style():
        FigureCanvasSVG(fig).print_svg(  # type: ignore[no-untyped-call]
            out, metadata={"Date": None, "Creator": None}
        )
    text = out.getvalue()
    text = text[text.index("<svg") :]  # drop the XML prolog and doctype: inline in HTML
    return _ID.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", text)


def _figure(width: float = 6.5, height: float = 2.5) -> Figure:
    with _style():
        fig = Figure(figsize=(width, height), layout="constrained")
    return fig


def distribution(
    samples: NDArray[np.float64], summary: Summary, thresholds: Sequence[float], title: str
) -> str:
    """Histogram of year-1 net cost with its percentiles and thresholds marked."""
    with _style():
        fig = _figure()
        ax = fig.add_subplot()
        # one outlined shape, not 50 bars: a smaller SVG for WeasyPrint to draw
        ax.hist(samples, bins=50, histtype="stepfilled", color=LIGHT, edgecolor=MID, linewidth=0.6)
        styles = {"p5": ":", "p50": "-", "p95": "--"}
        for key, style in styles.items():
            if key in summary.percentiles:
                ax.axvline(
                    summary.percentiles[key],
                    color=DARK,
                    linestyle=style,
                    linewidth=1.2,
                    label=f"{key} {dollars(summary.percentiles[key])}",
                )
        for t in thresholds:
            ax.axvline(t, color=MID, linestyle="-.", linewidth=1.2, label=f"threshold {dollars(t)}")
        ax.xaxis.set_major_formatter(Dollars())
        ax.set_xlabel(title)
        ax.set_ylabel("trials")
        counts = ax.yaxis.get_major_locator()
        if isinstance(counts, MaxNLocator):
            counts.set_params(integer=True)  # trials are counted: 5, 10, never 2.5
        ax.legend(frameon=False, fontsize=8)
        return _svg(fig, "distribution")


def components(summaries: Mapping[str, Summary]) -> str:
    """Mean of each cost component and offset (offsets negative), horizontal bars."""
    with _style():
        # components that are zero in every trial stay in the table, not the chart
        keys = [k for k, s in summaries.items() if s.min != 0 or s.max != 0] or list(summaries)
        names = [component_label(k) for k in keys]
        means = [summaries[k].mean for k in keys]
        fig = _figure(height=0.3 * len(names) + 0.8)
        ax = fig.add_subplot()
        bars = ax.barh(
            names,
            means,
            color=[LIGHT if m >= 0 else "white" for m in means],
            edgecolor=DARK,
            linewidth=0.6,
        )
        for bar, m in zip(bars, means, strict=True):
            if m < 0:
                bar.set_hatch("///")
        ax.axvline(0, color=DARK, linewidth=0.8)
        ax.invert_yaxis()
        ax.xaxis.set_major_formatter(Dollars())
        ax.set_xlabel("mean year-1 amount (offsets hatched, negative)")
        return _svg(fig, "components")


def fan(years: Sequence[YearSummary]) -> str:
    """Net cost by year: median line, 25-75 and 5-95 bands."""
    with _style():
        fig = _figure()
        ax = fig.add_subplot()
        x = [y.year for y in years]

        def band(lo: str, hi: str) -> tuple[list[float], list[float]] | None:
            if all(lo in y.net_cost.percentiles and hi in y.net_cost.percentiles for y in years):
                return (
                    [y.net_cost.percentiles[lo] for y in years],
                    [y.net_cost.percentiles[hi] for y in years],
                )
            return None

        outer, inner = band("p5", "p95"), band("p25", "p75")
        if outer:
            ax.fill_between(x, *outer, color=LIGHT, label="5th-95th percentile")
        if inner:
            ax.fill_between(x, *inner, color=MID, alpha=0.6, label="25th-75th percentile")
        median = [y.net_cost.percentiles.get("p50", y.net_cost.mean) for y in years]
        ax.plot(x, median, color=DARK, marker="o", linewidth=1.5, label="median")
        ax.yaxis.set_major_formatter(Dollars())
        fiscal = any(y.label for y in years)  # FY2027: fiscal years, by their labels
        ax.set_xlabel("fiscal year" if fiscal else "year")
        ax.set_ylabel("net cost")
        step = 1 if len(x) <= 10 else 2 if len(x) <= 20 else 5  # readable, never crowded
        names = [y.label or str(y.year) for y in years]
        ax.set_xticks(x[::step], names[::step])
        ax.legend(frameon=False, fontsize=8)
        return _svg(fig, "fan")


def tornado(bars: Sequence[TornadoBar], base: float) -> str:
    """Year-1 net cost with each input at its 10th and 90th percentile."""
    with _style():
        fig = _figure(height=0.4 * len(bars) + 0.9)
        ax = fig.add_subplot()
        names = [label(b.input) for b in bars]
        for i, b in enumerate(bars):
            ax.barh(i, b.low - base, left=base, color=LIGHT, edgecolor=DARK, linewidth=0.6)
            # solid tones, not a hatch: a dotted hatch is a large SVG that WeasyPrint
            # takes most of a second to draw (benchmarks/bench_report.py)
            ax.barh(i, b.high - base, left=base, color=MID, edgecolor=DARK, linewidth=0.6)
        ax.axvline(base, color=DARK, linewidth=0.8)
        ax.set_yticks(range(len(names)), names)
        ax.invert_yaxis()
        ax.xaxis.set_major_formatter(Dollars())
        ax.set_xlabel(
            "mean year-1 net cost\nwith the input at its 10th percentile (light) or 90th (dark)"
        )
        return _svg(fig, "tornado")


def savings(alternatives: Sequence[Alternative]) -> str:
    """Paired savings (baseline minus alternative) of each alternative, year 1."""
    with _style():
        fig = _figure()
        ax = fig.add_subplot()
        styles = ["-", "--", ":", "-."]
        for i, alt in enumerate(alternatives):
            d = alt.difference.samples["annual_cost"]
            ax.hist(
                d,
                bins=50,
                histtype="stepfilled" if i == 0 else "step",
                color=LIGHT,
                edgecolor=DARK,
                linestyle=styles[i % 4],
                linewidth=1.0,
                label=alt.name,
            )
        ax.axvline(0, color=DARK, linewidth=0.8)
        ax.xaxis.set_major_formatter(Dollars())
        ax.set_xlabel("year-1 savings: baseline minus alternative")
        ax.set_ylabel("trials")
        ax.legend(frameon=False, fontsize=8)
        return _svg(fig, "savings")


def stay_histogram(
    bands: Sequence[str], groups: Sequence[tuple[str, Sequence[int], Sequence[int]]]
) -> str:
    """Bookings by length of stay, one panel per group (its own scale: the groups differ
    in size), released and still in custody stacked in each band.

    ``bands`` are the bands' short labels; each group is (title, released counts,
    in-custody counts), one count per band.
    """
    with _style():
        fig = _figure(height=1.45 * len(groups) + 0.7)
        axes = fig.subplots(len(groups), 1, sharex=True, squeeze=False)[:, 0]
        x = np.arange(len(bands))
        for ax, (title, released, in_custody) in zip(axes, groups, strict=True):
            ax.bar(x, released, color=LIGHT, edgecolor=DARK, linewidth=0.6, label="released")
            ax.bar(
                x,
                in_custody,
                bottom=released,
                color=MID,
                edgecolor=DARK,
                linewidth=0.6,
                label="still in custody (time so far)",
            )
            ax.set_title(title, fontsize=9, loc="left")
            ax.set_ylabel("bookings")
            ax.yaxis.get_major_locator().set_params(integer=True)
        axes[0].legend(frameon=False, fontsize=8)
        axes[-1].set_xticks(x, list(bands), rotation=30, ha="right", rotation_mode="anchor")
        axes[-1].set_xlabel("length of stay (h: hours, d: days)")
        return _svg(fig, "stays")


def _short(name: str, width: int = 40) -> str:
    """A name cut to ``width`` characters (with an ellipsis) for an axis label."""
    return name if len(name) <= width else name[: width - 1].rstrip() + "\u2026"


def contributors(
    bars: Sequence[tuple[str, float, float, float, float]], title: str = "mean year-1 net cost"
) -> str:
    """The largest contributors to a roll-up's total, largest at the top: each bar the
    mean, its whisker the 5th to 95th percentile, its end labelled with the share of the
    total's mean.

    ``bars`` are (name, mean, p5, p95, share) in rank order, as the result ranks them.
    """
    with _style():
        fig = _figure(height=0.3 * len(bars) + 0.9)
        ax = fig.add_subplot()
        names = [_short(b[0]) for b in bars]
        means = np.array([b[1] for b in bars])
        low = np.maximum(means - np.array([b[2] for b in bars]), 0.0)
        high = np.maximum(np.array([b[3] for b in bars]) - means, 0.0)
        y = np.arange(len(bars))
        ax.barh(
            y,
            means,
            color=[LIGHT if m >= 0 else "white" for m in means],
            edgecolor=DARK,
            linewidth=0.6,
            xerr=np.vstack([low, high]),
            error_kw={"ecolor": DARK, "elinewidth": 0.8, "capsize": 2},
        )
        for i, b in enumerate(bars):
            ax.annotate(
                share_label(b[4]),
                (max(b[1], b[3]), i),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=7.5,
                color=DARK,
            )
        ax.axvline(0, color=DARK, linewidth=0.8)
        ax.set_yticks(y, names)
        ax.invert_yaxis()
        ax.margins(x=0.12)
        ax.xaxis.set_major_formatter(Dollars())
        ax.set_xlabel(title)  # the caption says what bars, lines and labels are
        return _svg(fig, "contributors")
