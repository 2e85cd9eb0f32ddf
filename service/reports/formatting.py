"""How every report format writes a number for a reader.

One place for the rules (issue 14): years as 2026, counts as whole numbers, money with
thousands separators and cents only where they matter (under $100, and not whole),
shares as percents, never e-notation, hours as "48 hours".
"""

from __future__ import annotations

import math

__all__ = ["count", "hours", "money", "money_short", "number", "plain", "share", "year"]


def _finite(value: float) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def plain(value: float, digits: int = 4) -> str:
    """A number as written by hand: 30,000; 0.25; 1,234.5678 (at most ``digits``
    decimals, trailing zeros dropped), never in e-notation."""
    if not _finite(value):
        return str(value)
    if float(value).is_integer():
        return f"{int(value):,}"
    text = f"{value:,.{digits}f}".rstrip("0").rstrip(".")
    if text in ("0", "-0"):  # smaller than the decimals shown: keep its first digits
        return f"{value:.{digits}g}" if abs(value) >= 1e-4 else f"{value:.10f}".rstrip("0")
    return text


def money(value: float) -> str:
    """$1,234,567 (negative as -$1,234); cents only under $100 and when not whole
    ($1.34 per resident, $75 a day)."""
    if not _finite(value):
        return str(value)
    sign = "-" if value < 0 else ""
    v = abs(value)
    if v < 100 and round(v, 2) != round(v):
        return f"{sign}${v:,.2f}"
    whole = round(v)
    return f"{sign if whole else ''}${whole:,.0f}"


def money_short(value: float, decimals: int = 1) -> str:
    """$1.2M, $350K, $900 ($1,500.0T for absurd sums): for chart ticks and legends."""
    sign = "-" if value < 0 else ""
    v = abs(value)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if v >= scale:
            text = f"{v / scale:,.{decimals}f}"
            if suffix == "K" and decimals == 1:
                text = f"{v / scale:.0f}"
            return f"{sign}${text}{suffix}"
    return f"{sign}${v:.0f}"


def count(value: float) -> str:
    """A count, as a whole number: 420 (a mean of 420.3 detainers reads as 420)."""
    if not _finite(value):
        return str(value)
    return f"{round(value):,}"


def number(value: float, decimals: int = 1) -> str:
    """A measured quantity that is not a count: 40.4 beds."""
    if not _finite(value):
        return str(value)
    return f"{value:,.{decimals}f}"


def share(value: float) -> str:
    """A share as a percent: 52.4%, 50%, under 0.1%, over 99.9%."""
    if not _finite(value):
        return str(value)
    pct = 100 * value
    if 0 < pct < 0.05:
        return "under 0.1%"
    if 99.95 < pct < 100:
        return "over 99.9%"
    text = f"{pct:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


def year(value: float) -> str:
    """A calendar year: 2026, never 2,026."""
    return str(int(value))


def hours(value: float) -> str:
    """48 hours."""
    text = plain(value)
    return f"{text} hour" if text == "1" else f"{text} hours"
