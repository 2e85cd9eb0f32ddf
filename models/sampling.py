"""How the uncertain inputs of a chunk of trials are drawn.

``random`` draws each input independently from its own stream. ``lhs`` and ``sobol``
draw stratified points in the unit cube with ``scipy.stats.qmc`` and map them through
each input's inverse CDF. Correlations between named inputs are then induced by the
Iman-Conover rank method, which reorders the draws of each input and so keeps every
marginal exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats
from scipy.stats import qmc

from .distributions import Distribution
from .errors import FieldError, Path, ScenarioError

__all__ = [
    "SAMPLING_METHODS",
    "Correlation",
    "SeedKey",
    "correlation_matrix",
    "descendants",
    "iman_conover",
    "seed_sequence",
    "spawned",
    "unit_points",
]

SAMPLING_METHODS = ("random", "lhs", "sobol")
Array = NDArray[np.float64]


@dataclass(frozen=True)
class Correlation:
    """A target Spearman rank correlation between two named inputs."""

    a: str
    b: str
    rho: float


def unit_points(method: str, size: int, dims: int, *, rng: np.random.Generator) -> Array:
    """``size`` points in [0, 1)^dims: stratified (``lhs``, ``sobol``) or plain uniform.

    Sobol points come from a scrambled sequence of the next power of two, of which the
    first ``size`` are kept.
    """
    if dims == 0:
        return np.empty((size, 0))
    if method == "lhs":
        return np.asarray(qmc.LatinHypercube(d=dims, rng=rng).random(size))
    if method == "sobol":
        m = max(0, math.ceil(math.log2(size)))
        return np.asarray(qmc.Sobol(d=dims, scramble=True, rng=rng).random_base2(m)[:size])
    return rng.random((size, dims))


def seed_sequence(rng: np.random.Generator) -> np.random.SeedSequence:
    """The ``numpy.random.SeedSequence`` ``rng`` was seeded from (TypeError if none)."""
    seq = rng.bit_generator.seed_seq
    if not isinstance(seq, np.random.SeedSequence):
        raise TypeError("rng must be seeded from a SeedSequence to spawn streams")
    return seq


#: numpy's pool size of a seed sequence (``numpy.random.SeedSequence``'s default).
POOL_SIZE = 4


@dataclass(frozen=True)
class SeedKey:
    """What ``numpy.random.SeedSequence(entropy, spawn_key=spawn_key,
    pool_size=pool_size)`` is built from, without building it: a sequence whose only use
    is to spawn from (the root of a run, a chunk's) need not mix its entropy (about 10
    microseconds each). It has spawned no children, as a new sequence."""

    entropy: int
    spawn_key: tuple[int, ...] = ()
    pool_size: int = POOL_SIZE
    n_children_spawned: int = 0

    def children(self, n: int) -> list[SeedKey]:
        """The keys of the first ``n`` children ``spawn(n)`` would give."""
        return [SeedKey(self.entropy, (*self.spawn_key, i), self.pool_size) for i in range(n)]


def descendants(
    seq: np.random.SeedSequence | SeedKey,
    keys: Sequence[Sequence[int]],
    bit_generator: type[np.random.BitGenerator] = np.random.PCG64,
) -> list[np.random.Generator]:
    """The generators that spawning from ``seq`` would give at ``keys``, without making
    the others or the generations between.

    A key ``(i,)`` is the ``i``-th child (counted from the children ``seq`` has spawned
    so far, as ``spawn`` counts), ``(i, j)`` the ``j``-th child of that child as it is
    when new, and so on: ``spawn`` builds child ``i`` from ``SeedSequence(entropy,
    spawn_key=spawn_key + (i,), pool_size)`` and a bit generator of the same type, and
    so does this, for the generators asked for only (building one costs tens of
    microseconds). It does not advance ``seq``'s count of children.

    Parameters
    ----------
    seq : numpy.random.SeedSequence or SeedKey
    keys : sequence of sequence of int
        Each non-empty.
    bit_generator : type, default numpy.random.PCG64
        The bit generator of the generators (that of the generator ``seq`` seeds).

    Returns
    -------
    list of numpy.random.Generator
    """
    base = seq.n_children_spawned
    entropy, spawn_key, pool_size = seq.entropy, tuple(seq.spawn_key), seq.pool_size
    return [
        np.random.Generator(
            bit_generator(
                np.random.SeedSequence(
                    entropy, spawn_key=(*spawn_key, base + key[0], *key[1:]), pool_size=pool_size
                )
            )
        )
        for key in keys
    ]


def spawned(rng: np.random.Generator, positions: Sequence[int]) -> list[np.random.Generator]:
    """The generators ``rng.spawn(n)`` would give at ``positions`` (0-based, counted
    from the children ``rng`` has spawned so far), without making the others.

    :func:`descendants` of ``rng``'s seed sequence at ``(i,)`` for each position. Unlike
    ``spawn`` it does not advance ``rng``'s count of children.

    Parameters
    ----------
    rng : numpy.random.Generator
        Seeded from a ``numpy.random.SeedSequence``.
    positions : sequence of int

    Returns
    -------
    list of numpy.random.Generator
    """
    keys = [(i,) for i in positions]
    return descendants(seed_sequence(rng), keys, type(rng.bit_generator))


def spearman_to_pearson(rho: float) -> float:
    """Pearson correlation of normal scores that gives Spearman ``rho``: 2 sin(pi rho / 6)."""
    return 2.0 * math.sin(math.pi * rho / 6.0)


def correlation_matrix(
    names: Sequence[str], correlations: Sequence[Correlation], path: Path
) -> Array:
    """The normal-score correlation matrix for ``names``; rejects one that is not
    positive definite, naming the pair that made it so.

    Pairs are added in the order given; the first pair after which the matrix is no
    longer positive definite is named.
    """
    index = {name: i for i, name in enumerate(names)}
    matrix = np.eye(len(names))
    for k, c in enumerate(correlations):
        i, j = index[c.a], index[c.b]
        matrix[i, j] = matrix[j, i] = spearman_to_pearson(c.rho)
        if np.linalg.eigvalsh(matrix).min() <= 1e-10:
            raise ScenarioError(
                [
                    FieldError(
                        (*path, k),
                        f"the correlation of {c.a} and {c.b} ({c.rho:g}) makes "
                        "the correlation matrix not positive definite (pairs not listed "
                        "count as 0)",
                    )
                ]
            )
    return matrix


def iman_conover(values: Array, target: Array, *, rng: np.random.Generator) -> Array:
    """Reorder each column of ``values`` so that their rank correlation is ``target``.

    Iman and Conover (1982): van der Waerden scores, independently permuted per column,
    are given the target correlation by Cholesky factors; each column of ``values`` is
    then sorted into the ranks of its scores. Every column keeps its values.

    Parameters
    ----------
    values : ndarray, shape (n, k)
        Independent draws, one column per input.
    target : ndarray, shape (k, k)
        Positive definite correlation matrix of the normal scores.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape (n, k)
    """
    n, k = values.shape
    if n < 3 or k < 2:
        return values
    base = stats.norm.ppf(np.arange(1, n + 1) / (n + 1))
    scores = np.column_stack([rng.permutation(base) for _ in range(k)])
    actual = np.corrcoef(scores, rowvar=False)
    try:
        q = np.linalg.cholesky(actual)
    except np.linalg.LinAlgError:  # pragma: no cover - needs n barely above k
        return values
    p = np.linalg.cholesky(target)
    shaped = scores @ np.linalg.inv(q).T @ p.T
    out = np.empty_like(values)
    for j in range(k):
        ranks = np.argsort(np.argsort(shaped[:, j], kind="stable"), kind="stable")
        out[:, j] = np.sort(values[:, j], kind="stable")[ranks]
    return out


def draw(
    dists: Mapping[str, Distribution],
    size: int,
    *,
    method: str,
    streams: Mapping[str, np.random.Generator],
    qmc_rng: np.random.Generator | None,
) -> dict[str, Array]:
    """Draw every distribution ``size`` times by ``method``.

    Fixed values are repeated (they need no stream); with ``random`` each other input
    uses its own stream, so an input's draws do not depend on which others are present.
    ``qmc_rng`` is needed by ``lhs`` and ``sobol`` only.
    """
    out: dict[str, Array] = {}
    uncertain = [name for name, d in dists.items() if not d.is_fixed]
    points = None
    if method != "random":
        if qmc_rng is None:
            raise ValueError(f"sampling {method!r} needs qmc_rng")
        points = unit_points(method, size, len(uncertain), rng=qmc_rng)
    for name, dist in dists.items():
        if dist.is_fixed:
            out[name] = np.full(size, dist.value)
        elif points is None:
            out[name] = dist.sample(size, rng=streams[name])
        else:
            u = np.clip(points[:, uncertain.index(name)], 1e-15, 1.0 - 1e-15)
            out[name] = dist.ppf(u)
    return out
