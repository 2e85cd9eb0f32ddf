"""The detainer hold window on the calendar.

8 CFR 287.7(d): a detainer asks the jail to keep a person "for a period not to
exceed 48 hours, excluding Saturdays, Sundays, and holidays". The clock runs only
on business days; Saturdays, Sundays and the US federal holidays (5 U.S.C. 6103,
with the observed-day rule of OPM: a holiday on a Saturday is observed the Friday
before, one on a Sunday the Monday after) do not count. Time is measured here in
days since 1 January of the simulated year, 00:00.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "HoldTable",
    "business_days",
    "federal_holidays",
    "hold_duration",
    "hold_table",
    "release_date_probabilities",
]

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


@functools.lru_cache(maxsize=64)
def business_days(year: int) -> NDArray[np.bool_]:
    """Business-day flags from 1 January of ``year`` to ``LOOKAHEAD_DAYS`` past its end.

    Index ``i`` is the day ``i`` days after 1 January. Read-only.
    """
    start = dt.date(year, 1, 1)
    n = (dt.date(year + 1, 1, 1) - start).days + LOOKAHEAD_DAYS
    holidays = sorted(federal_holidays(year) | federal_holidays(year + 1))
    days = np.datetime64(start, "D") + np.arange(n)
    flags: NDArray[np.bool_] = np.is_busday(
        days, holidays=np.array(holidays, dtype="datetime64[D]")
    )
    flags.flags.writeable = False
    return flags


def hold_duration(start: float, hold_hours: float, business: NDArray[np.bool_]) -> float:
    """Calendar days from the moment a person is due for release to the end of the hold.

    The hold lasts until ``hold_hours`` hours of business-day time have passed. A person
    due for release on a Saturday is held through the weekend; the clock starts at the
    next business day's 00:00.

    Parameters
    ----------
    start : float
        When the person is due for release, in days since 1 January 00:00.
    hold_hours : float
        Length of the window in business hours (48 under 8 CFR 287.7(d)).
    business : ndarray of bool
        Business-day flags, from :func:`business_days`.

    Returns
    -------
    float
        Held time in calendar days.
    """
    remaining = hold_hours / 24.0
    if remaining <= 0:
        return 0.0
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
    year: int, weekday_weights: tuple[float, ...]
) -> NDArray[np.float64]:
    """Probability that a person becomes due for release on each date of ``year``.

    The weekday is drawn with ``weekday_weights`` (Monday first), then a date uniformly
    among that weekday's dates in the year.
    """
    n = (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days
    weekday = (np.arange(n) + dt.date(year, 1, 1).weekday()) % 7
    weights = np.asarray(weekday_weights, dtype=np.float64)
    weights = weights / weights.sum()
    per_weekday = np.bincount(weekday, minlength=7)
    probs: NDArray[np.float64] = weights[weekday] / per_weekday[weekday]
    return probs


@dataclass(frozen=True)
class HoldTable:
    """Release-time categories of one year, merged by their hold length.

    A person due for release on a business day, in a stretch of the day over which the
    hold length does not change, is held ``business_days`` exactly. A person due on a
    Saturday, Sunday or holiday at time of day ``u`` (in days) is held ``offset - u``:
    the end of the hold does not move while the clock is stopped.

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
def hold_table(year: int, hold_hours: float, weekday_weights: tuple[float, ...]) -> HoldTable:
    """Build the merged release categories of ``year`` for the aggregate engine.

    Within a business day the hold length is a step function of the time of day with
    one step, at ``1 - frac(hold_hours / 24)`` of the day; it is evaluated once per
    piece at the piece's midpoint.

    Parameters
    ----------
    year : int
    hold_hours : float
    weekday_weights : tuple of 7 floats, Monday first

    Returns
    -------
    HoldTable
    """
    if hold_hours / 24.0 <= 0:  # the same test as hold_duration's, underflow included
        return HoldTable(_readonly(np.array([1.0])), _readonly(np.array([0.0])), 1)
    business = business_days(year)
    probs = release_date_probabilities(year, weekday_weights)
    frac = (hold_hours / 24.0) % 1.0
    pieces = [(0.0, 1.0 - frac), (1.0 - frac, 1.0)] if frac > 0 else [(0.0, 1.0)]
    constant: dict[float, float] = {}
    offsets: dict[float, float] = {}
    for day, p in enumerate(probs):
        if p == 0:
            continue
        if business[day]:
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
