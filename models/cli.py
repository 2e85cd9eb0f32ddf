"""Command line: ``detainer-cost simulate SCENARIO.json [--trials N] [--seed S]``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

from .engine import __version__, simulate
from .errors import ScenarioError
from .results import SimulationResult, Summary

__all__ = ["main"]

EXIT_USAGE = 2


class ProgressBar:
    """A progress bar on a stream, shown only once a run has taken over ``delay`` s."""

    def __init__(self, stream: TextIO, delay: float = 1.0, width: int = 30) -> None:
        self.stream = stream
        self.delay = delay
        self.width = width
        self.start = time.monotonic()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.shown and time.monotonic() - self.start < self.delay:
            return
        self.shown = True
        filled = self.width * done // max(total, 1)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {done}/{total} trials")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def _load(path: str) -> Any:
    if path == "-":
        return json.load(sys.stdin)
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _money(x: float) -> str:
    return f"-${-x:,.0f}" if x < 0 else f"${x:,.0f}"


def _row(label: str, s: Summary, fmt: Any = _money) -> str:
    p = s.percentiles
    lo = p.get("p5", s.min)
    hi = p.get("p95", s.max)
    mid = p.get("p50", s.mean)
    return f"{label:<28}{fmt(s.mean):>16}{fmt(mid):>16}{fmt(lo):>16}{fmt(hi):>16}"


def format_table(result: SimulationResult) -> str:
    """A plain-text table of the main figures."""

    def num(x: float) -> str:
        return f"{x:,.1f}"

    lines = [
        f"Scenario: {result.name or '(unnamed)'}  trials: {result.trials}  "
        f"start year: {result.provenance.start_year}",
        f"{'':<28}{'mean':>16}{'median':>16}{'p5 (or min)':>16}{'p95 (or max)':>16}",
        _row("Year-1 net cost", result.annual_cost),
        _row("Total over horizon", result.total_cost),
        _row("Present value", result.present_value),
    ]
    if result.average_basis is not None:
        lines.append(_row("Year-1 cost, average basis", result.average_basis["annual_cost"]))
    lines += [
        _row("Detainers", result.detainers, num),
        _row("Honored", result.honored, num),
        _row("Bed-days (all)", result.bed_days, num),
        _row("  hold", result.hold_bed_days, num),
        _row("  extra stay", result.extra_bed_days, num),
        _row("Beds occupied (average)", result.average_beds_occupied, num),
        "Components (year 1):",
    ]
    lines += [_row(f"  {name}", summary) for name, summary in result.components.items()]
    for e in result.exceedance:
        lines.append(f"P(year-1 net cost > {_money(e.threshold)}) = {e.probability:.3f}")
    lines.append(f"Scenario SHA-256: {result.provenance.scenario_sha256}")
    return "\n".join(lines)


def _simulate(args: argparse.Namespace) -> int:
    try:
        scenario = _load(args.scenario)
    except (OSError, json.JSONDecodeError) as exc:
        print(f"error: cannot read scenario {args.scenario}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if isinstance(scenario, dict):
        if args.trials is not None:
            scenario["trials"] = args.trials
        if args.seed is not None:
            scenario["seed"] = args.seed
    try:
        result = simulate(scenario, progress=ProgressBar(sys.stderr))
    except ScenarioError as exc:
        for error in exc.errors:
            print(f"error: {error.field}: {error.reason}", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2, allow_nan=False))
    else:
        print(format_table(result))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``detainer-cost`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="detainer-cost",
        description="Monte Carlo costs of honoring ICE immigration detainers.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sim = sub.add_parser("simulate", help="simulate a scenario")
    sim.add_argument("scenario", help="scenario JSON file, or - for standard input")
    sim.add_argument("--trials", type=int, help="override the scenario's trials")
    sim.add_argument("--seed", type=int, help="override the scenario's seed")
    sim.add_argument("--format", choices=("json", "table"), default="table")
    sim.set_defaults(func=_simulate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    status: int = args.func(args)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
