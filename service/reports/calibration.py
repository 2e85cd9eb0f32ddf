"""The calibration report (issue 15): what a calibration from booking records found, as
HTML (the stay histograms inline as SVG) or PDF (the HTML through WeasyPrint).

It renders a :class:`models.calibrate.Calibration` as it stands: the counts, the date
range and formats, the stays of each group in bands, both estimates of the extra stay
(and the regression) with their intervals and which is used and why, the per-class
table, every warning, the fitted scenario inputs with their notes and every skipped row.
Nothing is estimated or re-derived here; every figure is one the calibration holds. The
calibration keeps no booking id, name or other identifying cell, so none can appear.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from models import __version__
from models.calibrate import (
    MIN_CLASS_BOOKINGS,
    MIN_DETAINER_BOOKINGS,
    Calibration,
    Estimate,
    StayHistogram,
)
from models.scenario import FIELDS

from . import FORMATS, Rendered, charts
from . import formatting as fmt
from .document import generation_date
from .labels import describe_value, formatter, label, plain_text

__all__ = [
    "CALIBRATION_FORMATS",
    "MAX_SKIPPED_SHOWN",
    "CalibrationReport",
    "calibration_html",
    "calibration_pdf",
    "render_calibration",
    "stay_bands",
]

#: The formats of a calibration report.
CALIBRATION_FORMATS = ("html", "pdf")
#: Skipped rows listed in the report (the calibration's JSON lists every one).
MAX_SKIPPED_SHOWN = 200

_ENV = Environment(
    loader=PackageLoader("service.reports", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

#: Our column names, as the report names them.
COLUMN_LABELS = {
    "booking_id": "Booking id",
    "booked_at": "Booked at",
    "released_at": "Released at",
    "detainer": "Detainer lodged",
    "detainer_outcome": "Detainer outcome",
    "released_to_ice": "Released to ICE",
    "charge_class": "Charge class",
}

_UNITS = {f.name: f.unit for f in FIELDS}


@dataclass(frozen=True)
class CalibrationReport:
    """A calibration and when its report was made (UTC; ``SOURCE_DATE_EPOCH`` fixes it)."""

    result: Calibration
    generated: dt.date = field(default_factory=generation_date)

    @property
    def title(self) -> str:
        """The calibrated scenario's name ("Calibrated from booking records (file.csv)")."""
        name = self.result.scenario.get("name")
        return name if isinstance(name, str) and name.strip() else "Calibration"


def _finite(value: float | None) -> TypeGuard[float]:
    return value is not None and math.isfinite(value)


def days(value: float | None) -> str:
    """A length in days: 22.4 days; a figure that could not be computed says so."""
    if value is None or not math.isfinite(value):
        return "not computed"
    return f"{fmt.number(value, 1)} days"


def interval(low: float | None, high: float | None, f: Callable[[float], str] = days) -> str:
    """A 95% interval: 18.1 to 26.4 days."""
    if not _finite(low) or not _finite(high):
        return "not computed"
    if f is days:
        return f"{fmt.number(low, 1)} to {days(high)}"
    return f"{f(low)} to {f(high)}"


def _span(edge: float, short: bool) -> str:
    """A band's edge in words: 6 hours, 1 day, 30 days (short: 6h, 1d, 30d)."""
    if edge < 1:
        hours = fmt.plain(edge * 24)
        return f"{hours}h" if short else f"{hours} hours"
    text = fmt.plain(edge)
    if short:
        return f"{text}d"
    return f"{text} day" if text == "1" else f"{text} days"


def stay_bands(edges: tuple[float, ...], *, short: bool = False) -> list[str]:
    """The bands' labels: "under 6 hours", "6 hours to 1 day", ..., "365 days or more"
    (short: "<6h", "6h-1d", ..., "365d+")."""
    out = []
    for i, low in enumerate(edges):
        high = edges[i + 1] if i + 1 < len(edges) else None
        if high is None:
            out.append(f"{_span(low, short)}+" if short else f"{_span(low, short)} or more")
        elif low == 0:
            out.append(f"<{_span(high, short)}" if short else f"under {_span(high, short)}")
        elif short:
            both = _span(low, True), _span(high, True)
            same = both[0][-1] == both[1][-1]
            out.append(f"{both[0][:-1] if same else both[0]}-{both[1]}")
        elif low >= 1:
            out.append(f"{fmt.plain(low)} to {_span(high, False)}")
        else:
            out.append(f"{_span(low, False)} to {_span(high, False)}")
    return out


_SENTENCE_START = re.compile(r"(^|[.!?] )([a-z])")


def _sentences(text: str) -> str:
    """Each sentence starting with a capital (a field's label, lower-cased within the
    text, can start one)."""
    return _SENTENCE_START.sub(lambda m: m.group(1) + m.group(2).upper(), text)


def _estimate_format(name: str) -> Callable[[float], str]:
    if _UNITS.get(name) == "days":
        return days
    return formatter(name)


def _input_rows(result: Calibration) -> list[dict[str, str]]:
    """One row per fitted input: its label, its value in the scenario (in words), the
    estimate with its 95% interval, and its note (or, without one, the method and n)."""
    rows = []
    for e in result.estimates:
        rows.append(_input_row(e))
    for name in ("extra_stay_applies_to",):
        if name in result.scenario:
            rows.append(
                {
                    "label": label(name),
                    "value": describe_value(name, result.scenario[name]),
                    "estimate": "",
                    "note": "set by the calibration: its stay difference compares bookings "
                    "with a lodged detainer against bookings without one",
                }
            )
    return rows


def _input_row(e: Estimate) -> dict[str, str]:
    f = _estimate_format(e.field)
    spec = e.spec
    note = spec.get("note", "") if isinstance(spec, Mapping) else ""
    if e.field == "release_weekday_weights":
        estimate = f"weights {fmt.plain(e.low, 2)} to {fmt.plain(e.high, 2)}"
    elif e.low == e.high:
        estimate = f(e.value)
    else:
        estimate = f"{f(e.value)} ({interval(e.low, e.high, f)})"
    return {
        "label": label(e.field),
        "value": describe_value(e.field, spec),
        "estimate": estimate,
        "note": plain_text(str(note)) if note else f"{plain_text(e.method)}; n = {e.n:,}",
    }


def _stays(stays: StayHistogram) -> dict[str, Any]:
    short = stay_bands(stays.edges, short=True)
    chart = charts.stay_histogram(
        short,
        [
            ("With a detainer", stays.detainer_released, stays.detainer_in_custody),
            ("Without a detainer", stays.other_released, stays.other_in_custody),
        ],
    )
    rows = zip(
        stay_bands(stays.edges),
        stays.detainer_released,
        stays.detainer_in_custody,
        stays.other_released,
        stays.other_in_custody,
        strict=True,
    )
    return {"chart": Markup(chart), "rows": list(rows)}


def calibration_html(report: CalibrationReport) -> str:
    """The full HTML document of the calibration report."""
    result = report.result
    stay = result.extra_stay
    skipped = result.skipped
    return _ENV.get_template("calibration.html").render(
        report=report,
        result=result,
        counts=result.counts,
        stay=stay,
        stays=_stays(result.stays),
        inputs=_input_rows(result),
        warnings=[plain_text(w) for w in result.warnings],
        why=plain_text(stay.why),
        description=_sentences(plain_text(str(result.scenario.get("description", "")))),
        columns=[
            (COLUMN_LABELS.get(ours, label(ours)), theirs)
            for ours, theirs in result.columns.items()
        ],
        skipped=[s.to_dict() for s in skipped[:MAX_SKIPPED_SHOWN]],
        skipped_more=max(len(skipped) - MAX_SKIPPED_SHOWN, 0),
        version=__version__,
        min_detainer=MIN_DETAINER_BOOKINGS,
        min_class=MIN_CLASS_BOOKINGS,
        fmt=fmt,
        days=days,
        interval=interval,
        finite=_finite,
    )


def calibration_pdf(report: CalibrationReport) -> bytes:
    """PDF bytes of the calibration report (Letter, page numbers), loading nothing from
    outside the document."""
    import weasyprint

    from .pdf import RefusingFetcher

    html = weasyprint.HTML(
        string=calibration_html(report), url_fetcher=RefusingFetcher(), base_url="."
    )
    pdf: bytes = html.write_pdf()
    return pdf


def render_calibration(
    result: Calibration,
    fmt_: str,
    *,
    generated: dt.date | None = None,
    check: Callable[[], None] | None = None,
) -> Rendered:
    """The calibration report as ``fmt_`` (``html`` or ``pdf``).

    ``check`` (the service's deadline) is called before and after rendering; an exception
    it raises propagates.

    Raises
    ------
    ValueError
        For a format other than ``html`` or ``pdf``.
    """
    if fmt_ not in CALIBRATION_FORMATS:
        raise ValueError(f"a calibration report is html or pdf, not {fmt_!r}")
    report = CalibrationReport(result, generated or generation_date())
    media_type, extension = FORMATS[fmt_]
    if check is not None:
        check()
    body = calibration_html(report).encode("utf-8") if fmt_ == "html" else calibration_pdf(report)
    if check is not None:
        check()
    return Rendered(body, media_type, extension)
