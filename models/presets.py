"""Jurisdiction presets: scenarios built from published studies, with every input's
source and how it was obtained (published, derived from published figures, or an
assumption), loaded from ``models/preset_data/*.json`` and validated on load."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from .errors import FieldError, Path, ScenarioError
from .overrides import merge
from .scenario import Scenario, parse_scenario

__all__ = [
    "BASES",
    "KINDS",
    "Preset",
    "PresetError",
    "expand",
    "get_preset",
    "load_presets",
    "parse_expanded",
]

BASES = ("published", "derived", "assumption")
KINDS = ("study", "national", "template")


class PresetError(ValueError):
    """A preset file is malformed (a packaging error, raised at load time)."""


@dataclass(frozen=True)
class Preset:
    """One preset: its scenario and the provenance of every input."""

    id: str
    title: str
    kind: str
    summary: str
    source: Mapping[str, Any]
    measure: str
    headline: Mapping[str, Any] | None
    derived_from_headline: tuple[str, ...]
    parameters: Mapping[str, Mapping[str, Any]]
    scenario: Mapping[str, Any]
    parsed: Scenario

    def describe(self) -> dict[str, Any]:
        """Everything but the scenario (for listings)."""
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "summary": self.summary,
            "source": dict(self.source),
            "measure": self.measure,
            "headline": None if self.headline is None else dict(self.headline),
            "derived_from_headline": list(self.derived_from_headline),
        }

    def to_dict(self) -> dict[str, Any]:
        """The whole preset: description, parameters with their basis, and scenario."""
        return {
            **self.describe(),
            "parameters": {k: dict(v) for k, v in self.parameters.items()},
            "scenario": copy.deepcopy(dict(self.scenario)),
        }


def _scenario(data: Mapping[str, Any]) -> dict[str, Any]:
    scenario: dict[str, Any] = {"name": data["title"]}
    if data.get("start_year") is not None:
        scenario["start_year"] = data["start_year"]
    for name, entry in data["parameters"].items():
        parts = name.split(".")
        node = scenario
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = copy.deepcopy(entry["value"])
    return scenario


def _check(data: Any, where: str) -> None:
    required = {
        "id",
        "title",
        "kind",
        "summary",
        "source",
        "measure",
        "headline",
        "derived_from_headline",
        "start_year",
        "parameters",
    }
    if not isinstance(data, Mapping) or set(data) != required:
        raise PresetError(f"{where}: keys must be exactly {sorted(required)}")
    if data["kind"] not in KINDS:
        raise PresetError(f"{where}: kind must be one of {KINDS}")
    source = data["source"]
    if not isinstance(source, Mapping) or not {"title", "publisher", "year", "url"} <= set(source):
        raise PresetError(f"{where}: source needs title, publisher, year and url")
    for name, entry in data["parameters"].items():
        if not isinstance(entry, Mapping) or set(entry) != {"value", "basis", "note"}:
            raise PresetError(f"{where}: parameter {name} needs exactly value, basis, note")
        if entry["basis"] not in BASES or not entry["note"]:
            raise PresetError(f"{where}: parameter {name} needs a basis in {BASES} and a note")
    for name in data["derived_from_headline"]:
        if data["parameters"].get(name, {}).get("basis") != "derived":
            raise PresetError(f"{where}: {name} is derived from the headline but not 'derived'")
    if data["kind"] == "study" and not data["headline"]:
        raise PresetError(f"{where}: a study preset needs its headline")


@functools.lru_cache(maxsize=1)
def load_presets() -> dict[str, Preset]:
    """Every preset, validated (raises ``PresetError`` or ``ScenarioError`` if one is
    broken). Cached: the files are read once per process."""
    presets: dict[str, Preset] = {}
    folder = resources.files("models") / "preset_data"
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".json"):
            continue
        data = json.loads(item.read_text(encoding="utf-8"))
        _check(data, item.name)
        if data["id"] + ".json" != item.name:
            raise PresetError(f"{item.name}: id must match the file name")
        scenario = _scenario(data)
        presets[data["id"]] = Preset(
            id=data["id"],
            title=data["title"],
            kind=data["kind"],
            summary=data["summary"],
            source=data["source"],
            measure=data["measure"],
            headline=data["headline"],
            derived_from_headline=tuple(data["derived_from_headline"]),
            parameters=data["parameters"],
            scenario=scenario,
            parsed=parse_scenario(scenario),
        )
    return presets


def get_preset(preset_id: str) -> Preset | None:
    """A preset by id, or None."""
    return load_presets().get(preset_id)


def expand(data: object, path: Path = ()) -> object:
    """A scenario that names ``preset``: the preset's scenario with the others fields of
    ``data`` applied over it (groups merge key by key; ``null`` removes a field).
    Anything else is returned unchanged.

    Raises
    ------
    ScenarioError
        For an unknown preset, at ``path + ("preset",)``.
    """
    if not isinstance(data, Mapping) or "preset" not in data:
        return data
    preset_id = data["preset"]
    preset = get_preset(preset_id) if isinstance(preset_id, str) else None
    if preset is None:
        known = ", ".join(load_presets())
        raise ScenarioError([FieldError((*path, "preset"), f"is not a preset; one of: {known}")])
    if any(isinstance(v, Mapping) and "preset" in v for v in preset.scenario.values()):
        raise PresetError(f"preset {preset_id} nests a preset")
    return merge(preset.scenario, {k: v for k, v in data.items() if k != "preset"})


def parse_expanded(data: object) -> Scenario:
    """``parse_scenario(expand(data))``: a scenario that may name a preset.

    Raises
    ------
    ScenarioError
        As :func:`expand` and :func:`models.scenario.parse_scenario` do.
    """
    return parse_scenario(expand(data))
