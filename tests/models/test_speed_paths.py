"""What issue 10 took out of the parameter-level path, each the same to the bit as the
work it replaced: samples joined across chunks only when read, convergence figures
computed only when read, the components of a year added one by one."""

from __future__ import annotations

import pickle
import threading
from typing import Any

import numpy as np
import pytest

from models import engine, sampling, simulate
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
    assert 3 not in samples  # type: ignore[comparison-overlap]  # a non-text key
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


# --- the parameter-level path computes only what the scenario has (issue 10) ---------


def _accounted(sc: Any, values: dict[str, Any], size: int) -> dict[str, bytes]:
    """The expected costs as before: every component of :func:`account` over arrays of
    every input, summed by :func:`total_of`, year by year."""
    arrays = {k: np.full(size, v) if isinstance(v, float) else v for k, v in values.items()}
    total = np.zeros(size)
    first = None
    for y in range(sc.horizon_years):
        year = engine.inputs_for_year(sc, arrays, y)
        components, _ = engine.account(sc, year, engine.expected_volumes(sc, year, y), y)
        net = total_of(components.values())
        total += net
        first = net if first is None else first
    assert first is not None
    return {"expected:annual_cost": first.tobytes(), "expected:total_cost": total.tobytes()}


def _uniform(low: float, high: float) -> dict[str, Any]:
    return {"dist": "uniform", "low": low, "high": high}


#: Components present and absent, fixed at 0 (either sign), at 1, drawn, scheduled.
EXPECTED_CASES: list[dict[str, Any]] = [
    {"detainers_per_year": 300, "daily_cost": _uniform(50, 90)},
    {"detainers_per_year": 300.0, "daily_cost": 80, "honor_rate": -0.0, "trials": 10},
    {
        "bookings_per_year": _uniform(1000, 5000),
        "match_rate": 0.2,
        "detainers_per_match": _uniform(0.1, 0.3),
        "daily_cost_average": 120,
        "hold_window_used": _uniform(0.2, 1),
        "ice_pickup_rate": 0.6,
        "transport_cost_per_transfer": 40,
        "admin_cost_per_detainer": -0.0,
        "extra_stay_applies_to": "lodged",
        "bookings_growth": 0.05,
        "cost_inflation": _uniform(0, 0.05),
        "horizon_years": 3,
    },
    {
        "detainers_per_year": _uniform(100, 400),
        "daily_cost": 0,
        "liability": {"claims_per_1000_honored": 2, "cost_per_claim": _uniform(1000, 9000)},
        "offsets": {
            "scaap_eligible_share": 0.5,
            "scaap_reimbursement_rate": _uniform(0.1, 0.3),
            "other_reimbursement": 500,
        },
        "capacity": {
            "rated_beds": 50,
            "baseline_adp": _uniform(30, 60),
            "overflow_daily_cost": 200,
        },
        "payment_per_honored_detainer": _uniform(0, 100),
        "staff_hours_per_detainer": 2,
        "staff_hourly_cost": 40,
        "program_cost_per_year": 10_000,
        "fiscal_year_start_month": 7,
        "horizon_years": 2,
    },
    {
        "detainers_per_year": 1000,
        "daily_cost": {"schedule": {"2026": 100, "2027": _uniform(90, 130)}},
        "honor_rate": {"schedule": {"2026": 1, "2028": 0}},
        "liability": {"claims_per_1000_honored": 0, "cost_per_claim": 5000},
        "offsets": {"scaap_eligible_share": 0, "scaap_reimbursement_rate": 0.2},
        "start_year": 2026,
        "horizon_years": 4,
    },
]


@pytest.mark.parametrize("case", range(len(EXPECTED_CASES)))
def test_expected_costs_equal_every_component_accounted_to_the_bit(case: int) -> None:
    """Fixed inputs kept as floats, components whose inputs are absent or 0 left out:
    the same bits as accounting every component over arrays, including the sign of
    zero where every term is zero (a fixed -0.0)."""
    sc = parse_scenario({"trials": 300, **EXPECTED_CASES[case]})
    for size in (1, 300):
        seq = np.random.SeedSequence(case)
        values = engine._defaults(engine._draw_values(sc, size, seq, (0,), np.random.PCG64))
        assert any(isinstance(v, float) for v in values.values())
        got = engine._expected_costs(sc, values, size)
        assert {k: v.tobytes() for k, v in got.items()} == _accounted(sc, values, size)


def test_a_sum_that_is_not_finite_is_accounted_in_full() -> None:
    """Where the volumes are not finite a left-out term may be NaN (0 x inf): the year
    is then accounted in full, and gives account's bits, NaN and infinity alike."""
    sc = parse_scenario({"bookings_per_year": 1000, "detainer_rate": 0.1, "daily_cost": 100})
    rate = np.array([0.1, np.inf, 0.2])
    values: dict[str, Any] = {"detainer_rate": rate, "honor_rate": np.array([1.0, 1.0, 0.0])}
    values = {
        **engine._defaults(
            engine._draw_values(sc, 3, np.random.SeedSequence(1), (0,), np.random.PCG64)
        ),
        **values,
    }
    with np.errstate(invalid="ignore"):
        got = engine._expected_costs(sc, values, 3)["expected:annual_cost"]
        expected = _accounted(sc, values, 3)["expected:annual_cost"]
    assert got.tobytes() == expected
    assert np.isfinite(got[0])
    assert np.isnan(got[1])


def test_fixed_inputs_are_arrays_only_when_read() -> None:
    """The parameter-level path keeps a fixed input as its float in each chunk; the
    samples give the array of it, the same bits as the person-level run's."""
    fast = simulate(SCENARIO, summaries=("expected:annual_cost",), person_level=False)
    full = simulate(SCENARIO)
    for key in ("input:honor_rate", "input:extra_days_cv", "input:bookings_growth"):
        assert fast.samples[key].tobytes() == full.samples[key].tobytes()
        assert fast.samples[key].size == SCENARIO["trials"]
        assert not fast.samples[key].flags.writeable


def test_chunked_samples_of_floats_and_arrays() -> None:
    parts: list[dict[str, Any]] = [
        {"a": 2.5, "b": np.arange(3.0)},
        {"a": 2.5, "b": np.arange(2.0)},
    ]
    samples = ChunkedSamples(parts)  # the sizes from the arrays
    assert samples["a"].tobytes() == np.full(5, 2.5).tobytes()
    mixed = ChunkedSamples([{"a": 1.0}, {"a": np.array([3.0, 4.0])}], sizes=[2, 2])
    assert mixed["a"].tolist() == [1.0, 1.0, 3.0, 4.0]
    with pytest.raises(ValueError, match="sizes"):
        ChunkedSamples([{"a": 1.0}])


def test_descendants_are_the_spawned_generators() -> None:
    """Keys below a seed sequence give what spawning generation by generation gives,
    the first index counted from the children already spawned."""

    def fresh() -> np.random.Generator:
        rng = np.random.default_rng(11)
        rng.spawn(2)  # two children spawned before
        return rng

    seq = sampling.seed_sequence(fresh())
    got = sampling.descendants(seq, [(0,), (1, 3), (1, 0, 2)], np.random.PCG64)
    expected = [
        fresh().spawn(1)[0],
        fresh().spawn(2)[1].spawn(4)[3],
        fresh().spawn(2)[1].spawn(1)[0].spawn(3)[2],
    ]
    for g, e in zip(got, expected, strict=True):
        assert g.random(4).tobytes() == e.random(4).tobytes()


def test_seed_keys_spawn_as_seed_sequences() -> None:
    """A run without people spawns its chunks' keys from the seed without building the
    seed sequences between: the same streams as default_rng(seed).spawn."""
    keys = sampling.SeedKey(2026).children(3)
    got = sampling.descendants(keys[2], [(0, 5)], np.random.PCG64)[0]
    expected = np.random.default_rng(2026).spawn(3)[2].spawn(1)[0].spawn(6)[5]
    assert got.random(4).tobytes() == expected.random(4).tobytes()
    sc = parse_scenario({**SCENARIO, "trials": 2 * CHUNK_TRIALS + 5})
    fast = simulate(sc, summaries=("expected:total_cost",), person_level=False)
    samples, _ = run(sc, rng=np.random.default_rng(sc.seed), person_level=False)
    assert fast.samples["expected:total_cost"].tobytes() == samples["expected:total_cost"].tobytes()


def test_chunked_samples_read_from_many_threads_leave_the_callers_chunks_alone() -> None:
    """A key's chunks are let go once joined (a kept result holds each value once), but
    the caller's mappings are not changed, and threads reading one key at once all get
    the one joined array."""
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(5)
    parts = [{"a": rng.random(1000), "b": rng.random(1000)} for _ in range(4)]
    before = [dict(p) for p in parts]
    samples = ChunkedSamples(parts)
    with ThreadPoolExecutor(8) as pool:
        arrays = list(pool.map(lambda _: samples["a"], range(32)))
    assert all(a is arrays[0] for a in arrays)
    np.testing.assert_array_equal(arrays[0], np.concatenate([p["a"] for p in before]))
    np.testing.assert_array_equal(samples["b"], np.concatenate([p["b"] for p in before]))
    assert [list(p) for p in parts] == [["a", "b"]] * 4
    assert all(p["a"] is q["a"] for p, q in zip(parts, before, strict=True))
