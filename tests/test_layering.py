"""House rules that hold across packages: the engine stays free of web and plotting
libraries, and randomness only flows through Generators passed down."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODEL_FILES = sorted((ROOT / "models").rglob("*.py"))
FORBIDDEN = {"flask", "marshmallow", "matplotlib", "werkzeug", "jinja2", "gunicorn"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: p.name)
def test_models_import_no_web_or_plotting_library(path: Path) -> None:
    assert not _imports(path) & FORBIDDEN


def test_importing_models_loads_no_web_or_plotting_library() -> None:
    code = (
        "import sys, models, models.cli, models.reference; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"


ALLOWED_RANDOM = {"default_rng", "Generator", "SeedSequence"}


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: p.name)
def test_no_global_random_state(path: Path) -> None:
    """Only ``np.random.default_rng``/``Generator`` may be named; no module-level draws,
    no RandomState, no seed arithmetic through ``np.random.seed``."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "random"
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id == "np"
        ):
            assert node.attr in ALLOWED_RANDOM, f"{path.name}:{node.lineno} np.random.{node.attr}"
    assert "import random" not in path.read_text()
