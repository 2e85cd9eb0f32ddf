"""Summaries: one sort per quantity, order-statistic ranks cached per trial count, and
every figure the same to the bit as before (numpy.percentile for the values)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from models.results import ci_ranks, lerp, order_statistics, rank_table, summarize

PERCENTILES = (0.0, 1.0, 2.5, 5.0, 25.0, 50.0, 75.0, 95.0, 99.5, 100.0)


def _arrays() -> list[NDArray[np.float64]]:
    rng = np.random.default_rng(20261128)
    return [
        rng.normal(size=1),
        rng.normal(size=2),
        rng.gamma(0.3, 1e6, size=997),
        rng.lognormal(10, 2, size=10_000),
        np.round(rng.normal(size=5000), 1),  # many ties
        rng.integers(-3, 4, size=3001).astype(np.float64),  # ties and +0.0 only
        np.full(50, 7.25),
    ]


def _summarize_by_partition(
    x: NDArray[np.float64], percentiles: tuple[float, ...]
) -> dict[str, Any]:
    """The summary as it was computed before issue 10 (one np.partition, binom.ppf
    ranks computed afresh), kept here as the reference for the bits."""
    n = x.size
    qs = np.asarray(percentiles) / 100.0
    position = qs * (n - 1)
    below = np.floor(position).astype(np.intp)
    above = np.minimum(below + 1, n - 1)
    lo, hi = ci_ranks(n, qs)
    part = np.partition(x, np.unique(np.concatenate([[0, n - 1], below, above, lo, hi])))
    return {
        "min": part[0],
        "max": part[n - 1],
        "q": lerp(part[below], part[above], position - below),
        "ci": [(part[a], part[b]) for a, b in zip(lo, hi, strict=True)],
    }


def _bits(values: object) -> bytes:
    return np.asarray(values, dtype=np.float64).tobytes()


@pytest.mark.parametrize("x", _arrays(), ids=lambda x: f"n{x.size}")
def test_percentiles_equal_numpy_percentile_to_the_bit(x: NDArray[np.float64]) -> None:
    s = summarize(x, PERCENTILES)
    expected = np.percentile(x, PERCENTILES)
    assert _bits(list(s.percentiles.values())) == _bits(expected)
    assert (s.min, s.max) == (x.min(), x.max())
    assert s.mean == float(np.mean(x))
    assert s.sd == (float(np.std(x, ddof=1)) if x.size > 1 else 0.0)


@pytest.mark.parametrize("x", _arrays(), ids=lambda x: f"n{x.size}")
def test_summary_equals_the_partition_summary_to_the_bit(x: NDArray[np.float64]) -> None:
    s = summarize(x, PERCENTILES)
    ref = _summarize_by_partition(x, PERCENTILES)
    assert _bits([s.min, s.max]) == _bits([ref["min"], ref["max"]])
    assert _bits(list(s.percentiles.values())) == _bits(ref["q"])
    assert _bits(list(s.percentile_ci95.values())) == _bits(ref["ci"])
    # The CI bounds are order statistics at the binomial ranks.
    lo, hi = ci_ranks(x.size, np.asarray(PERCENTILES) / 100)
    ordered = np.sort(x)
    assert _bits(list(s.percentile_ci95.values())) == _bits(
        np.column_stack([ordered[lo], ordered[hi]])
    )


def test_signed_zeros_keep_their_signs_as_before() -> None:
    """0.0 and -0.0 are equal, so a sort and a partition may put either at an index;
    arrays holding both take the partition, and every sign stays as it was."""
    rng = np.random.default_rng(7)
    differs_from_sort = 0
    for _ in range(200):
        n = int(rng.integers(2, 400))
        x = rng.choice([0.0, -0.0, 1.0, -1.0], size=n)
        s = summarize(x, PERCENTILES)
        ref = _summarize_by_partition(x, PERCENTILES)
        assert _bits(list(s.percentiles.values())) == _bits(ref["q"])
        assert _bits(list(s.percentile_ci95.values())) == _bits(ref["ci"])
        assert _bits([s.min, s.max]) == _bits([ref["min"], ref["max"]])
        r = rank_table(n, PERCENTILES)
        differs_from_sort += _bits(np.sort(x)[r.kth]) != _bits(order_statistics(x, r)[r.kth])
    # The case is real: a plain sort would have changed some signs.
    assert differs_from_sort > 0


@pytest.mark.parametrize("n", [1, 2, 3, 10, 99, 8192, 10_000, 123_457])
def test_cached_ranks_equal_uncached(n: int) -> None:
    r = rank_table(n, PERCENTILES)
    lo, hi = ci_ranks(n, np.asarray(PERCENTILES) / 100.0)
    np.testing.assert_array_equal(r.ci_lo, lo)
    np.testing.assert_array_equal(r.ci_hi, hi)
    assert r.ci_lo.dtype == lo.dtype
    assert r.ci_hi.dtype == hi.dtype
    assert rank_table(n, PERCENTILES) is r  # computed once per (n, percentiles)
    assert r.keys == tuple(f"p{p:g}" for p in PERCENTILES)


def test_cached_ranks_are_read_only() -> None:
    r = rank_table(1000, (5.0, 95.0))
    for a in (r.below, r.above, r.fraction, r.ci_lo, r.ci_hi, r.kth):
        with pytest.raises(ValueError, match="read-only"):
            a[0] = 0


def test_cache_key_is_the_values_not_the_type() -> None:
    assert rank_table(500, (5.0, 50.0)) is rank_table(500, (5.0, 50.0))
    assert summarize(np.arange(10.0), (5, 50)).percentiles == {"p5": 0.45, "p50": 4.5}


@pytest.mark.parametrize("x", _arrays(), ids=lambda x: f"n{x.size}")
def test_without_percentile_ci_every_other_figure_is_unchanged(x: NDArray[np.float64]) -> None:
    full = summarize(x, PERCENTILES)
    lean = summarize(x, PERCENTILES, percentile_ci=False)
    assert lean.percentile_ci95 == {}
    assert lean.to_dict() == {**full.to_dict(), "percentile_ci95": {}}
