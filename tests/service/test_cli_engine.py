"""The command line: JSON output equals the library's result, errors exit 2."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from models import simulate
from models.analyses import compare, portfolio, sensitivity
from service.cli.engine_commands import ProgressBar, main

SCENARIO = {
    "detainers_per_year": 120,
    "extra_days_per_detainer": 15,
    "daily_cost": 95,
    "trials": 300,
    "name": "Test county",
}


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(SCENARIO))
    return path


def test_json_output_is_the_result_dict(
    scenario_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", str(scenario_file), "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(json.dumps(simulate(SCENARIO).to_dict()))


def test_trials_and_seed_flags_override(
    scenario_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["simulate", str(scenario_file), "--format", "json", "--trials", "50", "--seed", "4"])
    printed = json.loads(capsys.readouterr().out)
    assert printed["trials"] == 50
    assert printed["provenance"]["seed"] == 4


def test_reads_standard_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(SCENARIO)))
    assert main(["simulate", "-"]) == 0
    out = capsys.readouterr().out
    assert "Year-1 net cost" in out
    assert "Test county" in out


def test_bad_scenario_exits_2_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**SCENARIO, "honor_rate": 3}))
    assert main(["simulate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "honor_rate" in err
    assert "between 0 and 1" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("content", [None, "{not json"])
def test_unreadable_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None
) -> None:
    path = tmp_path / "x.json"
    if content is not None:
        path.write_text(content)
    assert main(["simulate", str(path)]) == 2
    assert "cannot read scenario" in capsys.readouterr().err


def test_progress_bar_waits_then_draws() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream, delay=3600)
    bar(1, 2)
    assert stream.getvalue() == ""
    bar = ProgressBar(stream, delay=0)
    bar(1, 2)
    bar(2, 2)
    assert "1/2 trials" in stream.getvalue()
    assert stream.getvalue().endswith("\n")


@pytest.mark.parametrize("command", ["simulate", "compare", "sensitivity", "portfolio"])
def test_visible_progress_bar_ends_its_line_once(
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The bar as a user sees it (shown at once): it counts up to the total and ends with
    one newline; nothing is drawn after the run (the deadline hook is not progress)."""
    monkeypatch.setattr(ProgressBar.__init__, "__defaults__", (0.0, 30))
    bodies: dict[str, dict[str, Any]] = {
        "simulate": UNCERTAIN,
        "sensitivity": UNCERTAIN,
        "compare": {
            "baseline": UNCERTAIN,
            "alternatives": [{"name": "fewer", "overrides": {"detainers_per_year": 60}}],
        },
        "portfolio": {"members": [UNCERTAIN, UNCERTAIN]},
    }
    path = tmp_path / "body.json"
    path.write_text(json.dumps(bodies[command]))
    assert main([command, str(path)]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1, repr(err)
    assert err.endswith("\n"), repr(err)
    draws = err.rstrip("\n").split("\r")[1:]
    counts = [tuple(int(x) for x in d.split("] ")[1].split()[0].split("/")) for d in draws]
    assert [done for done, _ in counts] == sorted(done for done, _ in counts)  # never back
    assert len({total for _, total in counts}) == 1  # one bar for the whole command
    assert counts[-1][0] == counts[-1][1], counts
    assert counts[0][0] > 0, counts


def test_parameters_doc_is_the_generated_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parameters", "--format", "markdown"]) == 0
    doc = Path(__file__).resolve().parents[2] / "docs" / "parameters.md"
    assert capsys.readouterr().out == doc.read_text(), (
        "docs/parameters.md is stale: run `detainer-cost parameters > docs/parameters.md`"
    )


def test_parameters_json_lists_every_field(capsys: pytest.CaptureFixture[str]) -> None:
    from models.scenario import FIELDS

    main(["parameters", "--format", "json"])
    listed = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in listed] == [f.name for f in FIELDS]


COMPARISON = {
    "baseline": SCENARIO,
    "alternatives": [{"name": "decline", "overrides": {"honor_rate": 0}}],
}
UNCERTAIN = {**SCENARIO, "daily_cost": {"dist": "uniform", "low": 60, "high": 120}}


@pytest.mark.parametrize(
    ("command", "body", "expected"),
    [
        ("compare", COMPARISON, lambda: compare(SCENARIO, COMPARISON["alternatives"])),
        ("sensitivity", UNCERTAIN, lambda: sensitivity(UNCERTAIN)),
        (
            "portfolio",
            {"members": [SCENARIO, SCENARIO], "threshold": 1e6},
            lambda: portfolio([SCENARIO, SCENARIO], threshold=1e6),
        ),
    ],
)
def test_analysis_commands_print_the_library_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, body: Any, expected: Any
) -> None:
    path = tmp_path / "body.json"
    path.write_text(json.dumps(body))
    assert main([command, str(path), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(expected().to_dict()))
    assert main([command, str(path)]) == 0
    assert capsys.readouterr().out.strip()


@pytest.mark.parametrize(
    ("command", "body", "field"),
    [
        ("compare", {"alternatives": []}, "baseline"),
        ("compare", [1], "(scenario)"),
        ("sensitivity", {**SCENARIO, "honor_rate": 5}, "honor_rate"),
        ("portfolio", {"members": [SCENARIO, {**SCENARIO, "trials": 3}]}, "members[1].trials"),
    ],
)
def test_analysis_commands_exit_2_on_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, body: Any, field: str
) -> None:
    path = tmp_path / "body.json"
    path.write_text(json.dumps(body))
    assert main([command, str(path)]) == 2
    assert f"error: {field}:" in capsys.readouterr().err


def test_simulate_from_a_preset(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["simulate", "--preset", "colorado-2011", "--trials", "300", "--format", "json"]) == 0
    )
    printed = json.loads(capsys.readouterr().out)
    assert printed["name"] == "Colorado statewide, 2010-11"
    assert printed["trials"] == 300
    assert main(["simulate"]) == 2
    assert main(["simulate", "--preset", "atlantis"]) == 2
    assert "preset" in capsys.readouterr().err


def test_presets_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["presets"]) == 0
    assert "cook-county-2011" in capsys.readouterr().out
    assert main(["presets", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["parameters"]


def test_the_table_names_components_in_words_and_says_the_fiscal_year(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "fiscal.json"
    path.write_text(
        json.dumps(
            {
                **SCENARIO,
                "fiscal_year_start_month": 10,
                "start_year": 2027,
                "payment_per_honored_detainer": 50,
            }
        )
    )
    assert main(["simulate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "first year: FY2027" in out
    assert "FY2027 = October 2026\u2013September 2027." in out
    lines = out.splitlines()
    lines = lines[lines.index("Components (year 1):") + 1 :]
    for key, words in (
        ("hold", "The hold"),
        ("extra_stay", "Longer stays"),
        ("overflow_premium", "Beds above capacity (premium)"),
        ("federal_payment", "Federal payments per hold"),
    ):
        assert any(line.startswith(f"  {words} ") for line in lines), words
        assert not any(line.startswith(f"  {key} ") for line in lines), key


def test_a_name_too_long_for_its_column_ends_in_an_ellipsis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "A very long alternative name that goes on and on"
    path = tmp_path / "compare.json"
    path.write_text(
        json.dumps(
            {
                "baseline": SCENARIO,
                "alternatives": [{"name": name, "overrides": {"honor_rate": 0.5}}],
            }
        )
    )
    assert main(["compare", str(path)]) == 0
    row = capsys.readouterr().out.splitlines()[-1]
    assert row.startswith(name[:26] + "\u2026 ")
    assert name[:27] not in row
