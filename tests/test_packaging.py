"""Installation and the image: requirements.lock pins every runtime dependency within
pyproject.toml's ranges at the versions these tests run against; the Dockerfile installs
from it; .dockerignore keeps the venv out of the build context; `make serve` installs
the service without the test tools."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
RUNTIME = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
TEST_TOOLS = [Requirement(r) for r in PYPROJECT["project"]["optional-dependencies"]["test"]]


def _lock() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==([A-Za-z0-9.+!-]+)", line.strip())
        assert match, f"requirements.lock: not a pin: {line!r}"
        name = canonicalize_name(match.group(1))
        assert name not in pins, f"requirements.lock pins {name} twice"
        pins[name] = Version(match.group(2))
    return pins


LOCK = _lock()


def _closure(requirements: list[Requirement]) -> set[str]:
    """Every distribution the requirements pull in, as installed here."""
    seen: set[str] = set()
    todo = list(requirements)
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in seen:
            continue
        seen.add(name)
        extras = ["", *req.extras]  # a dependency's extras that are asked for count too
        for raw in metadata.requires(req.name) or []:
            dep = Requirement(raw)
            if dep.marker is None or any(dep.marker.evaluate({"extra": e}) for e in extras):
                todo.append(dep)
    return seen


@pytest.mark.parametrize("requirement", RUNTIME + TEST_TOOLS, ids=str)
def test_lock_pins_every_dependency_within_its_range(requirement: Requirement) -> None:
    name = canonicalize_name(requirement.name)
    assert name in LOCK, f"requirements.lock lacks {name}: run `make lock`"
    assert requirement.specifier.contains(LOCK[name], prereleases=True), (
        f"requirements.lock pins {name}=={LOCK[name]}, outside pyproject's {requirement}"
    )


def test_lock_is_closed_and_is_what_is_installed() -> None:
    """Every package the runtime dependencies pull in is pinned, and installed at its pin
    (so the tests ran against the versions the image installs)."""
    closure = _closure(RUNTIME)
    assert {"numpy", "weasyprint", "brotli"} <= closure  # brotli: fonttools[woff]
    assert closure - set(LOCK) == set(), "unpinned runtime packages: run `make lock`"
    for name in closure:
        assert Version(metadata.version(name)) == LOCK[name], name


def test_lock_pins_the_wheels_build_backend() -> None:
    backend = [Requirement(r) for r in PYPROJECT["build-system"]["requires"]]
    for requirement in backend:
        name = canonicalize_name(requirement.name)
        assert name in LOCK
        assert requirement.specifier.contains(LOCK[name])


DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _instructions() -> list[str]:
    """Dockerfile instructions, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE)
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def test_dockerfile_installs_python_packages_from_the_lock_only() -> None:
    installs = [
        command
        for line in _instructions()
        if line.startswith("RUN")
        for command in line.split("&&")
        if "pip install" in command or "pip wheel" in command
    ]
    assert len(installs) == 3
    assert "ENV PIP_CONSTRAINT=/src/requirements.lock" in _instructions()  # the wheel's build
    for command in installs:
        if "pip install" in command:
            assert re.search(r"(-c|-r|--constraint|--requirement) \S*requirements\.lock", command)
    base = re.search(r"ARG PYTHON_IMAGE=(\S+)", DOCKERFILE)
    assert base
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", base.group(1))


def _dockerignore_excludes(path: str) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents wins."""
    excluded = False
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        regex = (
            re.escape(pattern)
            .replace(r"\*\*/", "(?:.*/)?")
            .replace(r"\*", "[^/]*")
            .replace(r"\?", "[^/]")
            .replace(r"\[", "[")
            .replace(r"\]", "]")
        )
        if any(re.fullmatch(regex, p) for p in prefixes):
            excluded = not negate
    return excluded


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        ".git/HEAD",
        "tests/test_packaging.py",
        "models/__pycache__/engine.cpython-311.pyc",
        "detainer_cost.egg-info/PKG-INFO",
        "build/lib/models/engine.py",
        "dist/detainer_cost-0.1.0-py3-none-any.whl",
        ".mypy_cache/3.11/x.json",
    ],
)
def test_dockerignore_keeps_out_what_the_image_does_not_need(path: str) -> None:
    assert _dockerignore_excludes(path)


def test_dockerignore_keeps_everything_the_dockerfile_copies() -> None:
    sources = [
        source
        for line in _instructions()
        if line.startswith("COPY") and "--from=" not in line
        for source in line.split()[1:-1]
    ]
    assert "requirements.lock" in sources
    for source in sources:
        assert not _dockerignore_excludes(source), source
    assert not _dockerignore_excludes("models/engine.py")
    assert not _dockerignore_excludes("service/reports/templates/report.html")


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_serve_installs_the_service_without_the_test_tools(tmp_path: Path) -> None:
    """`make -n serve` in a fresh venv lists the commands it would run."""
    dry = subprocess.run(
        ["make", "-n", "serve", f"VENV={tmp_path / 'venv'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    installs = [line for line in dry.splitlines() if "pip install" in line]
    assert installs, dry
    assert all("-c requirements.lock" in line for line in installs)
    assert any(line.endswith("-e .") for line in installs)
    assert "[test]" not in dry
    assert "playwright" not in dry.lower()
