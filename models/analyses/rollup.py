"""Roll-up: a table of jurisdictions (one row each, its cells naming scenario fields,
blank cells taking a base scenario's value) summed trial by trial into a state or
national total, with the probability that the total passes a threshold (such as UMRA's)
and the jurisdictions ranked by what they contribute.

Members are independent: each runs on the stream spawned for its row. They run in
tasks of consecutive rows (:class:`MemberBlock`, :func:`run_block`) that any executor
may run (``executor``: a ``map``-like callable; here, one after another, by default);
each task's sum is added to the total as it finishes, in task order. Only the total's
per-trial values, each member's summaries and the tasks that finished ahead of an
unfinished one are kept, so memory does not grow with the number of rows beyond their
summaries.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..engine import Cancel, build_result, sample_keys
from ..errors import FieldError, Path, ScenarioError
from ..inputs import text_problem
from ..overrides import merge
from ..presets import expand
from ..results import Convergence, SimulationResult, Summary, summarize
from ..scenario import BY_NAME, GROUPS, VOLUME_FIELDS, Scenario, parse_scenario, parse_seed
from .common import Array, Budget, InOrder, Progress, part, prefixed
from .portfolio import basis_errors, parse_threshold, with_members_settings
from .shared import SharedInputs, parse_shared, run_member, shared_errors

__all__ = [
    "COMMON_FIELDS",
    "MAX_ROWS",
    "TASKS",
    "BlockRun",
    "Executor",
    "Jurisdiction",
    "MemberBlock",
    "MemberRun",
    "RankedRow",
    "RollupResult",
    "block_size",
    "rollup",
    "row_name",
    "rows_from_csv",
    "run_block",
    "run_row",
]

#: Most rows of one roll-up (every US jail, about 3,500 (BJS), with room to spare).
MAX_ROWS = 5000
#: Fields every member shares, set by the base only (a row giving one is refused at its
#: cell: members summed under one year's labels and bounds must share its fiscal year).
COMMON_FIELDS = ("trials", "horizon_years", "start_year", "percentiles", "fiscal_year_start_month")
#: Columns that are not scenario fields: ``preset`` (the row starts from that preset
#: instead of the base) and ``note`` (free text, e.g. the source of the row's figures,
#: returned with the row's result).
EXTRA_COLUMNS = ("preset", "note")
_REFUSED = {
    **dict.fromkeys(COMMON_FIELDS, "is set by the base for every row"),
    "seed": "is set by the roll-up (its seed), not a row",
    "precision": "cannot be set in a roll-up: every member runs all its trials",
}
_TEXT_KINDS = ("string", "choice")
_NUMBER_KINDS = ("uncertain", "number", "integer")


@dataclass(frozen=True)
class Jurisdiction:
    """One row's result: its summaries and its share of the total mean cost."""

    row: int
    name: str
    note: str | None
    annual_cost: Summary
    total_cost: Summary
    share: float
    rank: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "row": self.row,
            "name": self.name,
            "note": self.note,
            "annual_cost": self.annual_cost.to_dict(),
            "total_cost": self.total_cost.to_dict(),
            "share": self.share,
            "rank": self.rank,
        }


@dataclass(frozen=True)
class RankedRow:
    """One line of the ranked table: jurisdictions by mean year-1 net cost, largest first."""

    rank: int
    row: int
    name: str
    mean: float
    p5: float
    p95: float
    share: float
    cumulative_share: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "rank": self.rank,
            "row": self.row,
            "name": self.name,
            "mean": self.mean,
            "p5": self.p5,
            "p95": self.p95,
            "share": self.share,
            "cumulative_share": self.cumulative_share,
        }


@dataclass(frozen=True)
class RollupResult:
    """Result of :func:`rollup`.

    Attributes
    ----------
    total : SimulationResult
        The members summed trial by trial (its ``exceedance`` holds the threshold's).
    jurisdictions : tuple of Jurisdiction
        In row order.
    ranked : tuple of RankedRow
        By mean year-1 net cost, largest first (ties by row).
    threshold, threshold_source : float or None, str or None
    probability_exceeds : float or None
        P(total year-1 net cost > threshold), when a threshold is given.
    shared : tuple of str
        Inputs drawn once per trial for every member.
    """

    total: SimulationResult
    jurisdictions: tuple[Jurisdiction, ...]
    ranked: tuple[RankedRow, ...]
    threshold: float | None
    threshold_source: str | None
    probability_exceeds: float | None
    shared: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "total": self.total.to_dict(),
            "jurisdictions": [j.to_dict() for j in self.jurisdictions],
            "ranked": [r.to_dict() for r in self.ranked],
            "threshold": self.threshold,
            "threshold_source": self.threshold_source,
            "probability_exceeds": self.probability_exceeds,
            "shared": list(self.shared),
        }


# --- reading a table -------------------------------------------------------------------


def _csv_cell(column: str, text: str, path: Path) -> tuple[Any, list[FieldError]]:
    """One CSV cell as the JSON value its column takes (blank: None)."""
    text = text.strip()
    if not text:
        return None, []
    spec = BY_NAME.get(column)
    if column in EXTRA_COLUMNS or spec is None or spec.kind in _TEXT_KINDS:
        return text, []  # unknown columns are named when the row is read
    if text.startswith(("{", "[")):
        try:
            return json.loads(text), []
        except ValueError:
            return None, [FieldError(path, "is not valid JSON")]
    if spec.kind not in _NUMBER_KINDS:
        return None, [FieldError(path, "must be a JSON list")]
    try:
        number = float(text)
    except ValueError:
        return None, [
            FieldError(path, f"must be a number, or a distribution as JSON (got {text[:40]!r})")
        ]
    return (int(number) if number.is_integer() and abs(number) < 2**53 else number), []


def rows_from_csv(text: str) -> tuple[list[dict[str, Any]], list[FieldError]]:
    """The rows of a CSV table (a header of column names, then one row per jurisdiction).

    A cell is a number, a text (``name``, ``note``, ``preset`` and text fields), or JSON
    (a distribution ``{"dist": ...}``, a list); a blank cell is None (the base's value).
    Rows are numbered from 0, the first after the header.

    Returns
    -------
    rows : list of dict
    errors : list of FieldError
        Every cell that is neither (``rows/17/daily_cost``), and rows longer than the
        header; the rows returned leave those cells out.
    """
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return [], [FieldError(("rows",), "the table is empty: give a header and rows")]
    except csv.Error as exc:
        return [], [FieldError(("rows",), f"is not CSV: {exc}")]
    errors = [
        FieldError(("rows",), f"column {h!r} appears twice in the header")
        for i, h in enumerate(header)
        if h in header[:i]
    ]
    rows: list[dict[str, Any]] = []
    try:
        for i, cells in enumerate(reader):
            if len(rows) >= MAX_ROWS:
                return rows, [*errors, FieldError(("rows",), f"has more than {MAX_ROWS} rows")]
            if len(cells) > len(header):
                errors.append(FieldError(("rows", i), "has more cells than the header"))
            row: dict[str, Any] = {}
            for column, text in zip(header, cells, strict=False):
                value, problems = _csv_cell(column, text, ("rows", i, column))
                errors += problems
                if value is not None:
                    row[column] = value
            rows.append(row)
    except csv.Error as exc:
        errors.append(FieldError(("rows", len(rows)), f"is not CSV: {exc}"))
    return rows, errors


def _nested(cells: Mapping[str, Any]) -> dict[str, Any]:
    """Cells by dotted column as nested overrides (``offsets.x`` -> ``{"offsets": {x}}``)."""
    out: dict[str, Any] = {}
    for column, value in cells.items():
        *groups, leaf = column.split(".")
        node = out
        for group in groups:
            node = node.setdefault(group, {})
        node[leaf] = value
    return out


def _volume_overrides(cells: Mapping[str, Any]) -> dict[str, Any]:
    """A row giving detainers removes the base's bookings fields, and a row giving
    bookings (or rates) removes the base's detainers: the row's volume form wins."""
    given = {c for c in cells if c in VOLUME_FIELDS}
    if not given:
        return {}
    drop = (
        [f for f in VOLUME_FIELDS if f != "detainers_per_year"]
        if "detainers_per_year" in given
        else ["detainers_per_year"]
    )
    return {f: None for f in drop if f not in given}


class _Table:
    """Parses the rows against the base; collects every error of every row."""

    def __init__(self, base: Mapping[str, Any], base_errors: set[tuple[Path, str]]) -> None:
        self.base = base
        self.base_errors = base_errors
        self.errors: list[FieldError] = []
        self.base_reported: set[tuple[Path, str]] = set()
        self.notes: list[str | None] = []
        self.first: tuple[int, Scenario] | None = None  # the first row that parses

    def cells(self, i: int, row: object) -> dict[str, Any] | None:
        """The row's given cells, or None (with its errors noted) when it has bad columns."""
        if not isinstance(row, Mapping):
            self.errors.append(FieldError(("rows", i), "must be an object of column: value"))
            return None
        bad = []
        for column in row:
            if not isinstance(column, str) or (
                column not in BY_NAME and column not in (*EXTRA_COLUMNS, *GROUPS)
            ):
                bad.append(FieldError(("rows", i, str(column)), "is not a scenario field"))
            elif column in _REFUSED and row[column] not in (None, ""):
                bad.append(FieldError(("rows", i, column), _REFUSED[column]))
            elif column in EXTRA_COLUMNS and not isinstance(row[column], str | None):
                bad.append(FieldError(("rows", i, column), "must be a string"))
            elif column == "note" and (problem := text_problem(row[column] or "")):
                bad.append(FieldError(("rows", i, column), problem))
        self.errors += bad
        if bad:
            return None
        return {c: v for c, v in row.items() if v is not None and v != ""}

    def start(self, i: int, cells: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """What the row's cells apply over: the base, or the preset it names (with the
        base's common fields)."""
        if "preset" not in cells:
            return self.base
        try:
            expanded = expand({"preset": cells["preset"]}, ("rows", i))
        except ScenarioError as exc:
            self.errors += exc.errors
            return None
        assert isinstance(expanded, Mapping)
        common = {f: self.base.get(f) for f in COMMON_FIELDS}  # None: the default
        return merge(expanded, common)

    def parse(self, i: int, row: object) -> Scenario | None:
        """Row ``i`` as a scenario, or None with its errors noted (a row whose costs
        are on another basis than the first good row's is noted at its ``daily_cost``)."""
        cells = self.cells(i, row)
        self.notes.append(None if cells is None else cells.get("note"))
        if cells is None:
            return None
        start = self.start(i, cells)
        if start is None:
            return None
        fields = {c: v for c, v in cells.items() if c not in EXTRA_COLUMNS}
        if "name" not in fields and ("preset" not in cells or not start.get("name")):
            fields["name"] = row_name(i)  # never the base's name
        try:
            merged = merge(start, _nested({**_volume_overrides(fields), **fields}), ("rows", i))
            scenario = parse_scenario(merged)
        except ScenarioError as exc:
            located = (self._locate(e, i, fields) for e in exc.errors)
            self.errors += [e for e in located if e is not None]
            return None
        self.first = self.first or (i, scenario)
        self.errors += basis_errors([self.first, (i, scenario)], "rows")
        return scenario

    def _locate(self, e: FieldError, i: int, fields: Mapping[str, Any]) -> FieldError | None:
        """Where an error of row ``i``'s scenario lies: a cell of the row, the base
        (reported once: None when it was), or the row as a whole (a field neither
        gives)."""
        if e.path[:2] == ("rows", i):
            return e  # located by merge already
        for column in fields:
            parts = tuple(column.split("."))
            if e.path[: len(parts)] == parts:
                return FieldError(("rows", i, column, *e.path[len(parts) :]), e.reason)
        key = (e.path, e.reason)
        if key in self.base_errors and _present(self.base, e.path):
            if key in self.base_reported:
                return None
            self.base_reported.add(key)
            return FieldError(("base", *e.path), e.reason)
        where = ".".join(str(p) for p in e.path) or "(row)"
        reason = f"{e.reason} (give it in the row or in the base)" if e.path else e.reason
        return FieldError(("rows", i, where), reason)


def row_name(i: int) -> str:
    """The name of row ``i`` (from 0) that gives none: ``"Row 1"`` for the first row
    (the CSV's line 2, after the header), whatever the base is named."""
    return f"Row {i + 1}"


def _present(data: Mapping[str, Any], path: Path) -> bool:
    """Whether ``data`` gives the field ``path`` leads to (``path[:2]`` for a field of a
    group such as ``offsets``, ``path[:1]`` otherwise)."""
    if not path:
        return False
    value = data.get(str(path[0]))
    if path[0] in GROUPS and len(path) > 1 and isinstance(value, Mapping):
        value = value.get(str(path[1]))
    return value is not None


def _base(
    base: object,
) -> tuple[dict[str, Any] | None, set[tuple[Path, str]], list[FieldError]]:
    """The base expanded (a preset), the errors it has on its own (those a row may
    inherit), and the errors that are the base's alone (a field only the roll-up sets)."""
    if not isinstance(base, Mapping):
        return None, set(), [FieldError(("base",), "must be a scenario object")]
    try:
        expanded = expand(base, ("base",))
    except ScenarioError as exc:
        return None, set(), list(exc.errors)
    assert isinstance(expanded, Mapping)
    own = [FieldError(("base", k), _REFUSED[k]) for k in ("seed", "precision") if k in expanded]
    try:
        parse_scenario(expanded)
        inherited: set[tuple[Path, str]] = set()
    except ScenarioError as exc:
        inherited = {(e.path, e.reason) for e in exc.errors}
    return dict(expanded), inherited, own


def _parse_table(
    base: object, rows: object, seed: object
) -> tuple[int | None, list[Scenario], list[str | None]]:
    """The roll-up's seed, every row parsed and every row's note, or a ScenarioError
    naming every fault of every row (one bad row never hides another's), a row whose
    costs are on another basis than the first good row's among them."""
    errors: list[FieldError] = []
    if seed is not None:
        try:
            seed = parse_seed(seed, ("seed",))
        except ScenarioError as exc:
            errors += exc.errors
    expanded, inherited, own = _base(base)
    errors += own
    if not isinstance(rows, Sequence) or isinstance(rows, str) or not 1 <= len(rows) <= MAX_ROWS:
        errors.append(FieldError(("rows",), f"must be a list of 1 to {MAX_ROWS} rows"))
        raise ScenarioError(errors)
    if expanded is None:
        raise ScenarioError(errors)
    table = _Table(expanded, inherited)
    parsed = [table.parse(i, row) for i, row in enumerate(rows)]
    errors += table.errors
    if errors:
        raise ScenarioError(errors)
    assert seed is None or isinstance(seed, int)
    return seed, [sc for sc in parsed if sc is not None], table.notes


# --- running --------------------------------------------------------------------------


def rollup(
    base: object,
    rows: object,
    *,
    shared: object = None,
    threshold: object = None,
    seed: object = None,
    rng: Any = None,
    budget: Budget | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    executor: Executor | None = None,
) -> RollupResult:
    """Sum a table of jurisdictions trial by trial.

    Parameters
    ----------
    base : mapping
        The base scenario (it may name a preset); it alone sets ``trials``,
        ``horizon_years``, ``start_year``, ``percentiles`` and
        ``fiscal_year_start_month`` (:data:`COMMON_FIELDS`), and it may not set
        ``seed`` or ``precision``. It need not be complete: a field every row gives
        may be missing from it.
    rows : list of mappings, or str
        A CSV table (read by :func:`rows_from_csv`, its cells' errors reported with
        the rest), or one mapping per jurisdiction: column (a scenario field, dotted
        for grouped ones such as ``offsets.scaap_eligible_share``, or a group as an
        object; ``name``; ``preset``; ``note``) to value. A missing, null or empty
        cell takes the base's value, except ``name``: a row that gives none (and no
        ``preset`` that has one) is named ``"Row N"``, N its place in the table from
        1 (``"Row 1"`` is ``rows[0]``, the CSV's line 2; :func:`row_name`), never the
        base's name. A row that gives
        ``detainers_per_year`` drops the base's bookings fields and one that gives
        bookings or rates drops the base's ``detainers_per_year``. A row naming a
        ``preset`` starts from that preset (with the base's common fields) instead of
        the base.
    shared : list of str, optional
        Inputs drawn once per trial for every member (see :mod:`.shared`).
    threshold : float or {"umra_year": int}, optional
        As in :func:`~models.analyses.portfolio`.
    seed : int, optional
        Seed of the roll-up (default 2877); member ``i`` runs on the ``i``-th stream
        spawned from it, as in a portfolio, so a roll-up of the same members without
        shared inputs gives a portfolio's total.
    rng : numpy.random.Generator, keyword-only, optional
        Overrides ``seed``.
    budget, progress, cancel : callable, optional
        As in :func:`~models.analyses.compare`; ``budget`` gets one item per row and
        ``progress`` counts trials over every member.
    executor : callable, optional
        Runs the tasks (consecutive rows each; see :data:`Executor`): ``executor(fn,
        tasks)`` yields ``fn(task)`` for every task, in any order, possibly in other
        processes or machines. Default: here, one after another. The result has the
        same bytes whichever ran it: every member draws from its own row's stream, and
        the tasks' sums are added in task order.

    Returns
    -------
    RollupResult
        Its ``total``'s provenance gives the rows' ``hold_rule`` and
        ``extra_stay_applies_to`` when they all share one, else ``"mixed"``; each
        year's ``hold_rule`` likewise (as a portfolio's).

    Raises
    ------
    ScenarioError
        Naming every fault: ``/rows/17/daily_cost`` for a bad cell or for a row whose
        costs are on another basis than the first good row's (``daily_cost`` given:
        marginal; ``daily_cost_average`` alone: average; a sum of the two has no basis
        to label), ``/base/...`` for a fault of the base (once), ``/shared/0``,
        ``/threshold``.
    """
    errors: list[FieldError] = []
    value = source = None
    names: tuple[str, ...] = ()
    try:
        value, source = parse_threshold(threshold)
    except ScenarioError as exc:
        errors += exc.errors
    try:
        names = parse_shared(shared)
    except ScenarioError as exc:
        errors += exc.errors
    if isinstance(rows, str):
        rows, cell_errors = rows_from_csv(rows)
        errors += cell_errors
    try:
        used_seed, parsed, notes = _parse_table(base, rows, seed)
    except ScenarioError as exc:
        named = {e.path for e in errors}  # a bad CSV cell is not also "required"
        raise ScenarioError([*errors, *(e for e in exc.errors if e.path not in named)]) from None
    errors += [e for i, sc in enumerate(parsed) for e in shared_errors(sc, names, ("rows", i))]
    if errors:
        raise ScenarioError(errors)
    if budget is not None:
        budget([(("base", "trials"), sc.trials, sc.horizon_years) for sc in parsed])
    root_seed = used_seed if used_seed is not None else parsed[0].seed
    root = np.random.default_rng(rng if rng is not None else root_seed)
    result = _run(
        parsed,
        root,
        names,
        (value, None if rng is not None else root_seed),
        (progress, cancel),
        executor,
    )
    return _assemble(parsed, notes, result, names, (value, source))


#: A roll-up's members run in this many tasks at most (fewer for a small table): each
#: task runs consecutive rows and returns their sum, so a worker sends back one
#: member's worth of trials per task, whatever the table's size.
TASKS = 256


def block_size(rows: int) -> int:
    """Rows per task for a table of ``rows``: 1 up to ``TASKS`` rows, then
    ``ceil(rows / TASKS)``. It depends on the table alone (never on the executor), since
    the total's bytes depend on how the rows are grouped."""
    return max(1, math.ceil(rows / TASKS))


@dataclass(frozen=True)
class MemberBlock:
    """Consecutive members of a roll-up, run as one task (picklable: an executor may
    send it to another process or machine).

    Attributes
    ----------
    index : int
        The task's place among the roll-up's tasks (0, 1, ...).
    start : int
        The row of its first member.
    scenarios : tuple of Scenario
    streams : tuple of numpy.random.Generator
        Each member's stream, spawned from the roll-up's root (member ``i`` the
        ``i``-th), so a member draws the same numbers wherever it runs.
    shared : SharedInputs or None
    keys : tuple of str
        The per-trial values the total keeps.
    """

    index: int
    start: int
    scenarios: tuple[Scenario, ...]
    streams: tuple[np.random.Generator, ...]
    shared: SharedInputs | None
    keys: tuple[str, ...]


@dataclass(frozen=True)
class MemberRun:
    """One member's run: its summaries and its per-trial values the total keeps."""

    annual_cost: Summary
    total_cost: Summary
    samples: dict[str, Array]
    convergence: Convergence


@dataclass(frozen=True)
class BlockRun:
    """A task's result: the sum of its members' kept values (added in row order, from
    zeros), each member's (year-1, horizon) summaries, the first member's convergence,
    or the errors of the first member that failed (its path under ``rows/i``)."""

    index: int
    start: int
    partial: dict[str, Array]
    summaries: tuple[tuple[Summary, Summary], ...]
    convergence: Convergence | None
    errors: tuple[FieldError, ...] = ()


#: Runs ``fn`` on every task and yields the results in any order (each names its task),
#: as the builtin ``map`` does in order: a Dask client's ``map`` with ``as_completed``, a
#: process pool's ``imap_unordered``. It should keep only a bounded number of tasks
#: ahead of the first unfinished one: results that come early wait for it (the total is
#: added in task order, so it has the same bytes whatever finished first).
Executor = Callable[[Callable[[MemberBlock], BlockRun], Iterable[MemberBlock]], Iterable[BlockRun]]


def run_row(
    scenario: Scenario,
    *,
    rng: np.random.Generator,
    shared: SharedInputs | None,
    keys: Sequence[str],
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> MemberRun:
    """One member of a roll-up on its own stream (``rng``: the one spawned for its row).

    Raises
    ------
    ScenarioError
        At the member's field, when its draws fail (counts past what numpy holds).
    """
    samples, conv = run_member(scenario, rng=rng, shared=shared, progress=progress, cancel=cancel)
    return MemberRun(
        summarize(samples["annual_cost"], scenario.percentiles),
        summarize(samples["total_cost"], scenario.percentiles),
        {k: samples[k] for k in keys},
        conv,
    )


def run_block(
    block: MemberBlock,
    *,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> BlockRun:
    """Run a task's members one by one, adding each to the task's sum as it finishes.

    A member whose draws fail ends the task: its errors come back in the result (a
    ``ScenarioError`` does not survive pickling), under ``rows/i``.
    """
    first = block.scenarios[0]
    partial = {k: np.zeros(first.trials) for k in block.keys}
    summaries: list[tuple[Summary, Summary]] = []
    convergence = None
    for j, (sc, stream) in enumerate(zip(block.scenarios, block.streams, strict=True)):
        try:
            member = run_row(
                sc,
                rng=stream,
                shared=block.shared,
                keys=block.keys,
                progress=part(progress, j * sc.trials, sc.trials * len(block.scenarios)),
                cancel=cancel,
            )
        except ScenarioError as exc:
            errors = prefixed(exc, ("rows", block.start + j)).errors
            return BlockRun(block.index, block.start, {}, (), None, tuple(errors))
        for k in block.keys:
            partial[k] += member.samples[k]
        summaries.append((member.annual_cost, member.total_cost))
        convergence = convergence or member.convergence
        del member
    return BlockRun(block.index, block.start, partial, tuple(summaries), convergence)


def _blocks(
    parsed: Sequence[Scenario],
    root: np.random.Generator,
    shared: SharedInputs | None,
    keys: tuple[str, ...],
) -> Iterator[MemberBlock]:
    """The roll-up's tasks in row order, made as they are asked for (each spawns its
    members' streams from ``root`` in turn: the same streams as spawning all at once)."""
    size = block_size(len(parsed))
    for index, start in enumerate(range(0, len(parsed), size)):
        scenarios = tuple(parsed[start : start + size])
        streams = tuple(root.spawn(len(scenarios)))
        yield MemberBlock(index, start, scenarios, streams, shared, keys)


def _run(
    parsed: Sequence[Scenario],
    root: np.random.Generator,
    names: tuple[str, ...],
    settings: tuple[float | None, int | None],
    hooks: tuple[Progress | None, Cancel | None],
    executor: Executor | None,
) -> tuple[SimulationResult, list[tuple[Summary, Summary]]]:
    """Run the members in tasks of consecutive rows, adding each task's sum to the total
    in task order as the tasks finish (one that finishes early waits for those before
    it); the total and each member's (year-1, horizon) summaries.

    Without an executor the tasks run here, one after another, reporting progress by
    trials; with one, progress counts the members of the tasks that came back.
    """
    progress, cancel = hooks
    first = parsed[0]
    keys = tuple(
        sorted(
            set.intersection(*(set(sample_keys(sc)) for sc in parsed))
            - {k for k in sample_keys(first) if k.startswith("input:")}
        )
    )
    total = _Total(keys, first.trials)
    blocks = _blocks(parsed, root, SharedInputs(names, root) if names else None, keys)
    all_trials = first.trials * len(parsed)
    results: Iterable[BlockRun]
    if executor is None:
        results = (
            run_block(b, progress=part(progress, b.start * first.trials, all_trials), cancel=cancel)
            for b in blocks
        )
    else:
        results = executor(run_block, blocks)
    returned = 0
    try:
        for result in results:
            total.add(result)
            returned += len(result.summaries)
            if executor is not None and cancel is not None:
                cancel()
            if executor is not None and progress is not None:
                progress(returned * first.trials, all_trials)
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()  # an executor's generator cancels what it has not finished
    if len(total.summaries) != len(parsed) or total.convergence is None:
        raise RuntimeError("the executor did not return every task of the roll-up")
    value, seed = settings
    total_sc = _total_scenario(parsed, names, value)
    built = build_result(total_sc, total.values, seed, total.convergence)
    return with_members_settings(built, parsed), total.summaries


class _Total:
    """The total of a roll-up's tasks, added in task order whatever order they come
    back in (floating-point sums depend on the order): a task that comes back before
    those ahead of it waits here."""

    def __init__(self, keys: tuple[str, ...], trials: int) -> None:
        self.keys = keys
        self.values = {k: np.zeros(trials) for k in keys}
        self.summaries: list[tuple[Summary, Summary]] = []
        self.convergence: Convergence | None = None
        self._order: InOrder[BlockRun] = InOrder()

    def add(self, result: BlockRun) -> None:
        """Take one task's result; add it and every waiting one it lets through.

        Raises
        ------
        ScenarioError
            The errors of the first task, in row order, whose member failed.
        """
        for ready in self._order.add(result.index, result):
            if ready.errors:
                raise ScenarioError(list(ready.errors))
            for k in self.keys:
                self.values[k] += ready.partial[k]
            self.summaries += ready.summaries
            self.convergence = self.convergence or ready.convergence


def _total_scenario(
    parsed: Sequence[Scenario], names: Sequence[str], value: float | None
) -> Scenario:
    populations = [sc.population for sc in parsed]
    return replace(
        parsed[0],
        name="Roll-up",
        thresholds=() if value is None else (value,),
        population=None if None in populations else float(sum(p or 0 for p in populations)),
        annual_budget=None,
        canonical={
            "members": [sc.sha256 for sc in parsed],
            "shared": list(names),
            "threshold": value,
        },
    )


def _assemble(
    parsed: Sequence[Scenario],
    notes: Sequence[str | None],
    run: tuple[SimulationResult, list[tuple[Summary, Summary]]],
    names: tuple[str, ...],
    threshold: tuple[float | None, str | None],
) -> RollupResult:
    """Shares, ranks and the ranked table, once the total is known."""
    total, summaries = run
    total_mean = total.annual_cost.mean
    means = np.array([a.mean for a, _ in summaries])
    order = sorted(range(len(parsed)), key=lambda i: (-means[i], i))
    rank = {row: r for r, row in enumerate(order, start=1)}

    def share(i: int) -> float:
        return float(means[i] / total_mean) if total_mean else 0.0

    jurisdictions = tuple(
        Jurisdiction(i, sc.name or row_name(i), notes[i], a, t, share(i), rank[i])
        for i, (sc, (a, t)) in enumerate(zip(parsed, summaries, strict=True))
    )
    ranked = []
    cumulative = 0.0
    for r, i in enumerate(order, start=1):
        a = summaries[i][0]
        cumulative += share(i)
        ranked.append(
            RankedRow(
                r,
                i,
                parsed[i].name or row_name(i),
                a.mean,
                _pct(a, 5.0),
                _pct(a, 95.0),
                share(i),
                cumulative,
            )
        )
    value, source = threshold
    probability = total.exceedance[0].probability if total.exceedance else None
    return RollupResult(total, jurisdictions, tuple(ranked), value, source, probability, names)


def _pct(summary: Summary, q: float) -> float:
    """Percentile ``q`` of a summary (its min or max when the scenario does not ask
    for it)."""
    key = f"p{q:g}"
    if key in summary.percentiles:
        return summary.percentiles[key]
    return summary.min if q < 50 else summary.max
