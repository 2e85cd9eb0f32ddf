"""``detainer-cost rollup COUNTIES.csv --base SCENARIO.json``: a table of jurisdictions
summed into a state or national total, with a progress bar; ``--scheduler
tcp://host:8786`` runs the members on a Dask cluster instead of this process (the same
result, to the byte). It imports the engine and nothing of the web service or the
report renderers (Dask only with ``--scheduler``)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from models.analyses.rollup import RollupResult, rollup

from . import engine_commands
from .engine_commands import EXIT_USAGE, fit, format_table, load_json

__all__ = ["add_rollup", "format_rollup"]

#: ``--format`` values that write the roll-up's report to a file (``-o``).
REPORT_FORMATS = ("html", "pdf", "xlsx", "csv")

#: Jurisdictions the table shows (the JSON has them all).
TOP = 15
#: Exit status when the run could not be done (the Dask scheduler cannot be used).
EXIT_FAILURE = 1


def _money(x: float) -> str:
    return f"-${-x:,.0f}" if x < 0 else f"${x:,.0f}"


def format_rollup(result: RollupResult, top: int = TOP) -> str:
    """The total, the threshold's probability and the largest contributors."""
    lines = [format_table(result.total)]
    if result.threshold is not None and result.probability_exceeds is not None:
        lines.append(
            f"P(total year-1 net cost > {_money(result.threshold)}) = "
            f"{result.probability_exceeds:.3f}  ({result.threshold_source})"
        )
    if result.shared:
        lines.append(
            "Shared inputs (one draw per trial for every row): " + ", ".join(result.shared)
        )
    shown = min(top, len(result.ranked))
    lines.append(f"Largest {shown} of {len(result.ranked)} jurisdictions (mean year-1 net cost):")
    lines.append(f"{'rank':>5}  {'row':>5}  {'name':<32}{'mean':>16}{'share':>8}{'cumul.':>8}")
    lines += [
        f"{r.rank:>5}  {r.row:>5}  {fit(r.name or '(unnamed)', 32):<32}{_money(r.mean):>16}"
        f"{r.share:>8.1%}{r.cumulative_share:>8.1%}"
        for r in result.ranked[:shown]
    ]
    return "\n".join(lines)


def _threshold(args: argparse.Namespace) -> Any:
    if args.umra_year is not None:
        return {"umra_year": args.umra_year}
    return args.threshold


def _read_rows(path: str) -> Any:
    """A CSV table as its text, or a JSON list of rows (a ``.json`` file)."""
    if path.endswith(".json"):
        return load_json(path)
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8-sig") as fh:
        return fh.read()


def _rollup(args: argparse.Namespace) -> int:
    try:
        rows = _read_rows(args.table)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        print(f"error: cannot read {args.table}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        base = load_json(args.base)
    except (OSError, json.JSONDecodeError) as exc:
        print(f"error: cannot read {args.base}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    shared = [s.strip() for s in args.shared.split(",") if s.strip()] if args.shared else None
    if args.format in REPORT_FORMATS:
        base = _report_base(base)
    elif args.output is not None:
        print(
            "error: -o/--output is for a report (--format html, pdf, xlsx or csv)", file=sys.stderr
        )
        return EXIT_USAGE
    executor = None
    if args.scheduler:
        from ..scaleout import DaskExecutor

        executor = DaskExecutor(args.scheduler)

    def call(body: Any, bar: engine_commands.ProgressBar) -> RollupResult:
        return rollup(
            base,
            body,
            shared=shared,
            threshold=_threshold(args),
            seed=args.seed,
            progress=bar,
            executor=executor,
        )

    if args.format in REPORT_FORMATS:
        return _write_report(args, call, rows, base)
    return _on_cluster(args, call, rows)


def _on_cluster(args: argparse.Namespace, call: Any, rows: Any) -> int:
    """``engine_commands._run``, a scheduler that cannot be used told in one line."""
    from ..scaleout import ScaleoutError

    try:
        return engine_commands._run(args, call, format_rollup, rows)
    except ScaleoutError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE


def add_rollup(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``rollup`` to the command line."""
    cmd = sub.add_parser(
        "rollup", help="sum a table of jurisdictions (CSV, one row each) over a base scenario"
    )
    cmd.add_argument(
        "table",
        help="CSV table: a header of scenario fields (and name, preset, note), one row per "
        "jurisdiction, blank cells taking the base's value; or a .json list of rows; - for stdin",
    )
    cmd.add_argument("--base", required=True, help="the base scenario (JSON)")
    cmd.add_argument("--shared", help="comma-separated inputs drawn once per trial for every row")
    group = cmd.add_mutually_exclusive_group()
    group.add_argument("--threshold", type=float, help="dollars: P(total year-1 cost > it)")
    group.add_argument("--umra-year", type=int, help="CBO's UMRA threshold of that year")
    cmd.add_argument("--seed", type=int, help="the roll-up's seed (default 2877)")
    cmd.add_argument(
        "--format",
        choices=("json", "table", *REPORT_FORMATS),
        default="table",
        help="table or json on standard output, or the report (html, pdf, xlsx, csv) to -o",
    )
    cmd.add_argument(
        "-o",
        "--output",
        help="the report's file (default: from the base's name; - for standard output)",
    )
    cmd.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the rows on this Dask scheduler (tcp://host:8786; needs the 'scale' "
        "extra and detainer-cost on its workers); default: in this process",
    )
    cmd.set_defaults(func=_rollup)


def _report_base(base: Any) -> Any:
    """The base asking for the report's percentiles besides its own, as every report's."""
    from ..reports.rollup import with_report_percentiles

    return with_report_percentiles({"base": base})["base"]


def _write_report(args: argparse.Namespace, call: Any, rows: Any, base: Any) -> int:
    """Run the roll-up with its progress bar and write its report (``--format html``,
    ``pdf``, ``xlsx`` or ``csv``) to ``-o`` (default: a file named from the base's name)."""
    from models.errors import ScenarioError

    from ..http import report_filename
    from ..reports.rollup import render_rollup_of, report_names

    failures: tuple[type[Exception], ...] = ()
    if getattr(args, "scheduler", None):
        from ..scaleout import ScaleoutError

        failures = (ScaleoutError,)
    bar = engine_commands.ProgressBar(sys.stderr)
    try:
        result = call(rows, bar)
    except ScenarioError as exc:
        bar.close()
        for error in exc.errors:
            print(f"error: {error.field}: {error.reason}", file=sys.stderr)
        return EXIT_USAGE
    except failures as exc:
        bar.close()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        bar.close()
    name, _ = report_names(base)
    rendered = render_rollup_of(result, args.format, base)
    output = args.output or report_filename(name or "rollup", rendered.extension)
    if output == "-":
        sys.stdout.buffer.write(rendered.body)
        return 0
    try:
        with open(output, "wb") as fh:
            fh.write(rendered.body)
    except OSError as exc:
        print(f"error: cannot write {output}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {output}", file=sys.stderr)
    return 0
