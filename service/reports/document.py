"""What a report shows, gathered from results: no model arithmetic here, only the
selection and wording of figures the engine computed.

Every format (HTML and PDF, XLSX, CSV) takes its words and rows from here, so that they
say the same things: the summary sentences, the year-by-year rows, the inputs with
their labels and values, and what produced the result.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from models.analyses import Alternative, ComparisonResult, SensitivityResult
from models.calendar import year_bounds
from models.results import SimulationResult, Summary, YearSummary
from models.scenario import FIELDS, Scenario

from . import formatting as fmt
from .labels import (
    HOLD_RULES_SHORT,
    describe_schedule,
    describe_value,
    label,
    month_name,
    plain_text,
    unit_text,
)

__all__ = [
    "REPORT_PERCENTILES",
    "Column",
    "Report",
    "alternative_changes",
    "cost_basis",
    "describe_spec",
    "detainer_days_text",
    "extra_stay_text",
    "first_year_name",
    "fiscal_year_text",
    "generation_date",
    "hold_rule_text",
    "input_rows",
    "quantity_format",
    "ranges_text",
    "split_basis",
    "summary_paragraphs",
    "year_columns",
    "year_name",
]

#: Percentiles every report shows; the service adds them to the scenario's own.
REPORT_PERCENTILES = (5.0, 25.0, 50.0, 75.0, 95.0)


def generation_date() -> dt.date:
    """Today in UTC, or the date of ``SOURCE_DATE_EPOCH`` when it is set (the
    reproducible-builds convention, for byte-identical reports)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    return dt.datetime.now(dt.UTC).date()


@dataclass(frozen=True)
class Report:
    """Everything one report renders.

    Attributes
    ----------
    scenario : Scenario
        The scenario (for a comparison, the baseline).
    result : SimulationResult
        Its result.
    sensitivity : SensitivityResult or None
        For the tornado chart.
    comparison : ComparisonResult or None
        When the report is of a policy comparison.
    overrides : mapping of str to mapping
        Each alternative's overrides, by its name, as the request gave them.
    generated : datetime.date
        When the report was made.
    """

    scenario: Scenario
    result: SimulationResult
    sensitivity: SensitivityResult | None = None
    comparison: ComparisonResult | None = None
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    generated: dt.date = field(default_factory=generation_date)

    @property
    def title(self) -> str:
        """The scenario's name, or a plain default."""
        return self.result.name or "Detainer costs"

    @property
    def description(self) -> str | None:
        """The analyst's description of the scenario, if given."""
        text = self.scenario.canonical.get("description")
        return plain_text(text) if isinstance(text, str) and text.strip() else None

    @property
    def period(self) -> str:
        """2026, or 2026-2030 (with an en dash) for a horizon of several years; fiscal
        years by their labels (FY2027\u2013FY2029)."""
        return period_text(self.result)

    @property
    def fiscal_year(self) -> str | None:
        """When the years are fiscal years, their start month in words (None
        otherwise): "Fiscal years start in July; FY2027 = July 2026\u2013June 2027."."""
        return fiscal_year_text(self.scenario.fiscal_year_start_month, self.result)


def year_name(y: YearSummary) -> str:
    """A simulated year as a reader names it: its label (FY2027) when the result labels
    its years, else the year (2027)."""
    return y.label or fmt.year(y.year)


def first_year_name(result: SimulationResult) -> str:
    """The first simulated year's name (FY2027, or 2027)."""
    if result.years:
        return year_name(result.years[0])
    return fmt.year(result.provenance.start_year)


def period_text(result: SimulationResult) -> str:
    """The horizon's years: 2026, 2026\u20132030, or FY2027\u2013FY2029."""
    years = result.years
    first = first_year_name(result)
    return first if len(years) <= 1 else f"{first}\u2013{year_name(years[-1])}"


def _labelled(result: SimulationResult) -> bool:
    return any(y.label is not None for y in result.years)


def scenario_year_name(scenario: Scenario) -> Callable[[int], str]:
    """How a year the scenario names (its first year, a schedule's years) is written:
    FY2027 when the scenario gives ``fiscal_year_start_month``, else 2027."""

    def name(year: int) -> str:
        return scenario.year_label(year) or fmt.year(year)

    return name


def fiscal_year_text(start_month: int | None, result: SimulationResult) -> str | None:
    """The fiscal year in words when the result labels its years: "Fiscal years start in
    July; FY2027 = July 2026\u2013June 2027." (the engine's year bounds,
    :func:`models.calendar.year_bounds`); without the start month, only how years are
    named. None for calendar years."""
    if not _labelled(result):
        return None
    first = result.years[0]
    named = "named by the calendar year they end in"
    if start_month is None:
        return f"Years are fiscal years, {named} ({year_name(first)} ends in {first.year})."
    begin, after = year_bounds(first.year, start_month)
    last = after - dt.timedelta(days=1)
    return (
        f"Fiscal years start in {month_name(start_month)}, {named}; {year_name(first)} = "
        f"{month_name(begin.month)} {begin.year}\u2013{month_name(last.month)} {last.year}."
    )


def describe_spec(spec: Any, name: str = "") -> str:
    """A value or distribution spec in words, in the units of field ``name``."""
    return describe_value(name, spec)


def _node(canonical: Mapping[str, Any], name: str) -> Any:
    node: Any = canonical
    for part in name.split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


_NUMERIC_KEYS = ("low", "mode", "high", "mean", "sd")

#: A note a preset wrote as ``"<basis>: <note>"`` (models.presets.BASES).
_BASIS = re.compile(r"^(published|derived|assumption):\s*(.*)$", re.S)


def split_basis(note: str) -> tuple[str, str]:
    """A preset's note as (basis, the rest): ``"published: Published: $55 a day"`` is
    ``("published", "$55 a day")``; a note without a basis is ``("", note)``."""
    m = _BASIS.match(note)
    if m is None:
        return "", note
    basis, rest = m.group(1), m.group(2)
    for word in (basis, "derived from the headline", "derived"):
        if rest.lower().startswith(word + ":"):
            rest = rest[len(word) + 1 :].lstrip()
            break
    return basis, rest


def input_rows(scenario: Scenario) -> list[dict[str, Any]]:
    """One row per input given or defaulted.

    Each row: ``key`` (the field's JSON name), ``label``, ``value`` (in words, in the
    field's units), ``unit``, ``meaning``, ``basis`` (a preset's: published, derived or
    assumption; empty otherwise), ``note``, and for machine formats ``number``
    (the value when it is one number), ``dist`` and the numeric parameters ``low``,
    ``mode``, ``high``, ``mean``, ``sd`` (None where they do not apply), ``share`` (True
    when the numbers are shares) and ``money`` (True when they are dollars).
    """
    rows = []
    year = scenario_year_name(scenario)
    fiscal = scenario.fiscal_year_start_month is not None
    for f in FIELDS:
        node = _node(scenario.canonical, f.name)
        if node is None or f.name in ("name", "description"):
            continue
        spec = node if isinstance(node, Mapping) else {}
        basis, note = split_basis(str(spec.get("note", "")))
        number = node if isinstance(node, int | float) and not isinstance(node, bool) else None
        if spec.get("dist") == "fixed":
            number = spec.get("value")
        words = describe_value(f.name, node, year_name=year)
        unit = unit_text(f.unit)
        if f.name == "start_year" and isinstance(node, int) and fiscal:
            words, unit = year(node), "fiscal year, named by the calendar year it ends in"
        elif f.name == "fiscal_year_start_month":
            unit = "month"
        row: dict[str, Any] = {
            "key": f.name,
            "label": label(f.name),
            "value": words,
            "unit": unit,
            "meaning": plain_text(f.description),
            "basis": basis,
            "note": plain_text(note),
            "number": number,
            "dist": "schedule" if "schedule" in spec else spec.get("dist") if spec else None,
            "share": f.unit.startswith("share"),
            "money": f.unit.startswith("US dollars"),
            "year": f.name == "start_year",
        }
        for key in _NUMERIC_KEYS:
            value = spec.get(key)
            row[key] = value if isinstance(value, int | float) else None
        rows.append(row)
    return rows


def quantity_format(name: str) -> Callable[[float], str]:
    """How a result quantity is written: dollars, percents, beds (one decimal) or a count."""
    if name in ("budget_share",) or name.endswith("_share"):
        return fmt.share
    if any(w in name for w in ("cost", "offset", "reimbursement", "value", "saving", "gross")):
        return fmt.money
    if "beds_occupied" in name:
        return fmt.number
    return fmt.count


@dataclass(frozen=True)
class Column:
    """One column of the year-by-year table: a quantity of :class:`YearSummary`."""

    key: str
    label: str
    money: bool
    text: bool = False


_YEAR_ORDER = ("gross_cost", "offsets", "net_cost", "bed_days", "beds_occupied")


def year_columns(years: tuple[YearSummary, ...]) -> list[Column]:
    """The columns the engine's year summaries hold, whatever they are: a quantity the
    engine adds to :class:`YearSummary` appears without a change here. The ones a budget
    table reads in order (cost, offsets, net, bed-days, beds) come first, then the rest
    in the engine's order."""
    if not years:
        return []
    cols = []
    fields = sorted(
        dataclasses.fields(years[0]),
        key=lambda f: _YEAR_ORDER.index(f.name) if f.name in _YEAR_ORDER else len(_YEAR_ORDER),
    )
    for f in fields:
        if f.name in ("year", "label"):  # the year column names the year (FY2027)
            continue
        value = getattr(years[0], f.name)
        if isinstance(value, Summary):
            cols.append(Column(f.name, label(f.name), quantity_format(f.name) is fmt.money))
        elif isinstance(value, str):
            cols.append(Column(f.name, label(f.name), False, text=True))
    return cols


def year_cell(y: YearSummary, col: Column) -> str:
    """A cell of the year table in words (a summary's mean)."""
    value = getattr(y, col.key)
    if col.text:
        if col.key == "hold_rule" and value in HOLD_RULES_SHORT:
            return HOLD_RULES_SHORT[value]
        return describe_value(col.key, value)
    return quantity_format(col.key)(value.mean)


def _range(s: Summary, f: Callable[[float], str] = fmt.money) -> str:
    return f"{f(s.percentiles['p5'])} to {f(s.percentiles['p95'])}"


def cost_basis(report: Report) -> str:
    """The daily cost every cost figure uses, in words."""
    if report.result.cost_basis == "average":
        return "the fully loaded average daily cost (the only daily cost given)"
    return "the marginal daily cost"


def hold_rule_text(report: Report) -> str:
    """The scenario's hold rule in words, when the result names it."""
    return describe_value("hold_rule", report.result.provenance.hold_rule)


def extra_stay_text(report: Report) -> str | None:
    """Which detainers lengthen the stay, and so what not honoring saves, in words."""
    applies = report.result.provenance.extra_stay_applies_to
    if applies == "lodged":
        return (
            "The longer stay is counted for every detainer lodged, honored or not (bail and "
            "release decisions see the detainer either way), so not honoring detainers "
            "saves the hold but not the longer stay."
        )
    if applies == "honored":
        return (
            "The longer stay is counted only for detainers the jail honors, so not honoring "
            "a detainer saves both its hold and its longer stay."
        )
    return None


def detainer_days_text(report: Report) -> str | None:
    """Detainer-days, an upper bound beside the cost, when the result has them."""
    days = report.result.detainer_bed_days
    cost = report.result.detainer_days_cost
    if days is None or cost is None:
        return None
    return (
        f"Detainer-days, every day people with a detainer spend in jail, come to "
        f"{fmt.count(days.percentiles['p50'])} in year 1, worth "
        f"{fmt.money(cost.percentiles['p50'])} at {cost_basis(report)} (medians): an upper "
        "bound on what detainers could cost, not an extra cost, and in none of the totals "
        "above."
    )


def ranges_text(report: Report) -> str | None:
    """The full range and the range from the inputs alone, one sentence on each."""
    pr = report.result.parameter_range
    if "annual_cost" not in pr:
        return None
    r = report.result
    text = (
        f"Two ranges. The full 90% range of the year-1 cost, {_range(r.annual_cost)}, is "
        "what the cost could turn out to be: what we do not know about the county's inputs "
        "together with chance from person to person. The range from the inputs alone, "
        f"{_range(pr['annual_cost'])}, is the spread of the expected cost given each "
        "trial's inputs, without that chance: how much the answer depends on what we do "
        "not know about the county."
    )
    n = len(r.years)
    if n > 1 and "total_cost" in pr:
        text += (
            f" Over the {n} years the full range is {_range(r.total_cost)} and the range "
            f"from the inputs alone {_range(pr['total_cost'])}."
        )
    return text


def _year_one(report: Report) -> list[str]:
    r = report.result
    ac = r.annual_cost
    out = [
        f"In {first_year_name(r)}, honoring immigration detainers is estimated "
        f"to cost {fmt.money(ac.percentiles['p50'])} (median net cost at "
        f"{cost_basis(report)}), with a 90% range of {_range(ac)}."
    ]
    n = len(r.years)
    if n > 1:
        rate = report.scenario.discount_rate
        out.append(
            f"Over the {n} years {report.period} the net cost totals "
            f"{fmt.money(r.total_cost.percentiles['p50'])} (median; 90% range "
            f"{_range(r.total_cost)}), a present value of "
            f"{fmt.money(r.present_value.percentiles['p50'])} at a {fmt.share(rate)} "
            "discount rate."
        )
    if r.average_basis is not None:
        avg = r.average_basis
        text = (
            "At the fully loaded average daily cost, year 1 costs "
            f"{fmt.money(avg['annual_cost'].percentiles['p50'])} (median)"
        )
        if n > 1 and "total_cost" in avg:
            text += (
                f" and the {n} years {fmt.money(avg['total_cost'].percentiles['p50'])} "
                f"(present value {fmt.money(avg['present_value'].percentiles['p50'])})"
            )
        out.append(text + ".")
    return out


def _context(report: Report) -> list[str]:
    r = report.result
    out = []
    for e in r.exceedance:
        out.append(
            f"The chance that the year-1 cost exceeds {fmt.money(e.threshold)} is "
            f"{fmt.share(e.probability)}."
        )
    if r.per_capita_cost is not None and report.scenario.population is not None:
        out.append(
            f"That is {fmt.money(r.per_capita_cost.percentiles['p50'])} per resident "
            f"(median, population {fmt.count(report.scenario.population)})."
        )
    if r.budget_share is not None and report.scenario.annual_budget is not None:
        out.append(
            f"It is {fmt.share(r.budget_share.percentiles['p50'])} of the annual budget of "
            f"{fmt.money(report.scenario.annual_budget)} (median)."
        )
    if r.cost_per_honored_detainer is not None:
        out.append(f"Each honored detainer costs about {fmt.money(r.cost_per_honored_detainer)}.")
    out.append(
        f"Detainer-caused stays occupy on average "
        f"{fmt.number(r.average_beds_occupied.mean)} beds "
        f"({fmt.count(r.hold_bed_days.mean)} bed-days of holds and "
        f"{fmt.count(r.extra_bed_days.mean)} of longer stays in year 1)."
    )
    return out


def _flatten(overrides: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in overrides.items():
        name = f"{prefix}{key}"
        if (
            isinstance(value, Mapping)
            and "dist" not in value
            and name.split(".")[0]
            in (
                "offsets",
                "liability",
                "capacity",
            )
        ):
            out += _flatten(value, f"{name}.")
        else:
            out.append((name, value))
    return out


def _change_words(report: Report, key: str, value: Any) -> str:
    """A value an alternative sets, or the baseline's, in words; a schedule as "90% in
    2026-2027 and 0% from 2028"."""
    year = scenario_year_name(report.scenario)
    if isinstance(value, Mapping) and "schedule" in value:
        return describe_schedule(key, value, year, sentence=True)
    return describe_value(key, value, year_name=year)


def alternative_changes(report: Report, name: str) -> str:
    """What alternative ``name`` changes, in words ("sets share of detainers honored to
    0% (baseline 100%)"); "changes nothing" when it overrides nothing."""
    overrides = report.overrides.get(name) or {}
    parts = []
    for key, value in _flatten(overrides):
        what = label(key)
        what = what[:1].lower() + what[1:]
        if value is None:
            parts.append(f"removes {what}")
            continue
        base = _node(report.scenario.canonical, key)
        was = f" (baseline {_change_words(report, key, base)})" if base is not None else ""
        parts.append(f"sets {what} to {_change_words(report, key, value)}{was}")
    return "; ".join(parts) if parts else "changes nothing"


def alternative_sentence(report: Report, alt: Alternative) -> str:
    """The savings of one alternative, year 1 and over the horizon, with what it changes."""
    d = alt.difference
    n = len(report.result.years)
    text = (
        f"Policy \u201c{alt.name}\u201d {alternative_changes(report, alt.name)}. It saves a "
        f"median of {fmt.money(d.annual_cost.percentiles['p50'])} in year 1 (90% range "
        f"{_range(d.annual_cost)})"
    )
    if n > 1:
        text += (
            f", {fmt.money(d.total_cost.percentiles['p50'])} over the {n} years and "
            f"{fmt.money(d.present_value.percentiles['p50'])} in present value"
        )
    return text + f"; the chance that it saves money is {fmt.share(alt.probability_saves)}."


def summary_paragraphs(report: Report) -> list[str]:
    """The summary, in sentences a reader can quote: year 1, the horizon and its present
    value, both cost bases, thresholds, per resident and budget share; then one paragraph
    per policy alternative."""
    paragraphs = [" ".join(_year_one(report)), " ".join(_context(report))]
    if (ranges := ranges_text(report)) is not None:
        paragraphs.append(ranges)
    if (days := detainer_days_text(report)) is not None:
        paragraphs.append(days)
    if report.comparison is not None:
        paragraphs += [alternative_sentence(report, a) for a in report.comparison.alternatives]
        if (applies := extra_stay_text(report)) is not None:
            paragraphs.append(applies)
    return paragraphs
