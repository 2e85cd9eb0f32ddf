"""Hypothesis strategies for hostile JSON, shared by the engine's property tests and the
service's hunters: integers past any float, extreme and subnormal floats, lone surrogates
and control characters, distribution specs of every family with extreme parameters,
deep nesting, and values of each scenario field's kind with extreme contents."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from models.distributions import DISTRIBUTIONS
from models.inputs import MAX_DEPTH
from models.scenario import FIELDS

BIG_INTS = [10**400, -(10**400), 10**309, 2**64, 2**64 - 1, 2**63, -(2**63) - 1, -1, 0]
EDGE_FLOATS = [1.7976931348623157e308, -1e308, 1e300, 5e-324, -5e-324, 1e-300, -0.0, 0.5]
HOSTILE_TEXT = ["\ud800", "a\udfffb", "\x00", "\x01", "\x0b", "\x1b[31m", "\ufffe", "\uffff"]
NAMES = [f.name.split(".")[-1] for f in FIELDS] + [f.name.split(".")[0] for f in FIELDS]
PARAMS = sorted({p for req, opt in DISTRIBUTIONS.values() for p in req + opt})

numbers = st.one_of(
    st.integers(),
    st.sampled_from(BIG_INTS),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(EDGE_FLOATS),
)
texts = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=12),  # surrogates included
    st.sampled_from(HOSTILE_TEXT),
    st.sampled_from(NAMES + list(DISTRIBUTIONS) + ["random", "lhs", "sobol"]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
dist_specs = st.builds(
    lambda kind, params: {"dist": kind, **params},
    st.sampled_from(list(DISTRIBUTIONS)),
    st.dictionaries(st.sampled_from(PARAMS), numbers | st.lists(numbers, max_size=4), max_size=4),
)


def _nest(depth: int) -> Any:
    value: Any = 1
    for i in range(depth):
        value = [value] if i % 2 else {"a": value}
    return value


hostile = st.one_of(
    scalars,
    dist_specs,
    st.recursive(
        scalars | dist_specs,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
        max_leaves=6,
    ),
    st.integers(MAX_DEPTH - 2, 3 * MAX_DEPTH).map(_nest),
)
keys = st.one_of(st.sampled_from(NAMES + PARAMS + ["dist", "preset", "name", "overrides"]), texts)

# Values of the right shape with extreme contents, to get past the type checks into the
# engine: numbers at every magnitude, each family with its own parameters, lists of them.
MAGNITUDES = [0, 1, 2, 7, 40, 1000, 1e6, 1e9, 1e12, 1e15, 1e18, 1e100, 1e300, 1.797e308]
TINY = [5e-324, 1e-310, 1e-300, 1e-100, 1e-12, 1e-6, 0.001, 0.5, 0.999, 0.9999999999999999]
extreme = st.one_of(
    # Hypothesis tries early choices first: the values that once reached a 500 lead.
    st.sampled_from(BIG_INTS + EDGE_FLOATS),
    st.sampled_from(MAGNITUDES + TINY + [-x for x in MAGNITUDES + TINY]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(0, 1),
)


def _param(name: str) -> st.SearchStrategy[Any]:
    if name == "values":
        return st.lists(extreme, min_size=1, max_size=30)
    if name == "shape":
        return st.sampled_from(["lognormal", "normal"]) | extreme
    return extreme


def _family(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    required, optional = DISTRIBUTIONS[kind]
    return st.fixed_dictionaries(
        {"dist": st.just(kind), **{p: _param(p) for p in required}},
        optional={**{p: _param(p) for p in optional}, "note": texts},
    )


families = st.sampled_from(list(DISTRIBUTIONS)).flatmap(_family)
UNCERTAIN = [f.name for f in FIELDS if f.kind == "uncertain"]
correlations = st.lists(
    st.fixed_dictionaries(
        {"a": st.sampled_from(UNCERTAIN), "b": st.sampled_from(UNCERTAIN), "rho": extreme}
    ),
    max_size=3,
)
BY_KIND: dict[str, st.SearchStrategy[Any]] = {
    "uncertain": extreme | families,
    "number": extreme,
    "integer": extreme,
    "weights": st.lists(extreme, min_size=7, max_size=7),
    "numbers": st.lists(extreme, max_size=8),
    "string": texts,
    "choice": st.sampled_from(["random", "lhs", "sobol"]) | texts,
    "correlations": correlations,
}


@st.composite
def field_values(draw: st.DrawFn) -> tuple[str, Any]:
    """A scenario field and a value of its kind with extreme contents (sometimes of any
    kind)."""
    spec = draw(st.sampled_from(FIELDS))
    strategy = (
        BY_KIND[spec.kind]
        if draw(st.integers(0, 3))
        else draw(st.sampled_from(list(BY_KIND.values())))
    )
    return spec.name, draw(strategy)
