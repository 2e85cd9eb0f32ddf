"""The detainer hold window on the calendar, under the rule in force.

Two rules (``HOLD_RULES``):

- ``business_hours``: 8 CFR 287.7(d) and the old form I-247 ask the jail to keep a
  person "for a period not to exceed 48 hours, excluding Saturdays, Sundays, and
  holidays". The clock runs only on business days; Saturdays, Sundays and the US
  federal holidays (5 U.S.C. 6103, with the observed-day rule of OPM: a holiday on a
  Saturday is observed the Friday before, one on a Sunday the Monday after) do not count.
- ``clock_hours``: form I-247A, the only detainer form ICE issues since 2 April 2017
  (ICE, "Guidance for completing Form I-247A", 2017), asks the jail to "maintain custody
  of the alien for a period not to exceed 48 hours beyond the time he or she would
  otherwise have been released", with no exclusion: 48 hours are 2 calendar days.

When a scenario names no rule, each person's hold follows the form in use on the day
they become due for release (:func:`rule_in_force`): ``clock_hours`` from 2 April 2017
on, ``business_hours`` before. A year that crosses the change (2017) therefore mixes
the two by the share of its release dates on each side, which is what the jails of
that year faced (a detainer on an earlier form stayed valid, but the cost falls on the
day of the hold). The PEP-era forms of 2015 (I-247D/N/X) are treated like the I-247:
the wording of the I-247D's custody request could not be confirmed from the sources at
hand, and 8 CFR 287.7(d), which they cite, excludes weekends and holidays.

Time is measured here in days since 1 January of the simulated year, 00:00.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "FORM_I247A_IN_FORCE",
    "HOLD_RULES",
    "MIXED_RULE",
    "HoldTable",
    "business_days",
    "federal_holidays",
    "hold_duration",
    "hold_table",
    "release_date_probabilities",
    "rule_in_force",
    "year_bounds",
    "year_hold_rule",
]

#: The hold rules: the regulation's business hours, the I-247A's clock hours.
HOLD_RULES = ("business_hours", "clock_hours")
#: First day on which only form I-247A could be issued (ICE guidance, 2017).
FORM_I247A_IN_FORCE = dt.date(2017, 4, 2)
#: How a year whose release dates fall under both rules is labelled.
MIXED_RULE = "business_hours_then_clock_hours"

#: Business-day calendars reach this many days past the simulated year, enough for
#: the longest window allowed (120 business hours) to end.
LOOKAHEAD_DAYS = 30


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th given weekday (Mon=0) of a month; n=-1 is the last one."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: dt.date) -> dt.date:
    if day.weekday() == 5:
        return day - dt.timedelta(days=1)
    if day.weekday() == 6:
        return day + dt.timedelta(days=1)
    return day


@functools.lru_cache(maxsize=256)
def federal_holidays(year: int) -> frozenset[dt.date]:
    """Observed US federal holidays that fall in ``year`` (5 U.S.C. 6103).

    Juneteenth counts from 2021 on. New Year's Day of the next year, when it falls on a
    Saturday, is observed on 31 December of this year and is included here.

    Parameters
    ----------
    year : int

    Returns
    -------
    frozenset of datetime.date
    """
    days: set[dt.date] = set()
    for y in (year, year + 1):
        fixed = [dt.date(y, 1, 1), dt.date(y, 7, 4), dt.date(y, 11, 11), dt.date(y, 12, 25)]
        if y >= 2021:
            fixed.append(dt.date(y, 6, 19))
        days.update(_observed(d) for d in fixed)
        days.update(
            [
                _nth_weekday(y, 1, 0, 3),  # Birthday of Martin Luther King, Jr.
                _nth_weekday(y, 2, 0, 3),  # Washington's Birthday
                _nth_weekday(y, 5, 0, -1),  # Memorial Day
                _nth_weekday(y, 9, 0, 1),  # Labor Day
                _nth_weekday(y, 10, 0, 2),  # Columbus Day
                _nth_weekday(y, 11, 3, 4),  # Thanksgiving Day
            ]
        )
    return frozenset(d for d in days if d.year == year)


def year_bounds(year: int, start_month: int = 1) -> tuple[dt.date, dt.date]:
    """First day of simulated year ``year`` and first day after it.

    With ``start_month`` 1 the calendar year; otherwise the fiscal year that starts on
    the first of ``start_month`` and is named by the calendar year it ends in (FY2027
    with ``start_month`` 7: 1 July 2026 to 30 June 2027).
    """
    if start_month == 1:
        return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    return dt.date(year - 1, start_month, 1), dt.date(year, start_month, 1)


@functools.lru_cache(maxsize=64)
def business_days(year: int, start_month: int = 1) -> NDArray[np.bool_]:
    """Business-day flags from the first day of ``year`` (:func:`year_bounds`) to
    ``LOOKAHEAD_DAYS`` past its end.

    Index ``i`` is the day ``i`` days after the year's first day. Read-only.
    """
    start, end = year_bounds(year, start_month)
    n = (end - start).days + LOOKAHEAD_DAYS
    holidays = sorted(
        federal_holidays(start.year) | federal_holidays(start.year + 1) | federal_holidays(end.year)
    )
    days = np.datetime64(start, "D") + np.arange(n)
    flags: NDArray[np.bool_] = np.is_busday(
        days, holidays=np.array(holidays, dtype="datetime64[D]")
    )
    flags.flags.writeable = False
    return flags


def rule_in_force(day: dt.date) -> str:
    """The hold rule of the detainer form in use on ``day``: ``clock_hours`` (I-247A)
    from 2 April 2017 on, ``business_hours`` before."""
    return "clock_hours" if day >= FORM_I247A_IN_FORCE else "business_hours"


def year_hold_rule(year: int, rule: str | None, start_month: int = 1) -> str:
    """The rule the holds of ``year`` follow: ``rule`` when given, else the form in use
    (``MIXED_RULE`` for 2017, whose release dates fall under both).

    Parameters
    ----------
    year : int
    rule : str or None
        One of ``HOLD_RULES``, or None for the form in use on each release date.
    start_month : int, default 1
        The month the year starts in (:func:`year_bounds`).

    Returns
    -------
    str
        ``business_hours``, ``clock_hours`` or ``business_hours_then_clock_hours``.
    """
    if rule is not None:
        return rule
    start, end = year_bounds(year, start_month)
    first = rule_in_force(start)
    last = rule_in_force(end - dt.timedelta(days=1))
    return first if first == last else MIXED_RULE


def hold_duration(
    start: float,
    hold_hours: float,
    business: NDArray[np.bool_],
    rule: str = "business_hours",
) -> float:
    """Calendar days from the moment a person is due for release to the end of the hold.

    Under ``business_hours`` the hold lasts until ``hold_hours`` hours of business-day
    time have passed: a person due for release on a Saturday is held through the
    weekend, and the clock starts at the next business day's 00:00. Under
    ``clock_hours`` it lasts ``hold_hours / 24`` calendar days whenever it starts.

    Parameters
    ----------
    start : float
        When the person is due for release, in days since 1 January 00:00.
    hold_hours : float
        Length of the window in hours (48 under both rules).
    business : ndarray of bool
        Business-day flags, from :func:`business_days`.
    rule : str, default "business_hours"
        One of ``HOLD_RULES``.

    Returns
    -------
    float
        Held time in calendar days.
    """
    remaining = hold_hours / 24.0
    if remaining <= 0:
        return 0.0
    if rule == "clock_hours":
        return remaining
    t = start
    day = math.floor(start)
    while True:
        if business[day]:
            available = day + 1 - t
            if available >= remaining:
                return t + remaining - start
            remaining -= available
        day += 1
        t = float(day)


def release_date_probabilities(
    year: int, weekday_weights: tuple[float, ...], start_month: int = 1
) -> NDArray[np.float64]:
    """Probability that a person becomes due for release on each date of ``year``
    (:func:`year_bounds`).

    The weekday is drawn with ``weekday_weights`` (Monday first), then a date uniformly
    among that weekday's dates in the year.
    """
    start, end = year_bounds(year, start_month)
    n = (end - start).days
    weekday = (np.arange(n) + start.weekday()) % 7
    weights = np.asarray(weekday_weights, dtype=np.float64)
    weights = weights / weights.sum()
    per_weekday = np.bincount(weekday, minlength=7)
    probs: NDArray[np.float64] = weights[weekday] / per_weekday[weekday]
    return probs


@dataclass(frozen=True)
class HoldTable:
    """Release-time categories of one year, merged by their hold length.

    A person due for release on a business day, in a stretch of the day over which the
    hold length does not change, or on any day under the clock-hours rule, is held a
    fixed length. A person due on a Saturday, Sunday or holiday under the business-hours
    rule at time of day ``u`` (in days) is held ``offset - u``: the end of the hold does
    not move while the clock is stopped.

    Attributes
    ----------
    probabilities : ndarray
        Probability of each category; business categories first, then non-business.
    values : ndarray
        Hold length (business categories) or offset (non-business ones), in days.
    n_business : int
        How many of the categories are business ones.
    """

    probabilities: NDArray[np.float64]
    values: NDArray[np.float64]
    n_business: int

    @property
    def mean_days(self) -> float:
        """Mean hold length of one person, in calendar days."""
        nb = self.n_business
        constant = float(self.probabilities[:nb] @ self.values[:nb])
        weekend = float(self.probabilities[nb:] @ (self.values[nb:] - 0.5))
        return constant + weekend


@functools.lru_cache(maxsize=256)
def hold_table(
    year: int,
    hold_hours: float,
    weekday_weights: tuple[float, ...],
    rule: str | None = "business_hours",
    start_month: int = 1,
) -> HoldTable:
    """Build the merged release categories of ``year`` for the aggregate engine.

    Within a business day the hold length is a step function of the time of day with
    one step, at ``1 - frac(hold_hours / 24)`` of the day; it is evaluated once per
    piece at the piece's midpoint.

    Parameters
    ----------
    year : int
    hold_hours : float
    weekday_weights : tuple of 7 floats, Monday first
    rule : str or None, default "business_hours"
        One of ``HOLD_RULES``, or None for the rule of the form in use on each release
        date (:func:`rule_in_force`).
    start_month : int, default 1
        The month the year starts in: 1 for the calendar year, else the fiscal year
        named by the calendar year it ends in (:func:`year_bounds`).

    Returns
    -------
    HoldTable
    """
    if hold_hours / 24.0 <= 0:  # the same test as hold_duration's, underflow included
        return HoldTable(_readonly(np.array([1.0])), _readonly(np.array([0.0])), 1)
    business = business_days(year, start_month)
    probs = release_date_probabilities(year, weekday_weights, start_month)
    frac = (hold_hours / 24.0) % 1.0
    pieces = [(0.0, 1.0 - frac), (1.0 - frac, 1.0)] if frac > 0 else [(0.0, 1.0)]
    constant: dict[float, float] = {}
    offsets: dict[float, float] = {}
    start = year_bounds(year, start_month)[0]
    for day, p in enumerate(probs):
        if p == 0:
            continue
        here = rule if rule is not None else rule_in_force(start + dt.timedelta(days=day))
        if here == "clock_hours":
            key = round(hold_hours / 24.0, 9)
            constant[key] = constant.get(key, 0.0) + p
        elif business[day]:
            for lo, hi in pieces:
                length = hold_duration(day + (lo + hi) / 2, hold_hours, business)
                key = round(length, 9)
                constant[key] = constant.get(key, 0.0) + p * (hi - lo)
        else:
            end = day + hold_duration(float(day), hold_hours, business)
            key = round(end - day, 9)
            offsets[key] = offsets.get(key, 0.0) + p
    keys_c = sorted(constant)
    keys_o = sorted(offsets)
    probabilities = np.array([constant[k] for k in keys_c] + [offsets[k] for k in keys_o])
    probabilities = probabilities / probabilities.sum()
    values = np.array(keys_c + keys_o, dtype=np.float64)
    return HoldTable(_readonly(probabilities), _readonly(values), len(keys_c))


def _readonly(array: NDArray[np.float64]) -> NDArray[np.float64]:
    array.flags.writeable = False
    return array
