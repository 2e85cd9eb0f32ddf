"""``detainer-cost``: the engine's commands (``simulate``, ``parameters``) plus ``serve``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from models import cli as model_cli

__all__ = ["main"]


def _serve(args: argparse.Namespace) -> int:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "python:service.gunicorn_conf",
        "--bind",
        f"{args.host}:{args.port}",
    ]
    if args.workers is not None:
        command += ["--workers", str(args.workers)]
    print(
        f"detainer-cost: serving on http://{args.host}:{args.port} "
        f"(docs: http://{args.host}:{args.port}/docs)",
        file=sys.stderr,
        flush=True,
    )
    os.execv(sys.executable, command)  # replaces this process; signals reach gunicorn


def _add_serve(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="run the HTTP service with gunicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, help="worker processes (default: CPU count)")
    serve.set_defaults(func=_serve)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    return model_cli.main(argv, extend=_add_serve)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
