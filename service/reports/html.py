"""The HTML report (Jinja2, autoescaped) with its charts inline as SVG."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from models.results import SimulationResult

from . import charts
from . import formatting as fmt
from .document import (
    Report,
    cost_basis,
    extra_stay_text,
    first_year_name,
    hold_rule_text,
    input_rows,
    quantity_format,
    summary_paragraphs,
    year_cell,
    year_columns,
    year_name,
)
from .labels import component_label, label

__all__ = ["money", "render_html"]

_ENV = Environment(
    loader=PackageLoader("service.reports", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

#: Kept for callers of the old name: the report's money format.
money = fmt.money


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


Row = tuple[str, Any, Callable[[float], str]]


def _cost_rows(report: Report) -> list[Row]:
    """The dollar rows: year 1 and (over several years) the horizon, on the result's
    basis, from the inputs alone (the parameter range) and on the average basis."""
    result = report.result
    basis = result.cost_basis
    alone = result.parameter_range
    average = result.average_basis or {}
    periods = [("annual_cost", "year 1")]
    if len(result.years) > 1:
        periods.append(("total_cost", "all years"))
    rows: list[Row] = []
    for key, period in periods:
        rows.append((f"Net cost, {period}, {basis} basis", getattr(result, key), fmt.money))
        if key in alone:
            rows.append((f"Net cost, {period}, from the inputs alone", alone[key], fmt.money))
        if key in average:
            rows.append((f"Net cost, {period}, average basis", average[key], fmt.money))
    if len(result.years) > 1:
        rows.append(("Present value, all years", result.present_value, fmt.money))
    return rows


def key_rows(report: Report) -> list[Row]:
    """(label, summary, format) of the key figures of year 1 and the horizon."""
    result = report.result
    rows = _cost_rows(report)
    for key in ("detainers", "honored", "transfers", "hold_bed_days", "extra_bed_days"):
        rows.append((label(key), getattr(result, key), quantity_format(key)))
    rows.append((label("average_beds_occupied"), result.average_beds_occupied, fmt.number))
    for key in ("detainer_bed_days", "detainer_days_cost"):
        upper = getattr(result, key)  # an upper bound, beside the cost, in no total
        if upper is not None:
            rows.append((label(key), upper, quantity_format(key)))
    if result.per_capita_cost is not None:
        rows.append(("Net cost per resident", result.per_capita_cost, fmt.money))
    if result.budget_share is not None:
        rows.append(("Share of the annual budget", result.budget_share, fmt.share))
    return rows


#: Components beyond the chain's, said in the method section when a result has them.
_MORE_COUNTED = {
    "staff": "staff time per detainer (processing, notifying ICE, coordinating transfers)",
    "program": "the program's fixed yearly cost (e.g. 287(g) officers, training, software)",
}


def counted_text(result: SimulationResult) -> str:
    """What the cost counts, in words: the chain's components, and staff time, a
    program's cost and federal payments per hold when the result has them."""
    costs = ["detainer processing", "transport", "liability claims"]
    costs += [words for key, words in _MORE_COUNTED.items() if key in result.components]
    offsets = ["SCAAP and other reimbursement"]
    if "federal_payment" in result.components:
        offsets.append("federal payments per honored detainer")
    return (
        "Hold days and the longer stays that detainers cause (lost bail, pretrial release "
        f"or diversion), priced per bed-day; {', '.join(costs)}; less {' and '.join(offsets)}."
    )


def render_html(report: Report) -> str:
    """The full HTML document of ``report``."""
    result = report.result
    template = _ENV.get_template("report.html")
    return template.render(
        report=report,
        result=result,
        scenario=report.scenario,
        sensitivity=report.sensitivity,
        comparison=report.comparison,
        charts=_charts(report),
        summary=summary_paragraphs(report),
        cost_basis=cost_basis(report),
        hold_rule=hold_rule_text(report),
        extra_stay=extra_stay_text(report),
        inputs=input_rows(report.scenario),
        key_rows=key_rows(report),
        year_columns=year_columns(result.years),
        year_cell=year_cell,
        year_name=year_name,
        first_year=first_year_name(result),
        fiscal_year=report.fiscal_year,
        counted=counted_text(result),
        component_label=component_label,
        label=label,
        fmt=fmt,
        money=fmt.money,
    )
