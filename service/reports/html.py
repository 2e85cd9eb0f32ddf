"""The HTML report (Jinja2, autoescaped) with its charts inline as SVG."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from . import charts
from .document import Report, input_rows

__all__ = ["render_html"]

_ENV = Environment(
    loader=PackageLoader("service.reports", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def money(value: float) -> str:
    """$1,234,567 (negative as -$1,234)."""
    return f"-${-value:,.0f}" if value < 0 else f"${value:,.0f}"


def num(value: float) -> str:
    """1,234.5"""
    return f"{value:,.1f}"


def pct(value: float) -> str:
    """12.3%"""
    return f"{100 * value:.1f}%"


def _charts(report: Report) -> dict[str, Markup | None]:
    result = report.result
    out: dict[str, Markup | None] = {
        "distribution": Markup(
            charts.distribution(
                result.samples["annual_cost"],
                result.annual_cost,
                [e.threshold for e in result.exceedance],
                "year-1 net cost",
            )
        ),
        "components": Markup(charts.components(result.components)),
        "fan": Markup(charts.fan(result.years)) if len(result.years) > 1 else None,
        "tornado": None,
        "savings": None,
    }
    if report.sensitivity is not None and report.sensitivity.tornado:
        out["tornado"] = Markup(charts.tornado(report.sensitivity.tornado, report.sensitivity.base))
    if report.comparison is not None:
        out["savings"] = Markup(charts.savings(report.comparison.alternatives))
    return out


def render_html(report: Report) -> str:
    """The full HTML document of ``report``."""
    result = report.result
    key_rows: list[tuple[str, Any, Callable[[float], str]]] = [
        ("Net cost, marginal basis", result.annual_cost, money),
    ]
    if result.average_basis is not None:
        key_rows.append(("Net cost, average basis", result.average_basis["annual_cost"], money))
    key_rows += [
        ("Detainers received", result.detainers, num),
        ("Detainers honored", result.honored, num),
        ("Transfers to ICE", result.transfers, num),
        ("Bed-days, hold", result.hold_bed_days, num),
        ("Bed-days, longer stays", result.extra_bed_days, num),
        ("Beds occupied (average)", result.average_beds_occupied, num),
    ]
    if result.per_capita_cost is not None:
        key_rows.append(("Cost per resident", result.per_capita_cost, lambda v: f"${v:,.2f}"))
    template = _ENV.get_template("report.html")
    return template.render(
        report=report,
        result=result,
        scenario=report.scenario,
        sensitivity=report.sensitivity,
        comparison=report.comparison,
        charts=_charts(report),
        inputs=input_rows(report.scenario),
        key_rows=key_rows,
        money=money,
        num=num,
        pct=pct,
    )
