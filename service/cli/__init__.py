"""``detainer-cost``, the command line: the engine's commands (``simulate``,
``compare``, ``sensitivity``, ``portfolio``, ``presets``, ``parameters``, in
:mod:`service.cli.engine_commands`) plus ``report`` and ``serve`` (here).

Each command imports what it needs when it runs: the engine's commands need numpy and
scipy only, so Flask, the report renderers (matplotlib, WeasyPrint, openpyxl) and the
runner are imported by ``report`` alone, and gunicorn by ``serve`` (in the process it
becomes). ``serve`` imports nothing of the engine either: it parses its own arguments
and becomes gunicorn (loading numpy and scipy first cost each start some 1.2 s of CPU in
a process about to be replaced).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

__all__ = ["gunicorn_command", "main"]


def gunicorn_command(bind: str, workers: int | None = None) -> list[str]:
    """The command that serves the app under gunicorn with service/gunicorn_conf.py."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "python:service.gunicorn_conf",
        "--bind",
        bind,
    ]
    if workers is not None:
        command += ["--workers", str(workers)]
    return command


def _serve(args: argparse.Namespace) -> int:
    command = gunicorn_command(f"{args.host}:{args.port}", args.workers)
    print(
        f"detainer-cost: serving on http://{args.host}:{args.port} "
        f"(docs: http://{args.host}:{args.port}/docs)",
        file=sys.stderr,
        flush=True,
    )
    os.execv(sys.executable, command)  # replaces this process; signals reach gunicorn


def _report(args: argparse.Namespace) -> int:
    from models.errors import ScenarioError

    from ..http import report_filename
    from ..reports import render
    from ..runner import build_report
    from . import engine_commands

    try:
        body = engine_commands.load_json(args.scenario)
    except (OSError, json.JSONDecodeError) as exc:
        print(f"error: cannot read {args.scenario}: {exc}", file=sys.stderr)
        return engine_commands.EXIT_USAGE
    if not isinstance(body, dict):
        print("error: (scenario): must be a JSON object", file=sys.stderr)
        return engine_commands.EXIT_USAGE
    try:
        report, _ = build_report(body, progress=engine_commands.ProgressBar(sys.stderr))
    except ScenarioError as exc:
        for error in exc.errors:
            print(f"error: {error.field}: {error.reason}", file=sys.stderr)
        return engine_commands.EXIT_USAGE
    rendered = render(report, args.format, samples=args.samples)
    output = args.output or report_filename(
        report.result.name, rendered.extension, comparison=report.comparison is not None
    )
    if output == "-":
        sys.stdout.buffer.write(rendered.body)
    else:
        with open(output, "wb") as fh:
            fh.write(rendered.body)
        print(f"wrote {output}", file=sys.stderr)
    return 0


def _add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from ..reports import FORMATS
    from . import calibrate_command, rollup_command

    report = sub.add_parser("report", help="write a report (HTML, PDF, XLSX or CSV)")
    report.add_argument("scenario", help="scenario or comparison JSON, or - for stdin")
    report.add_argument("--format", choices=sorted(FORMATS), default="pdf")
    report.add_argument(
        "-o", "--output", help="file to write (default: from the name; - for standard output)"
    )
    report.add_argument(
        "--samples", action="store_true", help="XLSX: add a Samples sheet; CSV: one row per trial"
    )
    report.set_defaults(func=_report)
    rollup_command.add_rollup(sub)
    calibrate_command.add_calibrate(sub)
    _add_serve(sub)


def _add_serve(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="run the HTTP service with gunicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, help="worker processes (default: CPU count)")
    serve.set_defaults(func=_serve)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["serve"]:  # the service alone: none of the engine's imports
        parser = argparse.ArgumentParser(prog="detainer-cost")
        _add_serve(parser.add_subparsers(dest="command", required=True))
        args = parser.parse_args(argv)
        status: int = args.func(args)
        return status
    from . import engine_commands

    return engine_commands.main(argv, extend=_add_commands)
