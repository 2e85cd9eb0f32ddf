"""Human labels for what reports name: scenario fields, cost components, result
quantities. A name with no label here still reads as words (``label``), never as an
identifier with underscores or dots.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from models.scenario import FIELDS

from . import formatting as fmt

__all__ = [
    "COMPONENT_LABELS",
    "EXTRA_STAY_APPLIES_TO",
    "FIELD_LABELS",
    "HOLD_RULES",
    "component_label",
    "describe_schedule",
    "describe_value",
    "label",
    "month_name",
    "plain_text",
    "unit_text",
]

FIELD_LABELS: dict[str, str] = {
    "name": "Name",
    "description": "Description",
    "detainers_per_year": "Detainers a year",
    "bookings_per_year": "Bookings a year",
    "detainer_rate": "Detainers per booking",
    "match_rate": "Fingerprint match rate",
    "detainers_per_match": "Detainers per fingerprint match",
    "honor_rate": "Share of detainers honored",
    "hold_hours": "Hold length",
    "hold_rule": "Hold rule",
    "release_weekday_weights": "Release days of the week",
    "hold_window_used": "Share of the hold used",
    "extra_days_per_detainer": "Longer stay per detainer",
    "extra_days_cv": "Person-to-person variation of the longer stay",
    "extra_stay_applies_to": "Which detainers lengthen the stay",
    "detainer_days_per_detainer": "Detainer-days per detainer (upper bound)",
    "detainer_bed_days": "Detainer-days (upper bound, not in the cost)",
    "detainer_days_cost": "Cost of detainer-days (upper bound, not in the totals)",
    "daily_cost": "Daily cost of a bed, marginal",
    "daily_cost_average": "Daily cost of a bed, fully loaded average",
    "admin_cost_per_detainer": "Processing cost per detainer",
    "ice_pickup_rate": "Share of holds ending in ICE pickup",
    "transport_cost_per_transfer": "Transport cost per transfer to ICE",
    "payment_per_honored_detainer": "Federal payment per honored detainer",
    "staff_hours_per_detainer": "Staff hours per detainer",
    "staff_hourly_cost": "Cost of a staff hour",
    "program_cost_per_year": "Program cost a year (e.g. 287(g))",
    "liability.claims_per_1000_honored": "Liability claims per 1,000 honored detainers",
    "liability.cost_per_claim": "Cost per liability claim",
    "offsets.scaap_eligible_share": "Share of costs eligible for SCAAP",
    "offsets.scaap_reimbursement_rate": "Share of eligible costs SCAAP pays",
    "offsets.other_reimbursement": "Other reimbursement a year",
    "capacity.rated_beds": "Rated jail capacity",
    "capacity.baseline_adp": "Average daily population without detainers",
    "capacity.overflow_daily_cost": "Daily cost of a bed above capacity",
    "horizon_years": "Years simulated",
    "start_year": "First year",
    "fiscal_year_start_month": "First month of the fiscal year",
    "bookings_growth": "Growth of bookings a year",
    "cost_inflation": "Cost inflation a year",
    "discount_rate": "Discount rate",
    "population": "County population",
    "annual_budget": "Annual budget",
    "thresholds": "Cost thresholds",
    "percentiles": "Percentiles reported",
    "sampling": "Sampling method",
    "correlations": "Correlations between inputs",
    "precision": "Precision target",
    "trials": "Trials",
    "seed": "Random seed",
}

COMPONENT_LABELS: dict[str, str] = {
    "hold": "The hold",
    "extra_stay": "Longer stays",
    "overflow_premium": "Beds above capacity (premium)",
    "admin": "Detainer processing",
    "transport": "Transport to ICE",
    "liability": "Liability claims",
    "scaap_reimbursement": "SCAAP reimbursement",
    "other_reimbursement": "Other reimbursement",
    "federal_payment": "Federal payments per hold",
    "staff": "Staff time",
    "program": "Program (e.g. 287(g))",
}

QUANTITY_LABELS: dict[str, str] = {
    "annual_cost": "Net cost, year 1",
    "total_cost": "Net cost, whole horizon",
    "present_value": "Present value, whole horizon",
    "net_cost": "Net cost",
    "bed_days": "Bed-days",
    "hold_bed_days": "Bed-days of holds",
    "extra_bed_days": "Bed-days of longer stays",
    "detainers": "Detainers received",
    "honored": "Detainers honored",
    "transfers": "Transfers to ICE",
    "average_beds_occupied": "Beds occupied (average)",
    "per_capita_cost": "Net cost per resident, year 1",
    "budget_share": "Share of the annual budget, year 1",
}

#: The values of ``hold_rule`` (the scenario's and each year's), in words.
HOLD_RULES: dict[str, str] = {
    "business_hours": "business hours (weekends and holidays not counted)",
    "clock_hours": "clock hours",
    "business_hours_then_clock_hours": "business hours, then clock hours from 2 April",
    "form_in_force": "the rule of the detainer form in force each year",
}

#: The same, short, for a table cell.
HOLD_RULES_SHORT: dict[str, str] = {
    "business_hours": "business hours",
    "clock_hours": "clock hours",
    "business_hours_then_clock_hours": "business, then clock hours",
}

#: The values of ``extra_stay_applies_to``, in words.
EXTRA_STAY_APPLIES_TO: dict[str, str] = {
    "honored": "detainers the jail honors",
    "lodged": "every detainer lodged, honored or not",
}

_CHOICES = {"hold_rule": HOLD_RULES, "extra_stay_applies_to": EXTRA_STAY_APPLIES_TO}

_UNITS = {
    "share (0-1)": "percent",
    "share a year": "percent a year",
    "relative half-width": "share of the estimate",
    # one long word that a narrow column breaks mid-word ("Sund ay")
    "relative weight, Monday..Sunday": "relative weight, Monday to Sunday",
}


def label(name: str) -> str:
    """The human label of a field or quantity (``offsets.scaap_reimbursement_rate``:
    "Share of eligible costs SCAAP pays"); an unknown name as words."""
    if name.startswith("input:"):
        name = name[len("input:") :]
    known = FIELD_LABELS.get(name) or QUANTITY_LABELS.get(name) or COMPONENT_LABELS.get(name)
    if known:
        return known
    words = name.rsplit(".", 1)[-1].replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def component_label(name: str) -> str:
    """The label of a cost component (``extra_stay``: "Longer stays")."""
    return COMPONENT_LABELS.get(name) or label(name)


_TICKED = re.compile(r"`([^`]*)`")
#: Names that free text (a field's meaning, a preset's description) may write bare.
_OTHER_NAMES = {"cost_basis": "cost basis", "parameter_range": "range from the inputs alone"}
#: A name with an underscore, written bare in free text.
_BARE_FIELD = re.compile(
    r"(?<![\w.`])("
    + "|".join(
        re.escape(n)
        for n in sorted(
            {*FIELD_LABELS, *COMPONENT_LABELS, *QUANTITY_LABELS, *_OTHER_NAMES},
            key=len,
            reverse=True,
        )
        if "_" in n
    )
    + r")(?![\w`])"
)
_SENTENCE_GAP = re.compile(r"([a-z0-9)%][.!?])([A-Z])")


def plain_text(text: str) -> str:
    """Text for a reader: a backticked field name becomes its label in lower case, other
    backticks go, and sentences run together get their space back."""

    def untick(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in _OTHER_NAMES:
            return _OTHER_NAMES[name]
        if name in FIELD_LABELS or name in COMPONENT_LABELS or name in QUANTITY_LABELS:
            words = label(name)
            head, sep, qualifier = words.partition(", ")
            if sep:  # in running text "X, marginal" reads as a list: "X (marginal)"
                words = f"{head} ({qualifier})"
            return words[:1].lower() + words[1:]
        return name

    text = _TICKED.sub(untick, text)
    text = _BARE_FIELD.sub(lambda m: untick(m), text)
    return _SENTENCE_GAP.sub(r"\1 \2", text)


def unit_text(unit: str) -> str:
    """A field's unit as a reader reads it (shares are shown as percents)."""
    return _UNITS.get(unit, unit)


_BY_NAME = {f.name: f for f in FIELDS}


def formatter(name: str) -> Callable[[float], str]:
    """How a value of field ``name`` is written: percent, money, count, year or number."""
    field = _BY_NAME.get(name)
    unit = field.unit if field is not None else ""
    if name == "start_year":
        return fmt.year
    if name == "hold_hours":
        return fmt.hours
    if unit.startswith("share"):
        return fmt.share
    if unit.startswith("US dollars"):
        return fmt.money
    if field is not None and field.count:
        return fmt.count
    return fmt.plain


def _family(spec: Mapping[str, Any], f: Callable[[float], str]) -> str:
    kind = spec.get("dist")
    g = {k: v for k, v in spec.items() if k not in ("dist", "note")}

    def v(key: str) -> str:
        return f(g[key])

    if kind == "fixed":
        return v("value")
    if kind in ("uniform", "range") or (kind in ("triangular", "pert") and "mode" in g):
        span = f"{v('low')} to {v('high')}"
        if kind == "uniform":
            return f"{span}, uniform"
        if kind == "range":
            return f"{span} (90% range, {g.get('shape', 'lognormal')})"
        shape = "PERT" if kind == "pert" else "triangular"
        return f"{span}, most likely {v('mode')} ({shape})"
    if kind == "beta" and "successes" in g:
        return f"{fmt.plain(g['successes'])} in {fmt.plain(g['trials'])} (beta)"
    if kind == "empirical":
        values = g.get("values") or []
        nums = [x for x in values if isinstance(x, int | float)]
        if nums:
            return f"{len(nums):,} observed values, {f(min(nums))} to {f(max(nums))}"
    if kind == "negative_binomial":
        return f"mean {v('mean')}, dispersion {fmt.plain(g['dispersion'])} (negative binomial)"
    parts = [
        f"{k} {f(x) if k in ('mean', 'sd', 'low', 'high') else fmt.plain(x)}"
        for k, x in g.items()
        if isinstance(x, int | float)
    ]
    return f"{', '.join(parts)} ({kind})"


MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def month_name(month: int) -> str:
    """The name of month ``month`` (1-12): 7 is "July"."""
    return MONTHS[month - 1]


def describe_schedule(
    name: str,
    value: Mapping[str, Any],
    year_name: Callable[[int], str] = fmt.year,
    *,
    sentence: bool = False,
) -> str:
    """A schedule in words, each value from its year until the next one named: for a
    table "2026-2027: 90%; 2028 onward: 0%", in a ``sentence`` "90% in 2026-2027 and 0%
    from 2028" (years by ``year_name``: FY2027 for fiscal years)."""
    table = value.get("schedule")
    if not isinstance(table, Mapping):
        return "a value per year"
    entries = sorted(
        ((int(y), v) for y, v in table.items() if str(y).lstrip("-").isdigit()),
        key=lambda e: e[0],
    )
    parts = []
    for i, (year, v) in enumerate(entries):
        words = describe_value(name, v, year_name=year_name)
        if i + 1 == len(entries):
            when = f"from {year_name(year)}" if sentence else f"{year_name(year)} onward"
        elif entries[i + 1][0] - 1 == year:
            when = f"in {year_name(year)}" if sentence else year_name(year)
        else:
            span = f"{year_name(year)}\u2013{year_name(entries[i + 1][0] - 1)}"
            when = f"in {span}" if sentence else span
        parts.append(f"{words} {when}" if sentence else f"{when}: {words}")
    if not parts:
        return "a value per year"
    if sentence:
        return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
    return "; ".join(parts)


def describe_value(name: str, value: Any, *, year_name: Callable[[int], str] | None = None) -> str:
    """A field's value in words, in the field's own units: "$55 to $105, uniform",
    "70%", "48 hours", "2026"; a schedule as each value from its year ("2026-2027:
    90%; 2028 onward: 0%"), its years written by ``year_name`` (FY2027 for fiscal
    years; the year itself by default)."""
    f = formatter(name)
    if isinstance(value, Mapping) and "schedule" in value:
        return describe_schedule(name, value, year_name or fmt.year)
    if isinstance(value, Mapping):
        return _family(value, f)
    if name == "fiscal_year_start_month" and isinstance(value, int) and 1 <= value <= 12:
        return month_name(value)
    if name == "release_weekday_weights" and isinstance(value, list):
        days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
        return ", ".join(f"{d} {fmt.plain(w)}" for d, w in zip(days, value, strict=False))
    if name == "percentiles" and isinstance(value, list):
        return ", ".join(f"{fmt.plain(p)}th" for p in value)
    if name == "correlations" and isinstance(value, list):
        return (
            "; ".join(f"{label(c['a'])} and {label(c['b'])}: {fmt.plain(c['rho'])}" for c in value)
            or "none"
        )
    if isinstance(value, list):
        return ", ".join(describe_value(name, x) for x in value) or "none"
    if isinstance(value, str) and value in _CHOICES.get(name, {}):
        return _CHOICES[name][value]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return plain_text(str(value).replace("_", " "))
    return f(value)
