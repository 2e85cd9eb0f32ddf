"""The scenario: every input of the model, its unit, default, range and meaning.

``FIELDS`` is the single table the engine validates against; the HTTP layer lists it
as ``GET /v1/parameters``. A scenario is a plain JSON-able mapping; ``parse_scenario``
turns it into a :class:`Scenario` or raises :class:`~models.errors.ScenarioError`
listing every field at fault.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .calendar import FORM_I247A_IN_FORCE, HOLD_RULES
from .distributions import Distribution, as_float, is_number, parse_distribution
from .errors import FieldError, Path, ScenarioError
from .inputs import text_problem
from .sampling import SAMPLING_METHODS, Correlation, correlation_matrix

__all__ = [
    "DEFAULT_SEED",
    "FIELDS",
    "GROUPS",
    "MAX_HORIZON_YEARS",
    "MAX_TRIALS",
    "FieldSpec",
    "Scenario",
    "VolumeForm",
    "parse_scenario",
    "parse_seed",
    "percentile_key",
]

#: The default seed, so that the same scenario always gives the same result.
#: 2877 recalls 8 CFR 287.7, the detainer regulation.
DEFAULT_SEED = 2877
MAX_TRIALS = 1_000_000
MAX_HORIZON_YEARS = 30
MAX_LIST = 20
#: Most years a schedule may name, and the years it may name: from the earliest
#: ``start_year`` to the last year the longest horizon from the latest one reaches.
MAX_SCHEDULE_YEARS = 50
SCHEDULE_YEARS = (1990, 2100 + 30 - 1)
BIG = 1e12

Kind = Literal[
    "uncertain", "number", "integer", "weights", "numbers", "string", "choice", "correlations"
]


@dataclass(frozen=True)
class FieldSpec:
    """One scenario field.

    Attributes
    ----------
    name : str
        Dotted name (``offsets.scaap_reimbursement_rate``).
    kind : str
        ``uncertain`` (a number or a distribution spec), ``number``, ``integer``,
        ``weights`` (7 non-negative numbers), ``numbers`` (a list of numbers),
        ``string``, ``choice`` (one of ``choices``) or ``correlations`` (a list of
        ``{a, b, rho}``).
    unit : str
        Unit of the value.
    description : str
        One-line meaning.
    default : object
        Value used when the field is absent; ``None`` when it is optional with no default.
    required : bool
        Whether the field must be given (within its group, for grouped fields).
    low, high : float or None
        Allowed range. For an uncertain field, every draw must lie at or above ``low``;
        at or below ``high`` when ``bounded`` (rates); otherwise ``high`` caps the mean.
    bounded : bool
        Whether ``high`` bounds every draw rather than the mean.
    count : bool
        Whether draws are whole numbers (rounded to the nearest integer).
    default_text : str or None
        The default in words, when it is not a constant (``start_year``: this year).
    choices : tuple of str
        The values a ``choice`` field takes.
    """

    name: str
    kind: Kind
    unit: str
    description: str
    default: Any = None
    required: bool = False
    low: float | None = None
    high: float | None = None
    bounded: bool = False
    count: bool = False
    default_text: str | None = None
    choices: tuple[str, ...] = ()

    def describe(self) -> dict[str, Any]:
        """A JSON-able description (for ``GET /v1/parameters``)."""
        return {
            "name": self.name,
            "type": self.kind,
            "unit": self.unit,
            "default": self.default,
            "default_text": self.default_text,
            "choices": list(self.choices) or None,
            "required": self.required,
            "minimum": self.low,
            "maximum": self.high,
            "maximum_applies_to": None
            if self.high is None
            else ("every draw" if self.bounded or self.kind != "uncertain" else "the mean"),
            "description": self.description,
            "schedulable": self.kind == "uncertain" and self.name not in NOT_SCHEDULABLE,
        }


def _rate(name: str, description: str, default: float | None = None, **kw: Any) -> FieldSpec:
    return FieldSpec(
        name,
        "uncertain",
        "share (0-1)",
        description,
        default,
        low=0.0,
        high=1.0,
        bounded=True,
        **kw,
    )


def _money(name: str, description: str, default: float | None = None, **kw: Any) -> FieldSpec:
    unit = kw.pop("unit", "US dollars")
    return FieldSpec(name, "uncertain", unit, description, default, low=0.0, high=BIG, **kw)


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name", "string", "text", "Name of the scenario, shown in reports.", high=200),
    FieldSpec("description", "string", "text", "Free-text notes on the scenario.", high=4000),
    FieldSpec(
        "detainers_per_year",
        "uncertain",
        "detainers a year",
        "Detainers the jail receives in the first year, in expectation (form 1 of the "
        "volume): each year's count is a Poisson draw around it, like the bookings form's "
        "binomial; not rounded (100 over 3 years is 33.33 a year).",
        low=0.0,
        high=1e9,
    ),
    FieldSpec(
        "bookings_per_year",
        "uncertain",
        "bookings a year",
        "Bookings (arrests booked into the jail) in the first year (forms 2 and 3).",
        low=0.0,
        high=1e9,
        count=True,
    ),
    _rate("detainer_rate", "Detainers issued per booking (form 2)."),
    _rate("match_rate", "Share of booked fingerprints that match DHS records (form 3)."),
    _rate("detainers_per_match", "Share of matches on which ICE issues a detainer (form 3)."),
    _rate("honor_rate", "Share of detainers the jail honors (1 = all, 0 = none).", 1.0),
    FieldSpec(
        "hold_hours",
        "number",
        "hours",
        "Hold window, counted by `hold_rule` (48 under the regulation and every form).",
        48.0,
        low=0.0,
        high=120.0,
    ),
    FieldSpec(
        "hold_rule",
        "choice",
        "rule",
        "How the hold window counts: `business_hours` skips Saturdays, Sundays and federal "
        "holidays (8 CFR 287.7(d), form I-247); `clock_hours` does not (form I-247A, in use "
        f"since {FORM_I247A_IN_FORCE.isoformat()}: 48 hours are 2 calendar days).",
        None,
        default_text="the form in use on each release date: business_hours before "
        f"{FORM_I247A_IN_FORCE.isoformat()}, clock_hours from then",
        choices=HOLD_RULES,
    ),
    FieldSpec(
        "release_weekday_weights",
        "weights",
        "relative weight, Monday..Sunday",
        "How often people become due for release on each weekday; time of day uniform.",
        [1.0] * 7,
    ),
    _rate(
        "hold_window_used",
        "Average share of the hold window spent before ICE picks the person up, for the "
        "honored holds that end in a pickup (`ice_pickup_rate`); holds ICE never picks up "
        "run the full window before release.",
        1.0,
    ),
    FieldSpec(
        "extra_days_per_detainer",
        "uncertain",
        "days",
        "Mean extra days of stay an honored detainer causes beyond the hold "
        "(lost bail or pretrial release).",
        0.0,
        low=0.0,
        high=3650.0,
    ),
    FieldSpec(
        "extra_stay_applies_to",
        "choice",
        "detainers",
        "Which detainers lengthen the stay: `honored` (only those the jail will honor) or "
        "`lodged` (every detainer: bail and release decisions see it either way). It decides "
        "what not honoring saves.",
        "honored",
        choices=("honored", "lodged"),
    ),
    FieldSpec(
        "detainer_days_per_detainer",
        "uncertain",
        "days",
        "Mean days in jail of each person with a detainer (detainer-days, as the Texas jail "
        "commission counts them): an upper bound, reported beside the cost and never added "
        "to it.",
        low=0.0,
        high=3650.0,
    ),
    FieldSpec(
        "extra_days_cv",
        "uncertain",
        "ratio",
        "Person-to-person coefficient of variation of the extra days (gamma).",
        1.0,
        low=0.0,
        high=100.0,
    ),
    _money(
        "daily_cost",
        "Cost of one bed-day, marginal basis (what one more day adds). Required unless "
        "`daily_cost_average` is given.",
        unit="US dollars per bed-day",
    ),
    _money(
        "daily_cost_average",
        "Fully loaded (average) cost of one bed-day: with `daily_cost`, a second basis in "
        "the results; alone, the basis of every cost (the result's `cost_basis` says so).",
        unit="US dollars per bed-day",
    ),
    _money(
        "admin_cost_per_detainer",
        "Processing cost of each detainer received.",
        0.0,
        unit="US dollars per detainer",
    ),
    _rate("ice_pickup_rate", "Share of honored holds that end with ICE taking custody.", 1.0),
    _money(
        "transport_cost_per_transfer",
        "Cost of each transfer to ICE custody.",
        0.0,
        unit="US dollars per transfer",
    ),
    _money(
        "payment_per_honored_detainer",
        "Federal payment to the jail per honored detainer, an offset (nominal: "
        "`cost_inflation` does not grow it). Under the Basic Ordering Agreements ICE has "
        "signed with sheriffs since January 2018 (17 Florida sheriffs first, 29 by the "
        "end of 2018) ICE pays a fixed $50 for each person held and turned over, for up "
        "to 48 hours (SPLC, 'Fighting Basic Ordering Agreements', "
        "splcenter.org/basicorderingagreements; Gainesville Sun, 2019, on Alachua County's "
        "agreement): paid on transfers, so give $50 x `ice_pickup_rate` per honored "
        "detainer. Absent: no payment (0).",
        default_text="0 (no payment)",
        unit="US dollars per honored detainer",
    ),
    FieldSpec(
        "staff_hours_per_detainer",
        "uncertain",
        "staff hours per detainer",
        "Staff time each detainer received (lodged, honored or not) takes: processing, "
        "notifying ICE, coordinating the transfer. Costed at `staff_hourly_cost` (both or "
        "neither); absent: no staff cost.",
        low=0.0,
        high=1000.0,
        default_text="0 (no staff cost)",
    ),
    _money(
        "staff_hourly_cost",
        "Loaded cost of one staff hour (wages and benefits), for `staff_hours_per_detainer`.",
        default_text="none (given with staff_hours_per_detainer)",
        unit="US dollars per staff hour",
    ),
    _money(
        "program_cost_per_year",
        "Fixed yearly cost of the detainer program whatever the number of detainers "
        "(e.g. 287(g) officers, their training, software), grown by `cost_inflation`. "
        "Absent: 0.",
        default_text="0 (no program cost)",
        unit="US dollars a year",
    ),
    FieldSpec(
        "liability.claims_per_1000_honored",
        "uncertain",
        "claims per 1,000 honored",
        "Rate of claims (wrongful detention suits) per 1,000 honored detainers.",
        required=True,
        low=0.0,
        high=1000.0,
    ),
    _money(
        "liability.cost_per_claim",
        "Mean cost of one claim (settlement and defense).",
        required=True,
        unit="US dollars per claim",
    ),
    _rate(
        "offsets.scaap_eligible_share", "Share of detainer bed-day costs eligible for SCAAP.", 0.0
    ),
    _rate("offsets.scaap_reimbursement_rate", "Share of eligible costs SCAAP actually pays.", 0.0),
    _money(
        "offsets.other_reimbursement",
        "Other reimbursement, nominal dollars a year.",
        0.0,
        unit="US dollars a year",
    ),
    FieldSpec(
        "capacity.rated_beds",
        "number",
        "beds",
        "Rated capacity of the jail.",
        required=True,
        low=1.0,
        high=1e7,
    ),
    FieldSpec(
        "capacity.baseline_adp",
        "uncertain",
        "people",
        "Average daily population without detainer-caused days.",
        required=True,
        low=0.0,
        high=1e7,
    ),
    _money(
        "capacity.overflow_daily_cost",
        "Cost of a bed-day above rated capacity (contract beds elsewhere, overtime).",
        required=True,
        unit="US dollars per bed-day",
    ),
    FieldSpec(
        "horizon_years", "integer", "years", "Years simulated.", 1, low=1, high=MAX_HORIZON_YEARS
    ),
    FieldSpec(
        "start_year",
        "integer",
        "calendar year",
        "First simulated year (its holidays set the hold calendar); a fiscal year when "
        "`fiscal_year_start_month` is given, named by the calendar year it ends in.",
        None,
        low=1990,
        high=2100,
        default_text="this year",
    ),
    FieldSpec(
        "fiscal_year_start_month",
        "integer",
        "month (1-12)",
        "Month the simulated years start in: each is then the fiscal year from the first of "
        "that month, named by the calendar year it ends in (7: FY2027 is July 2026 to June "
        "2027), for `start_year`, schedules, the hold calendar and holidays, and the days of "
        "each year; results label years `FY2027`.",
        None,
        low=1,
        high=12,
        default_text="1 (calendar years, unlabelled)",
    ),
    FieldSpec(
        "bookings_growth",
        "uncertain",
        "share a year",
        "Annual growth of bookings (or detainers) after the first year.",
        0.0,
        low=-0.9,
        high=1.0,
        bounded=True,
    ),
    FieldSpec(
        "cost_inflation",
        "uncertain",
        "share a year",
        "Annual growth of every dollar figure after the first year "
        "(other_reimbursement and payment_per_honored_detainer stay nominal).",
        0.0,
        low=-0.9,
        high=1.0,
        bounded=True,
    ),
    FieldSpec(
        "discount_rate",
        "number",
        "share a year",
        "Discount rate for the present value; the first year is not discounted.",
        0.0,
        low=0.0,
        high=1.0,
    ),
    FieldSpec(
        "population",
        "number",
        "residents",
        "County population, for cost per resident.",
        low=1.0,
        high=1e10,
    ),
    FieldSpec(
        "annual_budget",
        "number",
        "US dollars",
        "Annual budget, for the share of budget.",
        low=1.0,
        high=BIG,
    ),
    FieldSpec(
        "thresholds",
        "numbers",
        "US dollars",
        "Dollar amounts; the result gives the probability that year-1 net cost exceeds each.",
        [],
        low=-BIG,
        high=BIG,
    ),
    FieldSpec(
        "percentiles",
        "numbers",
        "percent",
        "Percentiles reported in every summary.",
        [5.0, 25.0, 50.0, 75.0, 95.0],
        low=0.0,
        high=100.0,
    ),
    FieldSpec(
        "sampling",
        "choice",
        "method",
        "How inputs are sampled: independent draws, Latin hypercube, or a scrambled Sobol "
        "sequence (both through inverse CDFs).",
        "random",
        choices=SAMPLING_METHODS,
    ),
    FieldSpec(
        "correlations",
        "correlations",
        "Spearman rank correlation",
        "Target rank correlations [{a, b, rho}] between uncertain inputs, induced by the "
        "Iman-Conover method (marginals kept).",
        [],
        low=-1.0,
        high=1.0,
    ),
    FieldSpec(
        "precision",
        "number",
        "relative half-width",
        "Stop once the 95% CIs of the mean and of the 95th percentile of year-1 net cost are "
        "within this share of their estimates, or at `trials`, whichever comes first.",
        low=1e-6,
        high=1.0,
    ),
    FieldSpec(
        "trials",
        "integer",
        "trials",
        "Monte Carlo trials (the cap when `precision` is given).",
        10_000,
        low=1,
        high=MAX_TRIALS,
    ),
    FieldSpec(
        "seed",
        "integer",
        "seed",
        f"Random seed (default {DEFAULT_SEED}).",
        DEFAULT_SEED,
        low=0,
        high=2**64 - 1,
    ),
)

#: Optional groups of fields: present as a whole or absent.
GROUPS = ("liability", "offsets", "capacity")

BY_NAME = {f.name: f for f in FIELDS}
#: Uncertain inputs added after the order of the input streams was fixed: they draw
#: from streams spawned after every other (``models.engine.draw_inputs``), so adding
#: them changed no other input's draws.
LATE_UNCERTAIN = (
    "detainer_days_per_detainer",
    "payment_per_honored_detainer",
    "staff_hours_per_detainer",
    "staff_hourly_cost",
    "program_cost_per_year",
)
UNCERTAIN = (
    tuple(f.name for f in FIELDS if f.kind == "uncertain" and f.name not in LATE_UNCERTAIN)
    + LATE_UNCERTAIN
)


class VolumeForm(enum.Enum):
    """How a scenario gives its yearly detainers; the value is the fields it takes."""

    #: ``detainers_per_year``.
    DETAINERS = ("detainers_per_year",)
    #: ``bookings_per_year`` and ``detainer_rate``.
    BOOKINGS_AND_RATE = ("bookings_per_year", "detainer_rate")
    #: ``bookings_per_year`` and the fingerprint chain (``match_rate``,
    #: ``detainers_per_match``).
    FINGERPRINT_CHAIN = ("bookings_per_year", "match_rate", "detainers_per_match")

    @property
    def fields(self) -> tuple[str, ...]:
        """The fields this form takes."""
        fields: tuple[str, ...] = self.value
        return fields


VOLUME_FIELDS = (
    "detainers_per_year",
    "bookings_per_year",
    "detainer_rate",
    "match_rate",
    "detainers_per_match",
)


def percentile_key(q: float) -> str:
    """Name of a percentile in results: 5 -> ``p5``, 2.5 -> ``p2.5``."""
    return f"p{q:g}"


@dataclass(frozen=True)
class Scenario:
    """A validated scenario with every default filled in.

    Attributes
    ----------
    params : mapping of str to Distribution
        Every uncertain quantity present (given or defaulted), by dotted name.
    volume_form : VolumeForm
        Which fields give the yearly detainers.
    hold_rule : str or None
        ``business_hours`` or ``clock_hours``; None for the rule of the form in use on
        each release date (``models.calendar.rule_in_force``).
    extra_stay_applies_to : str
        ``honored`` or ``lodged``: which detainers lengthen the stay.
    canonical : dict
        The scenario as JSON, defaults filled, for hashing and display.
    """

    params: Mapping[str, Distribution]
    volume_form: VolumeForm
    hold_hours: float
    release_weekday_weights: tuple[float, ...]
    horizon_years: int
    start_year: int
    discount_rate: float
    population: float | None
    annual_budget: float | None
    rated_beds: float | None
    thresholds: tuple[float, ...]
    percentiles: tuple[float, ...]
    trials: int
    seed: int
    name: str | None
    canonical: Mapping[str, Any]
    sampling: str = "random"
    correlations: tuple[Correlation, ...] = ()
    precision: float | None = None
    hold_rule: str | None = None
    extra_stay_applies_to: str = "honored"
    schedules: Mapping[str, Schedule] = field(default_factory=dict)
    fiscal_year_start_month: int | None = None

    @property
    def start_month(self) -> int:
        """The month each simulated year starts in (1: calendar years)."""
        return self.fiscal_year_start_month or 1

    def year_label(self, year: int) -> str | None:
        """``FY2027`` for simulated year 2027 when ``fiscal_year_start_month`` is given;
        None for calendar years given without it."""
        return None if self.fiscal_year_start_month is None else f"FY{year}"

    @functools.cached_property
    def sha256(self) -> str:
        """SHA-256 of the canonical JSON (sorted keys, no spaces); computed once."""
        text = json.dumps(self.canonical, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def _lookup(data: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    parts = name.split(".")
    node: Any = data
    for part in parts[:-1]:
        node = node.get(part)
        if not isinstance(node, Mapping):
            return False, None
    return (parts[-1] in node), node.get(parts[-1])


def _group_present(data: Mapping[str, Any], name: str) -> bool:
    group = name.split(".")[0] if "." in name else None
    return group is None or isinstance(data.get(group), Mapping)


def _check_uncertain(spec: FieldSpec, dist: Distribution, path: Path) -> list[FieldError]:
    low_s, high_s = dist.support()
    errors = []
    assert spec.low is not None
    assert spec.high is not None
    if dist.is_fixed and not spec.low <= low_s <= spec.high:
        return [FieldError(path, f"must lie between {spec.low:g} and {spec.high:g}")]
    below = low_s < spec.low
    above = spec.bounded and high_s > spec.high
    fix = "use a family bounded there or truncate a normal with low/high"
    if below and above:
        errors.append(
            FieldError(path, f"can produce values outside [{spec.low:g}, {spec.high:g}]; {fix}")
        )
    elif below:
        errors.append(
            FieldError(
                path,
                f"can produce values below {spec.low:g} (this "
                f"distribution reaches {low_s:g}); {fix}",
            )
        )
    elif above:
        errors.append(
            FieldError(
                path,
                f"can produce values above {spec.high:g} (this "
                f"distribution reaches {high_s:g}); {fix}",
            )
        )
    if not spec.bounded and dist.mean() > spec.high:
        errors.append(FieldError(path, f"mean must be at most {spec.high:g}"))
    return errors


@dataclass(frozen=True)
class Schedule:
    """An uncertain input given per year: ``{"schedule": {"2026": 1, "2028": 0.05}}``.

    Each value holds from its year until the next one named; each may be a distribution
    (drawn once a trial, apart from the others). The first year named must be at or
    before ``start_year``.

    Attributes
    ----------
    entries : tuple of (int, Distribution)
        The years named and their values, in order of year.
    note : str or None
        The schedule's ``note``, if given.
    """

    entries: tuple[tuple[int, Distribution], ...]
    note: str | None = None

    def since(self, year: int) -> int:
        """The year of the value in force in ``year`` (at or after the first named)."""
        return max(y for y, _ in self.entries if y <= year)

    def at(self, year: int) -> Distribution:
        """The value in force in ``year`` (at or after the first year named)."""
        return dict(self.entries)[self.since(year)]

    @property
    def spec(self) -> dict[str, Any]:
        """The JSON form (each value's own spec; years as strings)."""
        out: dict[str, Any] = {"schedule": {str(y): d.spec for y, d in self.entries}}
        if self.note is not None:
            out["note"] = self.note
        return out


#: Uncertain inputs that cannot be given per year: growth rates compound from the first
#: year, and detainer-days are a first-year figure.
NOT_SCHEDULABLE = ("bookings_growth", "cost_inflation", "detainer_days_per_detainer")


def _parse_schedule(
    spec: FieldSpec, value: Mapping[str, Any], path: Path
) -> tuple[Any, list[FieldError]]:
    """``{"schedule": {YEAR: value, ...}, "note": text}``: each value as the field takes
    it (a number or a distribution), each year a four-digit year in SCHEDULE_YEARS."""
    if spec.name in NOT_SCHEDULABLE:
        return None, [FieldError((*path, "schedule"), "cannot be given per year: give one value")]
    errors = [
        FieldError((*path, k), "is not a field of a schedule")
        for k in value
        if k not in ("schedule", "note")
    ]
    note = value.get("note")
    if note is not None and (not isinstance(note, str) or text_problem(note)):
        errors.append(FieldError((*path, "note"), "must be text"))
    table = value["schedule"]
    here: Path = (*path, "schedule")
    if not isinstance(table, Mapping) or not table:
        example = '{"2026": 1, "2028": 0.05}'
        return None, [
            *errors,
            FieldError(here, f"must be an object of years and values: {example}"),
        ]
    if len(table) > MAX_SCHEDULE_YEARS:
        return None, [*errors, FieldError(here, f"must name at most {MAX_SCHEDULE_YEARS} years")]
    entries: list[tuple[int, Distribution]] = []
    low, high = SCHEDULE_YEARS
    for key, item in table.items():
        if (
            not isinstance(key, str)
            or not re.fullmatch(r"[0-9]{4}", key)
            or not low <= int(key) <= high
        ):
            errors.append(FieldError((*here, str(key)), f"is not a year from {low} to {high}"))
            continue
        dist, problems = _parse_one_uncertain(spec, item, (*here, key))
        errors += problems
        if not problems:
            entries.append((int(key), dist))
    if errors:
        return None, errors
    return Schedule(tuple(sorted(entries, key=lambda e: e[0])), note), []


def _parse_uncertain(spec: FieldSpec, value: Any, path: Path) -> tuple[Any, list[FieldError]]:
    """An uncertain input: a distribution whose support lies within the field's bounds,
    or a :class:`Schedule` of them."""
    if isinstance(value, Mapping) and "schedule" in value:
        return _parse_schedule(spec, value, path)
    return _parse_one_uncertain(spec, value, path)


def _parse_one_uncertain(spec: FieldSpec, value: Any, path: Path) -> tuple[Any, list[FieldError]]:
    """One value of an uncertain input: a distribution within the field's bounds."""
    try:
        dist = parse_distribution(value, path)
    except ScenarioError as exc:
        return None, list(exc.errors)
    return dist, _check_uncertain(spec, dist, path)


def _parse_string(spec: FieldSpec, value: Any, path: Path) -> tuple[Any, list[FieldError]]:
    """A string of at most ``spec.high`` characters that :func:`text_problem` accepts."""
    if not isinstance(value, str):
        return None, [FieldError(path, "must be a string")]
    if spec.high is not None and len(value) > spec.high:
        return None, [FieldError(path, f"must be at most {spec.high:g} characters")]
    problem = text_problem(value)
    return (None, [FieldError(path, problem)]) if problem else (value, [])


def _parse_number(spec: FieldSpec, value: Any, path: Path) -> tuple[Any, list[FieldError]]:
    """A finite number (a whole one for an ``integer``) within the field's bounds."""
    if not is_number(value):
        return None, [FieldError(path, "must be a finite number")]
    whole = spec.kind == "integer"
    if whole and float(value) != math.floor(float(value)):
        return None, [FieldError(path, "must be a whole number")]
    assert spec.low is not None
    assert spec.high is not None
    if not spec.low <= value <= spec.high:
        low, high = (
            (f"{int(spec.low)}", f"{int(spec.high)}")
            if whole
            else (f"{spec.low:g}", f"{spec.high:g}")
        )
        return None, [FieldError(path, f"must lie between {low} and {high}")]
    return (int(value) if whole else as_float(value)), []


def _parse_choice(spec: FieldSpec, value: Any, path: Path) -> tuple[Any, list[FieldError]]:
    """One of ``spec.choices``."""
    if value not in spec.choices:
        return None, [FieldError(path, f"must be one of: {', '.join(spec.choices)}")]
    return value, []


def _parse_correlation_list(
    spec: FieldSpec, value: Any, path: Path
) -> tuple[Any, list[FieldError]]:
    """``correlations``: its shape (:func:`_parse_correlations`)."""
    return _parse_correlations(value, path)


def _check_weights(numbers: tuple[float, ...], path: Path) -> tuple[Any, list[FieldError]]:
    """Seven non-negative weights, Monday to Sunday, with a positive finite sum."""
    if len(numbers) != 7:
        return None, [FieldError(path, "must hold 7 weights, Monday to Sunday")]
    total = sum(numbers)
    if any(w < 0 for w in numbers) or not 0 < total < math.inf:
        reason = "weights must be non-negative with a positive sum below 1.8e308"
        return None, [FieldError(path, reason)]
    return numbers, []


def _check_levels(
    spec: FieldSpec, numbers: tuple[float, ...], path: Path
) -> tuple[Any, list[FieldError]]:
    """At most MAX_LIST distinct values within the field's bounds (at least one
    percentile)."""
    if len(numbers) > MAX_LIST:
        return None, [FieldError(path, f"must hold at most {MAX_LIST} values")]
    assert spec.low is not None
    assert spec.high is not None
    for i, v in enumerate(numbers):
        if not spec.low <= v <= spec.high:
            return None, [
                FieldError((*path, i), f"must lie between {spec.low:g} and {spec.high:g}")
            ]
    if len(set(numbers)) != len(numbers):
        return None, [FieldError(path, "must not repeat a value")]
    if spec.name == "percentiles" and not numbers:
        return None, [FieldError(path, "must hold at least one percentile")]
    return numbers, []


def _parse_list(spec: FieldSpec, value: Any, path: Path) -> tuple[Any, list[FieldError]]:
    """A list of finite numbers: weekday weights or levels (percentiles, thresholds)."""
    if not isinstance(value, list | tuple):
        return None, [FieldError(path, "must be a list of numbers")]
    errors = [
        FieldError((*path, i), "must be a finite number")
        for i, v in enumerate(value)
        if not is_number(v)
    ]
    if errors:
        return None, errors
    numbers = tuple(as_float(v) for v in value)
    if spec.kind == "weights":
        return _check_weights(numbers, path)
    return _check_levels(spec, numbers, path)


#: kind -> its parser; the other kinds are lists of numbers (:func:`_parse_list`).
_PARSERS: dict[str, Callable[[FieldSpec, Any, Path], tuple[Any, list[FieldError]]]] = {
    "uncertain": _parse_uncertain,
    "string": _parse_string,
    "number": _parse_number,
    "integer": _parse_number,
    "choice": _parse_choice,
    "correlations": _parse_correlation_list,
}


def _parse_value(spec: FieldSpec, value: Any, path: Path) -> tuple[Any, list[FieldError]]:
    """Validate one present value; return (normalized, errors)."""
    return _PARSERS.get(spec.kind, _parse_list)(spec, value, path)


def parse_seed(value: object, path: Path) -> int:
    """Validate a seed given outside a scenario (a portfolio's) like a scenario's
    ``seed``: a whole number from 0 to 2**64 - 1.

    Raises
    ------
    ScenarioError
        At ``path``.
    """
    seed, errors = _parse_value(BY_NAME["seed"], value, path)
    if errors:
        raise ScenarioError(errors)
    assert isinstance(seed, int)
    return seed


def _parse_correlations(value: Any, path: Path) -> tuple[Any, list[FieldError]]:
    """Shape of ``correlations``: a list of {a, b, rho}; names are checked later."""
    if not isinstance(value, list | tuple):
        return None, [FieldError(path, "must be a list of {a, b, rho} objects")]
    if len(value) > MAX_LIST:
        return None, [FieldError(path, f"must hold at most {MAX_LIST} pairs")]
    out: list[Correlation] = []
    errors: list[FieldError] = []
    for i, item in enumerate(value):
        here = (*path, i)
        if not isinstance(item, Mapping):
            errors.append(FieldError(here, "must be an object {a, b, rho}"))
            continue
        errors += [
            FieldError((*here, k), "is not a field of a correlation")
            for k in item
            if k not in ("a", "b", "rho")
        ]
        for key in ("a", "b"):
            if not isinstance(item.get(key), str):
                errors.append(FieldError((*here, key), "must be the name of an uncertain input"))
        rho: Any = item.get("rho")
        if not is_number(rho) or not -1 < float(rho) < 1:
            errors.append(FieldError((*here, "rho"), "must be a number strictly between -1 and 1"))
        if not errors:
            out.append(Correlation(item["a"], item["b"], as_float(rho)))
    return (tuple(out) if not errors else None), errors


def _correlation_errors(
    correlations: tuple[Correlation, ...], params: Mapping[str, Distribution]
) -> list[FieldError]:
    """Names must be uncertain inputs present with uncertainty; pairs distinct; the
    matrix positive definite."""
    errors: list[FieldError] = []
    seen: set[frozenset[str]] = set()
    for i, c in enumerate(correlations):
        for key, name in (("a", c.a), ("b", c.b)):
            if name not in UNCERTAIN:
                errors.append(
                    FieldError(("correlations", i, key), f"'{name}' is not an uncertain input")
                )
            elif name not in params or params[name].is_fixed:
                errors.append(
                    FieldError(
                        ("correlations", i, key), f"'{name}' must be given as a distribution"
                    )
                )
        pair = frozenset((c.a, c.b))
        if c.a == c.b:
            errors.append(FieldError(("correlations", i), "a and b must differ"))
        elif pair in seen:
            errors.append(FieldError(("correlations", i), "repeats a pair"))
        seen.add(pair)
    if errors:
        return errors
    names = [n for n in UNCERTAIN if any(n in (c.a, c.b) for c in correlations)]
    try:
        correlation_matrix(names, correlations, ("correlations",))
    except ScenarioError as exc:
        return list(exc.errors)
    return []


def _unknown_keys(data: Mapping[str, Any]) -> list[FieldError]:
    top = {f.name.split(".")[0] for f in FIELDS}
    errors = [FieldError((key,), "is not a scenario field") for key in data if key not in top]
    for group in GROUPS:
        node = data.get(group)
        if node is None:
            continue
        if not isinstance(node, Mapping):
            errors.append(FieldError((group,), "must be an object"))
            continue
        known = {f.name.split(".")[1] for f in FIELDS if f.name.startswith(group + ".")}
        errors += [
            FieldError((group, key), f"is not a field of {group}")
            for key in node
            if key not in known
        ]
    return errors


def _volume_form(present: set[str]) -> tuple[VolumeForm | None, list[FieldError]]:
    """The volume form of the fields ``present``, or None and what is wrong."""
    given = [f for f in VOLUME_FIELDS if f in present]
    for form in VolumeForm:
        if set(given) == set(form.fields):
            return form, []
    if not given:
        return None, [
            FieldError(
                ("detainers_per_year",),
                "is required (or bookings_per_year with "
                "detainer_rate, or bookings_per_year "
                "with match_rate and "
                "detainers_per_match)",
            )
        ]
    if "detainers_per_year" in given and len(given) > 1:
        extra = next(f for f in given if f != "detainers_per_year")
        return None, [FieldError((extra,), "cannot be combined with detainers_per_year")]
    if "detainer_rate" in given and ({"match_rate", "detainers_per_match"} & set(given)):
        extra = next(f for f in given if f in ("match_rate", "detainers_per_match"))
        return None, [FieldError((extra,), "cannot be combined with detainer_rate")]
    if "bookings_per_year" not in given:
        return None, [FieldError(("bookings_per_year",), f"is required with {given[0]}")]
    if len(given) == 1:
        return None, [
            FieldError(
                ("detainer_rate",),
                "is required with bookings_per_year (or match_rate and detainers_per_match)",
            )
        ]
    missing = next(f for f in ("match_rate", "detainers_per_match") if f not in given)
    return None, [FieldError((missing,), "is required with the fingerprint chain")]


def _canonical(value: Any) -> Any:
    if isinstance(value, Distribution):
        return value.spec
    if isinstance(value, Schedule):
        return value.spec
    if isinstance(value, Correlation):
        return {"a": value.a, "b": value.b, "rho": value.rho}
    if isinstance(value, tuple):
        return [_canonical(v) for v in value]
    return value


def _raw_value(
    spec: FieldSpec, data: Mapping[str, Any], today: dt.date | None
) -> tuple[Any, list[FieldError]]:
    """The value given for ``spec`` (its default when absent or null: this year for
    ``start_year``), or None when there is none, with "is required" when it must be given."""
    found, raw = _lookup(data, spec.name)
    if found and raw is not None:
        return raw, []
    if spec.required:
        return None, [FieldError(tuple(spec.name.split(".")), "is required")]
    if spec.name == "start_year":
        return (today or dt.date.today()).year, []
    return spec.default, []


def _parse_fields(
    data: Mapping[str, Any], today: dt.date | None
) -> tuple[dict[str, Any], dict[str, Any], list[FieldError]]:
    """Each field of ``data`` (or its default) parsed: (values by dotted name, the
    canonical scenario as nested JSON, errors)."""
    values: dict[str, Any] = {}
    canonical: dict[str, Any] = {}
    errors: list[FieldError] = []
    for spec in FIELDS:
        if not _group_present(data, spec.name):
            continue
        raw, problems = _raw_value(spec, data, today)
        errors += problems
        if raw is None:
            continue
        path: Path = tuple(spec.name.split("."))
        value, problems = _parse_value(spec, raw, path)
        errors += problems
        if problems:
            continue
        values[spec.name] = value
        node = canonical
        for part in path[:-1]:
            node = node.setdefault(str(part), {})
        node[str(path[-1])] = _canonical(value)
    return values, canonical, errors


#: Fields given both or neither: the staff hours per detainer and their hourly cost.
STAFF_FIELDS = ("staff_hours_per_detainer", "staff_hourly_cost")


def _pair_errors(
    params: Mapping[str, Distribution], errors: list[FieldError], pair: tuple[str, str]
) -> list[FieldError]:
    """ "is required with ..." at the field of ``pair`` missing when the other is given
    (nothing when the missing one was given but is at fault already)."""
    given = [n for n in pair if n in params]
    if len(given) != 1:
        return []
    missing = next(n for n in pair if n not in given)
    if any(e.path[:1] == (missing,) for e in errors):
        return []
    return [FieldError((missing,), f"is required with {given[0]}")]


def parse_scenario(data: object, *, today: dt.date | None = None) -> Scenario:
    """Validate a scenario mapping and fill in its defaults.

    Parameters
    ----------
    data : mapping
        The scenario, as decoded from JSON. A scenario that names a ``preset`` is
        expanded first, by :func:`models.presets.expand` (here ``preset`` is not a field).
    today : datetime.date, optional
        Sets the default ``start_year`` (this year when omitted).

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        Listing every field at fault, each with its path and the reason.
    """
    if isinstance(data, Scenario):
        return data
    if not isinstance(data, Mapping):
        raise ScenarioError.single((), "must be a JSON object")
    errors = _unknown_keys(data)
    values, canonical, problems = _parse_fields(data, today)
    errors += problems
    form, problems = _volume_form({f for f in VOLUME_FIELDS if _lookup(data, f)[1] is not None})
    errors += problems
    params = {k: v for k, v in values.items() if isinstance(v, Distribution)}
    schedules = {k: v for k, v in values.items() if isinstance(v, Schedule)}
    start = values.get("start_year")
    for name, schedule in schedules.items():
        if isinstance(start, int) and schedule.entries[0][0] > start:
            first = schedule.entries[0][0]
            errors.append(
                FieldError(
                    (*name.split("."), "schedule"),
                    f"must give a value for the first simulated year, start_year {start} "
                    f"(its first year is {first})",
                )
            )
        elif isinstance(start, int):
            params[name] = schedule.at(start)
            horizon = values.get("horizon_years")
            last = start + horizon - 1 if isinstance(horizon, int) else None
            errors += [
                FieldError(
                    (*name.split("."), "schedule", str(year)),
                    f"is after the last simulated year, {last} (start_year {start}, "
                    f"horizon_years {horizon}), so it would change nothing: simulate more "
                    "years or leave it out",
                )
                for year, _ in schedule.entries
                if last is not None and year > last
            ]
    if (
        "daily_cost" not in params
        and "daily_cost_average" not in params
        and not any(e.path[:1] in (("daily_cost",), ("daily_cost_average",)) for e in errors)
    ):
        errors.append(
            FieldError(
                ("daily_cost",),
                "is required (or daily_cost_average, a fully loaded cost per bed-day)",
            )
        )
    errors += _pair_errors(params, errors, STAFF_FIELDS)
    if values.get("correlations"):
        errors += _correlation_errors(values["correlations"], params)
    if errors:
        raise ScenarioError(errors)
    assert form is not None  # no errors: the fields make one form
    return Scenario(
        params=params,
        volume_form=form,
        hold_hours=values["hold_hours"],
        release_weekday_weights=values["release_weekday_weights"],
        horizon_years=values["horizon_years"],
        start_year=values["start_year"],
        discount_rate=values["discount_rate"],
        population=values.get("population"),
        annual_budget=values.get("annual_budget"),
        rated_beds=values.get("capacity.rated_beds"),
        thresholds=values["thresholds"],
        percentiles=values["percentiles"],
        trials=values["trials"],
        seed=values["seed"],
        name=values.get("name"),
        canonical=canonical,
        sampling=values["sampling"],
        correlations=values["correlations"],
        precision=values.get("precision"),
        hold_rule=values.get("hold_rule"),
        extra_stay_applies_to=values["extra_stay_applies_to"],
        schedules=schedules,
        fiscal_year_start_month=values.get("fiscal_year_start_month"),
    )
