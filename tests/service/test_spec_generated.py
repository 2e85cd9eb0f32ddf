"""openapi.yaml is generated (service/spec.py) from its skeleton and the code it restates:
the committed file is the generated one, as docs/parameters.md is the CLI's output."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from models import __version__
from models.distributions import DISTRIBUTIONS
from models.scenario import VOLUME_FIELDS
from service import spec as generator
from service.spec import DUMPER, load_yaml

from .conftest import SPEC, SPEC_PATH


def test_committed_openapi_yaml_is_the_generated_one() -> None:
    assert SPEC_PATH.read_text(encoding="utf-8") == generator.generate(), (
        "openapi.yaml is stale: run `python -m service.spec` (or `make spec`)"
    )


def test_check_mode_tells_a_stale_file(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "openapi.yaml"
    stale.write_text(generator.generate().replace("detainer", "detained", 1))
    monkeypatch.setattr(generator, "TARGET", stale)
    assert generator.main(["--check"]) == 1
    monkeypatch.setattr(generator, "TARGET", SPEC_PATH)
    assert generator.main(["--check"]) == 0


def test_version_and_limits_come_from_the_code() -> None:
    assert SPEC["info"]["version"] == __version__
    assert "${" not in SPEC_PATH.read_text(encoding="utf-8")


def test_every_distribution_family_is_a_component_of_the_union() -> None:
    schemas = SPEC["components"]["schemas"]
    union = schemas["Distribution"]
    assert set(union["discriminator"]["mapping"]) == set(DISTRIBUTIONS)
    for family, (required, optional) in DISTRIBUTIONS.items():
        component = schemas[union["discriminator"]["mapping"][family].rsplit("/", 1)[1]]
        assert component["properties"]["dist"]["const"] == family
        assert component["required"] == ["dist", *required]
        assert set(component["properties"]) == {"dist", "note", *required, *optional}


def test_volume_fields_are_plain_typed_properties_not_required_only_branches() -> None:
    scenario = SPEC["components"]["schemas"]["Scenario"]
    assert not {"oneOf", "anyOf", "allOf", "not"} & set(scenario)
    assert set(VOLUME_FIELDS) <= set(scenario["properties"])
    # daily_cost or daily_cost_average: the engine names daily_cost when neither is given
    # (issue 12), so no field is required by the schema alone.
    assert scenario["required"] == []


def test_a_skeleton_naming_an_unknown_field_or_family_is_refused() -> None:
    text = generator.SKELETON.read_text(encoding="utf-8")
    skeleton = load_yaml(text)
    skeleton["components"]["schemas"]["Scenario"]["properties"]["no_such_field"] = {}
    with pytest.raises(ValueError, match="no_such_field"):
        generator.generate(yaml.dump(skeleton, Dumper=DUMPER))
    skeleton = load_yaml(text)
    del skeleton["x-distributions"]["gamma"]
    with pytest.raises(ValueError, match="gamma"):
        generator.generate(yaml.dump(skeleton, Dumper=DUMPER))
