"""House rules that hold across packages: the engine stays free of web and plotting
libraries, its modules depend on one another one way only, and randomness only flows
through Generators passed down."""

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
        "import sys, models, models.analyses, models.presets; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"


#: Streams are Generators over a bit generator seeded from a SeedSequence (NEP 19):
#: naming the bit generator's class (``PCG64``, typed as ``BitGenerator``) to build the
#: generators ``spawn`` would give (``models.sampling.descendants``) holds no global state.
ALLOWED_RANDOM = {"default_rng", "Generator", "SeedSequence", "BitGenerator", "PCG64"}


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


#: models/ from the bottom up: a module imports only modules of lower layers.
LAYERS: list[set[str]] = [
    {"models.errors"},
    {"models.inputs"},
    {"models.calendar", "models.distributions"},
    {"models.sampling"},
    {"models.scenario"},
    {"models.overrides"},  # a field's value replaces whole: it reads scenario.BY_NAME
    {"models.results", "models.presets", "models.calibrate"},
    {"models.engine"},
    {"models.analyses.common"},
    {"models.analyses.shared"},
    {"models.analyses.compare", "models.analyses.sensitivity", "models.analyses.portfolio"},
    {"models.analyses.rollup"},
    {"models.analyses"},
    {"models"},
]
LAYER = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _model_imports(path: Path, source: str | None = None) -> list[tuple[str, int, bool]]:
    """The models modules ``path`` imports: (module, line, deferred), deferred meaning
    inside a function or class, found with ``ast`` (relative imports resolved)."""
    tree = ast.parse(path.read_text() if source is None else source)
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package.pop()
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, deferred: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = deferred or isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda
            )
            targets: list[str] = []
            if isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = package[: len(package) - child.level + 1] if child.level else []
                module = ".".join([*base, *(child.module or "").split(".")]).strip(".")
                # ``from . import sampling`` imports the module ``models.sampling``.
                targets = [
                    f"{module}.{alias.name}" if f"{module}.{alias.name}" in LAYER else module
                    for alias in child.names
                ]
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.extend(
                    (target, child.lineno, deferred)
                    for target in targets
                    if target.split(".")[0] == "models"
                )
            visit(child, inner)

    visit(tree, False)
    return found


def test_every_models_module_has_a_layer() -> None:
    assert {_module_name(p) for p in MODEL_FILES} == set(LAYER)


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: _module_name(p))
def test_models_modules_import_only_lower_layers(path: Path) -> None:
    name = _module_name(path)
    for target, line, _ in _model_imports(path):
        while target not in LAYER:  # ``models.x.y``: a name inside ``models.x``
            target = target.rpartition(".")[0]
        assert LAYER[target] < LAYER[name], f"{name}:{line} imports {target}, not below it"


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: _module_name(p))
def test_models_have_no_deferred_imports_of_their_own_modules(path: Path) -> None:
    deferred = [(t, line) for t, line, d in _model_imports(path) if d]
    assert not deferred, f"{_module_name(path)} imports inside a function: {deferred}"


def test_the_layering_check_sees_upward_and_deferred_imports() -> None:
    """The checks above can fail: an upward import and a deferred one are both found."""
    source = "from .presets import expand\n\n\ndef f():\n    from . import engine\n"
    found = _model_imports(ROOT / "models" / "scenario.py", source)
    assert found == [("models.presets", 1, False), ("models.engine", 5, True)]
    assert LAYER["models.presets"] > LAYER["models.scenario"]
