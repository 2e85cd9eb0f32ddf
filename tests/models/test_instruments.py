"""The policy instruments of issue 13, each against a hand computation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from models import simulate
from models.analyses import compare
from models.engine import ALL_COMPONENTS, COMPONENTS

#: Nothing random: 1,000 bookings each with a detainer (a binomial of rate 1 is exact),
#: no hold (0 hours) and no longer stay, so every dollar comes from the instrument tested.
PLAIN: dict[str, Any] = {
    "bookings_per_year": 1000,
    "detainer_rate": 1,
    "hold_hours": 0,
    "daily_cost": 100,
    "start_year": 2026,
    "trials": 40,
}


def test_payment_per_honored_detainer_is_a_nominal_offset() -> None:
    result = simulate(
        {**PLAIN, "payment_per_honored_detainer": 50, "horizon_years": 2, "cost_inflation": 0.1}
    )
    # 1,000 honored x $50, paid back: -$50,000 a year, not grown by the 10% inflation.
    payment = result.components["federal_payment"]
    assert payment.mean == payment.min == payment.max == -50_000
    assert result.annual_cost.mean == -50_000
    assert result.total_cost.mean == -100_000
    for year in result.years:
        assert year.offsets.mean == -50_000
        assert year.gross_cost.mean == 0
    assert result.parameter_range["annual_cost"].mean == -50_000
    np.testing.assert_array_equal(
        result.samples["annual_cost"], sum(result.samples[f"component:{k}"] for k in ALL_COMPONENTS)
    )


def test_payment_follows_the_honored_count() -> None:
    n = 2000
    result = simulate({**PLAIN, "honor_rate": 0.5, "payment_per_honored_detainer": 50, "trials": n})
    # Honored ~ Binomial(1000, 0.5): mean 500, so the payment's mean is -$25,000; its sd is
    # 50 x sqrt(1000 x 0.25) = 790.6, the standard error of the mean over 2,000 trials
    # 17.7; the tolerance is 4 standard errors.
    se = 50 * math.sqrt(1000 * 0.25) / math.sqrt(n)
    assert result.components["federal_payment"].mean == pytest.approx(-25_000, abs=4 * se)
    np.testing.assert_array_equal(
        result.samples["component:federal_payment"], -50 * result.samples["honored"]
    )


def test_components_without_the_instruments_keep_their_shape() -> None:
    result = simulate(PLAIN)
    assert tuple(result.components) == COMPONENTS
    # a comparison lists an optional component when either side has it
    out = compare(
        {**PLAIN, "payment_per_honored_detainer": 50},
        [{"name": "decline", "overrides": {"honor_rate": 0}}],
    )
    diff = out.alternatives[0].difference.components["federal_payment"]
    # baseline -$50,000, the alternative honors none and is paid nothing
    assert diff.mean == -50_000
