"""Jurisdiction presets: scenarios built from published studies, with every input's
source and how it was obtained (published, derived from published figures, or an
assumption), loaded from ``models/preset_data/*.json`` and checked on load.

The provenance travels with the scenario: the preset's source and the basis of its
inputs become the scenario's ``description``, and each input given as a number or a
distribution carries its basis and note in its ``note`` (which the engine keeps in the
canonical scenario and every report shows beside the input). An input a user overrides
loses the preset's note, as it should."""

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
from .scenario import BY_NAME, Scenario, parse_scenario

__all__ = [
    "BASES",
    "INTERNAL_PHRASES",
    "KINDS",
    "Preset",
    "PresetError",
    "describe_provenance",
    "expand",
    "get_preset",
    "load_presets",
    "parse_expanded",
]

BASES = ("published", "derived", "assumption")
KINDS = ("study", "national", "template")

#: Wording meant for the project's developers, which must not reach a user through a
#: preset's text (checked on load, case-insensitively).
INTERNAL_PHRASES = (
    "founding article",
    "project's reference",
    "reference table",
    "not recorded",
    "shared/seed",
    "validation",
    "validates",
)


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


def _cite(source: Mapping[str, Any]) -> str:
    """``title, publisher, year, url`` of a source, the parts it has."""
    parts = (source.get("title"), source.get("publisher"), source.get("year"), source.get("url"))
    return ", ".join(str(x) for x in parts if x)


def describe_provenance(data: Mapping[str, Any]) -> str:
    """The scenario ``description`` of a preset: what it is, its source, and how its
    inputs were obtained (the words a report prints about the preset).

    Parameters
    ----------
    data : mapping
        A preset file's contents, as validated by the loader.

    Returns
    -------
    str
    """
    source = data["source"]
    text = [f"Preset {data['id']}: {data['summary']}", f"Source: {_cite(source)}."]
    if source.get("note"):
        text.append(str(source["note"]))
    if data.get("headline"):
        text.append(f"Published headline ({data['measure']}): {data['headline']['text']}.")
    derived = data["derived_from_headline"]
    if derived:
        text.append(
            f"Derived from the headline itself: {', '.join(derived)}; reproducing the "
            "headline is therefore a reproduction by construction, not an independent check."
        )
    text.append(
        "Each input's note gives its basis: published, derived (computed from published "
        "figures) or assumption."
    )
    return " ".join(text)


def _with_note(name: str, entry: Mapping[str, Any]) -> Any:
    """An input's value carrying ``"<basis>: <note>"`` when the field takes a note (an
    uncertain quantity: a bare number becomes ``{"dist": "fixed", "value": ...}``)."""
    value = copy.deepcopy(entry["value"])
    field = BY_NAME.get(name)
    if field is None or field.kind != "uncertain":
        return value
    note = f"{entry['basis']}: {entry['note']}"
    if isinstance(value, Mapping):
        return {**value, "note": note}
    return {"dist": "fixed", "value": value, "note": note}


def _scenario(data: Mapping[str, Any]) -> dict[str, Any]:
    scenario: dict[str, Any] = {
        "name": data["title"],
        "description": describe_provenance(data),
        "start_year": data["start_year"],
    }
    for name, entry in data["parameters"].items():
        parts = name.split(".")
        node = scenario
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = _with_note(name, entry)
    return scenario


def _texts(data: Mapping[str, Any]) -> list[str]:
    """Every free text of a preset file that a user may read."""
    texts = [data["title"], data["summary"], *(str(v) for v in data["source"].values() if v)]
    if data["headline"]:
        texts.append(data["headline"]["text"])
    texts += [entry["note"] for entry in data["parameters"].values()]
    return texts


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
    _check_source(data["source"], where)
    year = data["start_year"]
    if not isinstance(year, int) or isinstance(year, bool):
        raise PresetError(f"{where}: start_year must be the year the preset describes")
    _check_parameters(data, where)
    if data["kind"] == "study" and not data["headline"]:
        raise PresetError(f"{where}: a study preset needs its headline")
    for text in _texts(data):
        found = [p for p in INTERNAL_PHRASES if p in text.lower()]
        if found:
            raise PresetError(f"{where}: {found[0]!r} is wording for developers, not users")


def _check_parameters(data: Mapping[str, Any], where: str) -> None:
    """Every input has a value, a basis and a note; an input derived from the headline
    says so in its basis."""
    for name, entry in data["parameters"].items():
        if not isinstance(entry, Mapping) or set(entry) != {"value", "basis", "note"}:
            raise PresetError(f"{where}: parameter {name} needs exactly value, basis, note")
        if entry["basis"] not in BASES or not entry["note"]:
            raise PresetError(f"{where}: parameter {name} needs a basis in {BASES} and a note")
    for name in data["derived_from_headline"]:
        if data["parameters"].get(name, {}).get("basis") != "derived":
            raise PresetError(f"{where}: {name} is derived from the headline but not 'derived'")


def _check_source(source: Any, where: str) -> None:
    """A source names its title (or ``"unpublished"``), its publisher and authors, and
    its year; ``url`` is a string where the work is public, else null."""
    if not isinstance(source, Mapping) or not {"title", "publisher", "year", "url"} <= set(source):
        raise PresetError(f"{where}: source needs title, publisher, year and url")
    for key in ("title", "publisher"):
        if not isinstance(source[key], str) or not source[key]:
            raise PresetError(f"{where}: source {key} must be text (a title or 'unpublished')")
    if not isinstance(source["year"], int) or isinstance(source["year"], bool):
        raise PresetError(f"{where}: source year must be the year of publication")
    if source["url"] is not None and not str(source["url"]).startswith(("https://", "http://")):
        raise PresetError(f"{where}: source url must be an http(s) address or null")


@functools.lru_cache(maxsize=1)
def load_presets() -> dict[str, Preset]:
    """Every preset, checked (raises ``PresetError`` or ``ScenarioError`` if one is
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
    ``data`` applied over it (groups merge key by key; ``null`` removes a field; an input
    ``data`` gives, a distribution included, replaces the preset's whole, so the preset's
    basis and note never ride on a value the user gave: see :func:`models.overrides.merge`).
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
