"""The engine's commands of ``detainer-cost``: ``simulate``, ``compare``,
``sensitivity``, ``portfolio``, ``presets`` and ``parameters``. They import the engine
(numpy, scipy) and nothing of the web service or the report renderers."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from models.analyses import (
    ComparisonResult,
    PortfolioResult,
    SensitivityResult,
    compare,
    portfolio,
    sensitivity,
)
from models.engine import __version__, simulate
from models.errors import ScenarioError
from models.inputs import json_int
from models.presets import load_presets, parse_expanded
from models.results import SimulationResult, Summary
from models.scenario import FIELDS, MAX_TRIALS, NOT_SCHEDULABLE, Scenario

from ..reports.document import fiscal_year_text
from ..reports.labels import component_label

__all__ = ["EXIT_USAGE", "ProgressBar", "build_parser", "load_json", "main"]

EXIT_USAGE = 2


class ProgressBar:
    """A progress bar on a stream, shown only once a run has taken over ``delay`` s.

    It ends its line once: when ``done`` reaches ``total``, or at :meth:`close` (a run
    that stopped early, or failed); later calls draw nothing.
    """

    def __init__(self, stream: TextIO, delay: float = 1.0, width: int = 30) -> None:
        self.stream = stream
        self.delay = delay
        self.width = width
        self.start = time.monotonic()
        self.shown = False
        self.ended = False

    def __call__(self, done: int, total: int) -> None:
        if self.ended or (not self.shown and time.monotonic() - self.start < self.delay):
            return
        self.shown = True
        filled = self.width * min(done, total) // max(total, 1)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {done}/{total} trials")
        if done >= total:
            self.stream.write("\n")
            self.ended = True
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line if it is shown and not ended yet."""
        if self.shown and not self.ended:
            self.stream.write("\n")
            self.stream.flush()
        self.ended = True


def load_json(path: str) -> Any:
    """A JSON file (``-``: standard input); every way it cannot be read is a
    ``json.JSONDecodeError`` (too deep for the decoder, not UTF-8 included)."""
    try:
        if path == "-":
            return json.load(sys.stdin, parse_int=json_int)
        with open(path, encoding="utf-8") as fh:
            return json.load(fh, parse_int=json_int)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", "", 0) from None
    except UnicodeDecodeError:
        raise json.JSONDecodeError("not UTF-8 text", "", 0) from None


def _money(x: float) -> str:
    return f"-${-x:,.0f}" if x < 0 else f"${x:,.0f}"


#: The width of the first column of :func:`format_table`: the longest component label.
LABEL_WIDTH = 32


def fit(text: str, width: int) -> str:
    """``text`` in a column ``width`` characters wide, with a space after it: cut to
    ``width - 1`` characters, the last an ellipsis, when longer."""
    return text if len(text) < width else text[: width - 2] + "\u2026"


def _row(label: str, s: Summary, fmt: Any = _money) -> str:
    p = s.percentiles
    lo = p.get("p5", s.min)
    hi = p.get("p95", s.max)
    mid = p.get("p50", s.mean)
    return f"{label:<{LABEL_WIDTH}}{fmt(s.mean):>16}{fmt(mid):>16}{fmt(lo):>16}{fmt(hi):>16}"


def format_table(result: SimulationResult, fiscal_year_start_month: int | None = None) -> str:
    """A plain-text table of the main figures; with fiscal years, the first one's label
    and span (``fiscal_year_start_month``: the scenario's, when known)."""

    def num(x: float) -> str:
        return f"{x:,.1f}"

    first = result.years[0].label if result.years else None
    fiscal = fiscal_year_text(fiscal_year_start_month, result)
    lines = [
        f"Scenario: {result.name or '(unnamed)'}  trials: {result.trials}  "
        + (f"first year: {first}" if first else f"start year: {result.provenance.start_year}"),
        *([fiscal] if fiscal else []),
        f"{'':<{LABEL_WIDTH}}{'mean':>16}{'median':>16}{'p5 (or min)':>16}{'p95 (or max)':>16}",
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
    lines += [
        _row(fit(f"  {component_label(name)}", LABEL_WIDTH), summary)
        for name, summary in result.components.items()
    ]
    for e in result.exceedance:
        lines.append(f"P(year-1 net cost > {_money(e.threshold)}) = {e.probability:.3f}")
    lines.append(f"Scenario SHA-256: {result.provenance.scenario_sha256}")
    return "\n".join(lines)


def _run(
    args: argparse.Namespace,
    call: Callable[[Any, ProgressBar], Any],
    table: Callable[[Any], str],
    body: Any = None,
) -> int:
    """Load the body (unless given), run ``call(body, bar)`` with a progress bar on
    standard error, print JSON or a table; errors exit 2."""
    bar = ProgressBar(sys.stderr)
    if body is None:
        try:
            body = load_json(args.scenario)
        except (OSError, json.JSONDecodeError) as exc:
            print(f"error: cannot read {args.scenario}: {exc}", file=sys.stderr)
            return EXIT_USAGE
    try:
        result = call(body, bar)
    except ScenarioError as exc:
        bar.close()
        for error in exc.errors:
            print(f"error: {error.field}: {error.reason}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        bar.close()
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2, allow_nan=False))
    else:
        print(table(result))
    return 0


def _require_object(body: Any, name: str) -> Any:
    if not isinstance(body, dict):
        raise ScenarioError.single((), f"must be a JSON object ({name})")
    return body


def _compare(args: argparse.Namespace) -> int:
    def call(body: Any, bar: ProgressBar) -> Any:
        body = _require_object(body, "{baseline, alternatives}")
        if "baseline" not in body:
            raise ScenarioError.single(("baseline",), "is required")
        return compare(body["baseline"], body.get("alternatives"), progress=bar)

    def table(result: ComparisonResult) -> str:
        lines = [f"{'alternative':<28}{'saves (mean)':>16}{'p5':>16}{'p95':>16}{'P(saves)':>10}"]
        for alt in result.alternatives:
            d = alt.difference.annual_cost
            lines.append(
                f"{fit(alt.name, 28):<28}{_money(d.mean):>16}"
                f"{_money(d.percentiles.get('p5', d.min)):>16}"
                f"{_money(d.percentiles.get('p95', d.max)):>16}"
                f"{alt.probability_saves:>10.3f}"
            )
        return (
            "Baseline year-1 net cost: "
            + _money(result.baseline.annual_cost.mean)
            + "\n"
            + "\n".join(lines)
        )

    return _run(args, call, table)


def _sensitivity(args: argparse.Namespace) -> int:
    def table(result: SensitivityResult) -> str:
        lines = [
            f"Year-1 net cost with every input at its median: {_money(result.base)}",
            f"{'input':<40}{'at p10':>16}{'at p90':>16}{'swing':>16}",
        ]
        lines += [
            f"{fit(b.input, 40):<40}{_money(b.low):>16}{_money(b.high):>16}{_money(b.swing):>16}"
            for b in result.tornado
        ]
        lines.append(f"{'input':<40}{'Spearman':>10}{'share':>8}{'Sobol S1':>10}{'ST':>8}")
        sobol = {s.input: s for s in result.sobol}
        for r in result.rank_correlation:
            s = sobol.get(r.input)
            lines.append(
                f"{fit(r.input, 40):<40}{r.rho:>10.3f}{r.contribution:>8.3f}"
                f"{(s.first_order if s else 0):>10.3f}{(s.total_order if s else 0):>8.3f}"
            )
        lines.append(
            f"Share of variance from the model's own randomness: {result.model_noise_share:.3f}"
        )
        return "\n".join(lines)

    return _run(args, lambda body, bar: sensitivity(body, progress=bar), table)


def _portfolio(args: argparse.Namespace) -> int:
    from ..scaleout import DaskExecutor, ScaleoutError

    executor = DaskExecutor(args.scheduler) if args.scheduler else None

    def call(body: Any, bar: ProgressBar) -> Any:
        body = _require_object(body, "{members, threshold}")
        return portfolio(
            body.get("members"),
            threshold=body.get("threshold"),
            seed=body.get("seed"),
            progress=bar,
            executor=executor,
        )

    def table(result: PortfolioResult) -> str:
        lines = [format_table(result.total), "Members (share of mean year-1 net cost):"]
        lines += [
            f"  {fit(m.name or '(unnamed)', 30):<30}"
            f"{_money(m.result.annual_cost.mean):>16}{m.share:>8.1%}"
            for m in result.members
        ]
        if result.threshold is not None:
            lines.append(f"Threshold: {_money(result.threshold)} ({result.threshold_source})")
        return "\n".join(lines)

    try:
        return _run(args, call, table)
    except ScaleoutError as exc:  # the scheduler cannot be used
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _simulate(args: argparse.Namespace) -> int:
    if args.scenario is None and args.preset is None:
        print("error: give a scenario file, or --preset ID", file=sys.stderr)
        return EXIT_USAGE
    try:
        scenario = load_json(args.scenario) if args.scenario is not None else {}
    except (OSError, json.JSONDecodeError) as exc:
        print(f"error: cannot read scenario {args.scenario}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if isinstance(scenario, dict) and args.preset is not None:
        scenario = {"preset": args.preset, **scenario}
    if isinstance(scenario, dict):
        if args.trials is not None:
            scenario["trials"] = args.trials
        if args.seed is not None:
            scenario["seed"] = args.seed
    parsed: list[Scenario] = []

    def call(body: Any, bar: ProgressBar) -> SimulationResult:
        parsed.append(parse_expanded(body))
        return simulate(parsed[0], progress=bar)

    def table(result: SimulationResult) -> str:
        return format_table(result, parsed[0].fiscal_year_start_month)

    return _run(args, call, table, scenario)


def presets_markdown() -> str:
    """docs/presets.md: every preset, its source, its model result and its inputs."""
    lines = [
        "# Presets",
        "",
        "Generated by `detainer-cost presets --format markdown` from `models/preset_data/`; a",
        "test keeps this file equal to that output. Results: 10,000 trials, seed 2877.",
        "",
        "A preset reproduces a published headline only as well as its inputs are",
        "independent of it. Where an input was **derived from the headline itself** (named",
        "below), matching the headline shows the preset is consistent with the study, not that",
        "the model confirms the study independently.",
        "",
        "The model's figure is year-1 net cost, or, for a headline of detainer-days, the cost",
        "of the detainer-days (an upper bound, never part of the net cost). Each preset's",
        "summary names the hold rule of its year.",
        "",
        "| preset | kind | measure | published headline | model: mean (5th-95th pct) "
        "| derived from the headline |",
        "|---|---|---|---|---|---|",
    ]
    details = []
    for preset in load_presets().values():
        result = simulate(preset.scenario)
        a = result.annual_cost
        if preset.measure == "detainer-days" and result.detainer_days_cost is not None:
            a = result.detainer_days_cost
        headline = _money(preset.headline["annual_cost"]) if preset.headline else "none"
        derived = ", ".join(f"`{d}`" for d in preset.derived_from_headline) or "-"
        lines.append(
            f"| `{preset.id}` {preset.title} | {preset.kind} | {preset.measure} | {headline} | "
            f"{_money(a.mean)} ({_money(a.percentiles['p5'])}-{_money(a.percentiles['p95'])}) "
            f"| {derived} |"
        )
        src = preset.source
        cite = ", ".join(
            str(x) for x in (src.get("title"), src.get("publisher"), src.get("year")) if x
        )
        details += [
            "",
            f"## {preset.title} (`{preset.id}`)",
            "",
            preset.summary,
            "",
            f"Source: {cite}." + (f" {src['note']}" if src.get("note") else ""),
            "",
        ]
        if preset.headline:
            details += [f"Headline: {preset.headline['text']}.", ""]
        details += ["| input | value | basis | note |", "|---|---|---|---|"]
        for name, entry in preset.parameters.items():
            value = json.dumps(entry["value"])
            details.append(f"| `{name}` | `{value}` | {entry['basis']} | {entry['note']} |")
    return "\n".join(lines + details) + "\n"


def _presets(args: argparse.Namespace) -> int:
    if args.format == "json":
        print(json.dumps([p.to_dict() for p in load_presets().values()], indent=2))
    elif args.format == "markdown":
        print(presets_markdown(), end="")
    else:
        for p in load_presets().values():
            print(f"{p.id:<22}{p.kind:<10}{p.title}")
    return 0


def parameters_markdown() -> str:
    """The scenario fields as a Markdown table (docs/parameters.md is this output)."""
    lines = [
        "# Scenario parameters",
        "",
        "Generated by `detainer-cost parameters --format markdown` from the field table in",
        "`models/scenario.py`; a test keeps this file equal to that output.",
        "",
        "Uncertain fields take a number or a distribution spec (see docs/model.md); all but",
        ", ".join(f"`{n}`" for n in NOT_SCHEDULABLE[:-1]) + f" and `{NOT_SCHEDULABLE[-1]}`",
        'also take a schedule by year, `{"schedule": {"2026": 1, "2028": 0.05}}`: each',
        "value (a number or a distribution) holds from its year until the next one named, and",
        "the first year named must be at or before `start_year` (docs/model.md, Schedules).",
        "",
        "| field | type | unit | default | range | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for spec in FIELDS:
        d = spec.describe()
        if d["required"]:
            default = "required"
        elif d["default"] is None:
            default = d["default_text"] or "optional"
        else:
            default = f"`{json.dumps(d['default'])}`"
        if d["minimum"] is None:
            bounds = ""
        elif d["type"] == "integer":  # exact: the seed's maximum is 2**64 - 1
            low, high = int(d["minimum"]), int(d["maximum"])
            bounds = f"{low} to {high:,}" if high >= 10_000 else f"{low} to {high}"
            if d["name"] == "trials":
                bounds += " (engine and command line; HTTP service: 100,000 by default, below)"
        else:
            bounds = f"{d['minimum']:g} to {d['maximum']:g}"
            if d["maximum_applies_to"] == "the mean":
                bounds += " (maximum of the mean)"
        if d["type"] == "string":
            bounds = f"at most {d['maximum']:g} characters"
        if d["choices"]:
            bounds = "one of " + ", ".join(f"`{c}`" for c in d["choices"])
        lines.append(
            f"| `{d['name']}` | {d['type']} | {d['unit']} | {default} | {bounds} | "
            f"{d['description']} |"
        )
    lines += [
        "",
        "Groups `liability`, `offsets` and `capacity` are optional objects; within a group",
        "given, fields marked required must be present.",
        "",
        f"`trials`: the engine and `detainer-cost simulate` take up to {MAX_TRIALS:,}. The",
        "HTTP service takes at most 100,000 by default; its setting",
        "`DETAINER_COST_MAX_TRIALS` changes that, and its `GET /v1/parameters` and",
        "`/openapi.yaml` give the limit the running service enforces.",
    ]
    return "\n".join(lines) + "\n"


def _parameters(args: argparse.Namespace) -> int:
    if args.format == "json":
        print(json.dumps([f.describe() for f in FIELDS], indent=2))
    else:
        print(parameters_markdown(), end="")
    return 0


def build_parser(
    extend: Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None] | None = None,
) -> argparse.ArgumentParser:
    """The ``detainer-cost`` argument parser; ``extend`` may add subcommands."""
    parser = argparse.ArgumentParser(
        prog="detainer-cost",
        description="Monte Carlo costs of honoring ICE immigration detainers.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sim = sub.add_parser("simulate", help="simulate a scenario")
    sim.add_argument(
        "scenario",
        nargs="?",
        help="scenario JSON file, or - for standard input (with --preset: "
        "fields applied over the preset)",
    )
    sim.add_argument("--preset", help="start from a preset (see `detainer-cost presets`)")
    sim.add_argument("--trials", type=int, help="override the scenario's trials")
    sim.add_argument("--seed", type=int, help="override the scenario's seed")
    sim.add_argument("--format", choices=("json", "table"), default="table")
    sim.set_defaults(func=_simulate)
    for name, func, what in (
        ("compare", _compare, "a comparison JSON {baseline, alternatives}"),
        ("sensitivity", _sensitivity, "a scenario JSON"),
        ("portfolio", _portfolio, "a portfolio JSON {members, threshold, seed}"),
    ):
        cmd = sub.add_parser(name, help=f"{name} ({what})")
        cmd.add_argument("scenario", metavar="FILE", help=f"{what}, or - for standard input")
        cmd.add_argument("--format", choices=("json", "table"), default="table")
        cmd.set_defaults(func=func)
        if name == "portfolio":
            cmd.add_argument(
                "--scheduler",
                metavar="ADDRESS",
                help="run the members on this Dask scheduler (tcp://host:8786; needs the "
                "'scale' extra and detainer-cost on its workers); default: in this process",
            )
    pre = sub.add_parser("presets", help="list the jurisdiction presets")
    pre.add_argument("--format", choices=("table", "json", "markdown"), default="table")
    pre.set_defaults(func=_presets)
    par = sub.add_parser("parameters", help="list every scenario field")
    par.add_argument("--format", choices=("json", "markdown"), default="markdown")
    par.set_defaults(func=_parameters)
    if extend is not None:
        extend(sub)
    return parser


def main(
    argv: Sequence[str] | None = None,
    extend: Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None] | None = None,
) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser(extend).parse_args(argv)
    status: int = args.func(args)
    return status
