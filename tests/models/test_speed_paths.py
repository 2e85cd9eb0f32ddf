"""What issue 10 took out of the parameter-level path, each the same to the bit as the
work it replaced: samples joined across chunks only when read, convergence figures
computed only when read, the components of a year added one by one."""

from __future__ import annotations

import pickle
import threading
from typing import Any

import numpy as np
import pytest

from models import simulate
from models.engine import CHUNK_TRIALS, run, total_of
from models.results import ChunkedSamples, HalfWidths, relative_half_widths
from models.scenario import parse_scenario

SCENARIO: dict[str, Any] = {
    "bookings_per_year": 30000,
    "detainer_rate": {"dist": "beta", "mean": 0.014, "sd": 0.003},
    "honor_rate": 0.9,
    "extra_days_per_detainer": {"dist": "pert", "low": 20, "mode": 25, "high": 73},
    "extra_days_cv": 1,
    "daily_cost": {"dist": "uniform", "low": 55, "high": 105},
    "horizon_years": 2,
    "trials": CHUNK_TRIALS + 300,
}


def _parts(rng: np.random.Generator, sizes: list[int]) -> list[dict[str, Any]]:
    return [{"a": rng.normal(size=n), "b": rng.gamma(2.0, size=n)} for n in sizes]


@pytest.mark.parametrize("sizes", [[5], [4, 3], [CHUNK_TRIALS, CHUNK_TRIALS, 17]])
def test_chunked_samples_equal_the_joined_arrays(sizes: list[int]) -> None:
    parts = _parts(np.random.default_rng(1), sizes)
    joined = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    samples = ChunkedSamples(parts)
    assert list(samples) == ["a", "b"]
    assert len(samples) == 2
    assert "a" in samples
    assert "c" not in samples
    assert 3 not in samples
    for key in ("b", "a", "b"):
        assert samples[key].tobytes() == joined[key].tobytes()
        assert not samples[key].flags.writeable
        assert samples[key].flags.c_contiguous
    assert samples["a"] is samples["a"]  # joined once
    with pytest.raises(KeyError):
        samples["c"]
    assert dict(samples).keys() == joined.keys()
    copy = pickle.loads(pickle.dumps(samples))
    assert isinstance(copy, dict)
    assert all(copy[k].tobytes() == joined[k].tobytes() for k in joined)


def test_chunked_samples_of_one_strided_chunk_are_contiguous() -> None:
    matrix = np.random.default_rng(2).normal(size=(10, 2))
    samples = ChunkedSamples([{"x": matrix[:, 1]}])
    assert samples["x"].flags.c_contiguous
    assert samples["x"].tobytes() == np.ascontiguousarray(matrix[:, 1]).tobytes()


def test_chunked_samples_read_from_threads_agree() -> None:
    parts = _parts(np.random.default_rng(3), [300, 300, 11])
    samples = ChunkedSamples(parts)
    seen: list[bytes] = []

    def read() -> None:
        for key in ("a", "b"):
            seen.append(samples[key].tobytes())

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 16
    assert len(set(seen)) == 2


def test_half_widths_are_computed_when_read_and_equal_the_eager_ones() -> None:
    values = np.random.default_rng(4).lognormal(10, 1, size=2000)
    widths = HalfWidths(values)
    assert widths._widths is None  # nothing computed yet
    mean_width, p95_width = relative_half_widths(values)
    assert dict(widths) == {"mean": mean_width, "p95": p95_width}
    assert widths == {"mean": mean_width, "p95": p95_width}
    assert pickle.loads(pickle.dumps(widths)) == {"mean": mean_width, "p95": p95_width}


@pytest.mark.parametrize("precision", [None, 0.5, 1e-6])
def test_convergence_is_the_same_as_when_computed_eagerly(precision: float | None) -> None:
    sc = parse_scenario({**SCENARIO, "precision": precision, "trials": 3 * CHUNK_TRIALS})
    samples, convergence = run(sc, rng=np.random.default_rng(5))
    mean_width, p95_width = relative_half_widths(samples["annual_cost"])
    assert convergence.to_dict()["relative_half_width"] == {"mean": mean_width, "p95": p95_width}
    expected = "trials" if precision is None else ("precision" if precision == 0.5 else "trial_cap")
    assert convergence.stopped_by == expected


def test_total_of_equals_numpy_sum_to_the_bit() -> None:
    """Including the sign of zero (numpy's sum starts from +0.0), infinities and NaN."""
    rng = np.random.default_rng(6)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e308, -1e308, 5e-324])
    for _ in range(300):
        k, n = int(rng.integers(1, 12)), int(rng.integers(1, 50))
        arrays = [
            rng.choice(special, size=n) if rng.random() < 0.5 else rng.normal(size=n)
            for _ in range(k)
        ]
        with np.errstate(all="ignore"):
            expected = np.sum(arrays, axis=0)
            got = total_of(arrays)
        assert got.tobytes() == expected.tobytes()


def test_the_parameter_level_path_reads_only_what_it_summarizes() -> None:
    """The lean parameter-level result joins the chunks of the summarized key only
    (and of the watched one, the same here), and its figures equal the full run's."""
    full = simulate(SCENARIO)
    fast = simulate(
        SCENARIO,
        summaries=("expected:annual_cost",),
        percentile_ci=False,
        person_level=False,
    )
    assert isinstance(fast.samples, ChunkedSamples)
    assert set(fast.samples._joined) == {"expected:annual_cost"}
    summary = fast.summaries["expected:annual_cost"]
    assert summary.mean == full.parameter_range["annual_cost"].mean
    assert summary.percentiles == full.parameter_range["annual_cost"].percentiles
    assert fast.samples["input:daily_cost"].tobytes() == full.samples["input:daily_cost"].tobytes()
    assert fast.to_dict()["convergence"]["relative_half_width"]["mean"] > 0
