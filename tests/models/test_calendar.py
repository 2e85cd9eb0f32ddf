"""The hold window on the calendar: holidays, the worked examples, the release table."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from models.calendar import (
    FORM_I247A_IN_FORCE,
    LOOKAHEAD_DAYS,
    business_days,
    federal_holidays,
    hold_duration,
    hold_table,
    release_date_probabilities,
    rule_in_force,
    year_hold_rule,
)

HOURS = 1 / 24


def at(year: int, month: int, day: int, hour: float) -> float:
    """Days since 1 January of ``year`` for a date and hour."""
    return (dt.date(year, month, day) - dt.date(year, 1, 1)).days + hour * HOURS


def test_federal_holidays_2026_observed() -> None:
    # OPM's 2026 federal holiday table (Independence Day observed Friday 3 July).
    expected = {
        dt.date(2026, 1, 1),
        dt.date(2026, 1, 19),
        dt.date(2026, 2, 16),
        dt.date(2026, 5, 25),
        dt.date(2026, 6, 19),
        dt.date(2026, 7, 3),
        dt.date(2026, 9, 7),
        dt.date(2026, 10, 12),
        dt.date(2026, 11, 11),
        dt.date(2026, 11, 26),
        dt.date(2026, 12, 25),
    }
    assert federal_holidays(2026) == expected


def test_observed_day_rules() -> None:
    # 1 Jan 2022 was a Saturday: observed Friday 31 Dec 2021, which belongs to 2021.
    assert dt.date(2021, 12, 31) in federal_holidays(2021)
    assert not any(d.month == 1 and d.day <= 2 for d in federal_holidays(2022))
    # Juneteenth 2022 fell on a Sunday: observed Monday 20 June.
    assert dt.date(2022, 6, 20) in federal_holidays(2022)
    # Juneteenth is a federal holiday from 2021 on only.
    assert not any(d.month == 6 for d in federal_holidays(2019))


def test_business_days_skip_weekends_and_holidays() -> None:
    flags = business_days(2026)
    assert not flags[0]  # New Year's Day (Thursday)
    assert flags[1]  # Friday 2 January
    assert not flags[2]
    assert not flags[3]
    assert flags.size == 365 + 30


WORKED = [
    # due for release, expected days held (48 business hours)
    (at(2026, 1, 5, 10), 2.0),  # Monday 10:00 -> Wednesday 10:00
    (at(2026, 1, 8, 10), 4.0),  # Thursday 10:00 -> Monday 10:00
    (at(2026, 1, 10, 10), 3 + 14 * HOURS),  # Saturday 10:00 -> Wednesday 00:00
    (at(2026, 1, 16, 10), 5.0),  # Friday before MLK Day (Mon 19 Jan) -> Wednesday 10:00
    (at(2026, 1, 8, 0), 2.0),  # Thursday 00:00 -> Friday 24:00
]


@pytest.mark.parametrize(("start", "days"), WORKED)
def test_worked_examples(start: float, days: float) -> None:
    assert hold_duration(start, 48, business_days(2026)) == pytest.approx(days, abs=1e-9)


@pytest.mark.parametrize(("start", "days"), WORKED)
def test_clock_hours_hold_is_48_over_24_days_whenever_it_starts(start: float, days: float) -> None:
    # Form I-247A: "a period not to exceed 48 hours beyond the time he or she would
    # otherwise have been released", no exclusion: exactly 2 days, weekend or not.
    assert hold_duration(start, 48, business_days(2026), "clock_hours") == 48 / 24
    assert hold_duration(start, 36, business_days(2026), "clock_hours") == 1.5


@pytest.mark.parametrize("weights", [(1.0,) * 7, (0, 0, 0, 0, 1.0, 2.0, 0)])
def test_clock_hours_table_is_one_category_of_two_days(weights: tuple[float, ...]) -> None:
    table = hold_table(2026, 48.0, tuple(float(w) for w in weights), "clock_hours")
    assert table.values.tolist() == [2.0]
    assert table.probabilities.tolist() == [1.0]
    assert table.n_business == 1
    assert table.mean_days == 2.0
    # 2026 is after the I-247A came into use: the default rule is the same table.
    assert hold_table(2026, 48.0, tuple(float(w) for w in weights), None) == table


def test_rule_in_force_changes_on_2_april_2017() -> None:
    assert dt.date(2017, 4, 2) == FORM_I247A_IN_FORCE
    assert rule_in_force(dt.date(2017, 4, 1)) == "business_hours"
    assert rule_in_force(dt.date(2017, 4, 2)) == "clock_hours"
    assert year_hold_rule(2016, None) == "business_hours"
    assert year_hold_rule(2017, None) == "business_hours_then_clock_hours"
    assert year_hold_rule(2018, None) == "clock_hours"
    assert year_hold_rule(2011, "clock_hours") == "clock_hours"
    assert year_hold_rule(2026, "business_hours") == "business_hours"


def test_hold_ends_on_wednesday_after_holiday_weekend() -> None:
    start = at(2026, 1, 16, 10)
    end = start + hold_duration(start, 48, business_days(2026))
    end_date = dt.date(2026, 1, 1) + dt.timedelta(days=int(end))
    assert end_date == dt.date(2026, 1, 21)
    assert end_date.weekday() == 2


def test_zero_hours_means_no_hold() -> None:
    assert hold_duration(at(2026, 1, 10, 10), 0, business_days(2026)) == 0.0
    table = hold_table(2026, 0.0, (1.0,) * 7)
    assert table.mean_days == 0.0


def test_hold_reaching_into_next_year_uses_next_years_holidays() -> None:
    # Wednesday 30 Dec 2026 10:00: Thu 31 Dec is a business day, 1 Jan 2027 (Fri) a holiday,
    # so 48 hours end on Monday 4 Jan 2027 10:00.
    start = at(2026, 12, 30, 10)
    assert hold_duration(start, 48, business_days(2026)) == pytest.approx(5.0)


def test_release_probabilities_follow_weekday_weights() -> None:
    weights = (3.0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0)
    probs = release_date_probabilities(2026, weights)
    assert probs.sum() == pytest.approx(1.0)
    weekday = [(dt.date(2026, 1, 1) + dt.timedelta(days=i)).weekday() for i in range(365)]
    mondays = sum(p for p, w in zip(probs, weekday, strict=True) if w == 0)
    assert mondays == pytest.approx(3 / 8)
    assert all(p == 0 for p, w in zip(probs, weekday, strict=True) if w == 5)


def _integrated_mean(
    year: int, hours: float, weights: tuple[float, ...], rule: str | None = "business_hours"
) -> float:
    """Mean hold length by brute force: 480 times of day per date, weighted by date,
    each date under ``rule`` (None: the form's in use that day)."""
    business = business_days(year)
    probs = release_date_probabilities(year, weights)
    grid = (np.arange(480) + 0.5) / 480
    first = dt.date(year, 1, 1)
    return float(
        sum(
            p
            * np.mean(
                [
                    hold_duration(
                        day + u,
                        hours,
                        business,
                        rule or rule_in_force(first + dt.timedelta(days=day)),
                    )
                    for u in grid
                ]
            )
            for day, p in enumerate(probs)
            if p > 0
        )
    )


def test_2017_mixes_the_rules_by_release_date() -> None:
    """Under the default, 2017's release dates before 2 April count business hours and
    the rest clock hours; the table's mean is the brute-force mean of that mix."""
    weights = (1.0,) * 7
    table = hold_table(2017, 48.0, weights, None)
    mixed = _integrated_mean(2017, 48.0, weights, None)
    assert table.mean_days == pytest.approx(mixed, abs=1e-6)
    business = hold_table(2017, 48.0, weights, "business_hours").mean_days
    share_before = (FORM_I247A_IN_FORCE - dt.date(2017, 1, 1)).days / 365
    # Each weekday occurs 52 or 53 times in 2017, so the date shares are nearly uniform.
    assert 2.0 < table.mean_days < business
    assert table.mean_days == pytest.approx(
        share_before * business + (1 - share_before) * 2.0, abs=0.02
    )


@pytest.mark.parametrize("hours", [48.0, 36.0, 10.0, 120.0])
@pytest.mark.parametrize("weights", [(1.0,) * 7, (0, 0, 0, 0, 1.0, 2.0, 0)])
def test_table_mean_equals_brute_force(hours: float, weights: tuple[float, ...]) -> None:
    table = hold_table(2026, hours, tuple(float(w) for w in weights))
    assert table.probabilities.sum() == pytest.approx(1.0)
    # The grid midpoint rule is exact on the constant pieces and on the linear ones.
    assert table.mean_days == pytest.approx(_integrated_mean(2026, hours, weights), abs=1e-6)


def _business_days_by_loop(year: int) -> np.ndarray:
    """The day-by-day rule ``business_days`` implements with ``np.is_busday``."""
    start = dt.date(year, 1, 1)
    n = (dt.date(year + 1, 1, 1) - start).days + LOOKAHEAD_DAYS
    closed = federal_holidays(year) | federal_holidays(year + 1)
    days = (start + dt.timedelta(days=i) for i in range(n))
    return np.array([d.weekday() < 5 and d not in closed for d in days])


@pytest.mark.parametrize("year", [1990, 2011, 2017, 2021, 2022, 2026, 2027, 2100])
def test_business_days_match_the_day_by_day_rule(year: int) -> None:
    np.testing.assert_array_equal(business_days(year), _business_days_by_loop(year))


def test_holiday_rules_agree_with_the_holidays_package_1990_to_2100() -> None:
    # An independent implementation of 5 U.S.C. 6103 with OPM's observed-day rule: the
    # `holidays` package (US, public category). It lists both the holiday and its observed
    # day, so the comparison is of business days: a weekday is a business day in both or
    # in neither. The package's US calendar stops at 2100, so 2100's look-ahead into 2101
    # is left out.
    holidays = pytest.importorskip("holidays")
    years = range(1990, 2101)
    closed = set(holidays.US(years=range(1989, 2102), observed=True))
    for year in years:
        start = dt.date(year, 1, 1)
        n = (dt.date(year + 1, 1, 1) - start).days + LOOKAHEAD_DAYS
        days = [start + dt.timedelta(days=i) for i in range(n)]
        expected = np.array([d.weekday() < 5 and d not in closed for d in days])
        mismatch = [
            d
            for d, a, b in zip(days, business_days(year), expected, strict=True)
            if a != b and d.year <= 2100
        ]
        assert not mismatch, f"{year}: {mismatch}"
