"""Templates: the standard one, and every kind of mistake in a custom one."""

from __future__ import annotations

import json

import pytest

from couple_xl import scoring
from couple_xl.errors import TemplateError
from couple_xl.templates import (
    builtin_templates,
    load_template_file,
    resolve_template,
    template_from_data,
)


def test_standard_template_covers_the_six_principles(template):
    assert [p.id for p in template.principles] == [
        "commitment",
        "outcomes",
        "understanding",
        "processes",
        "leadership",
        "execution",
    ]
    for principle in template.principles:
        assert 3 <= len(principle.questions) <= 5, principle.id
        for q in principle.questions:
            assert q.id.startswith(principle.id + "_")
            assert q.guidance
    assert template.thresholds == scoring.Thresholds(4.0, 3.0, 0.5, 2.0)


def test_standard_scale_matches_the_engine_default(template):
    assert template.engine_scale == scoring.STANDARD_SCALE


def test_builtin_templates_listed():
    assert "couple" in builtin_templates()


def _data(template) -> dict:
    return json.loads(template.to_json())


def _problems(data) -> list[str]:
    with pytest.raises(TemplateError) as info:
        template_from_data(data, "t.toml")
    return [str(p) for p in info.value.problems]


def test_embedded_json_round_trips(template):
    again = template_from_data(_data(template), "embedded")
    assert again == template
    assert again.fingerprint == template.fingerprint


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.pop("version"), "t.toml: version: required key is missing"),
        (lambda d: d.update(colour="red"), "t.toml: colour: unknown key (check the spelling)"),
        (
            lambda d: d["principles"][0]["questions"][1].update(id="Bad Id"),
            "t.toml: principles[1].questions[2].id: String should match pattern "
            "'^[a-z][a-z0-9_]{0,39}$'",
        ),
        (
            lambda d: d["principles"][1]["questions"][0].update(weight=0),
            "t.toml: principles[2].questions[1].weight: Input should be greater than 0",
        ),
        (
            lambda d: d["principles"][1]["questions"][0].update(id="commitment_values"),
            "t.toml: (top level): the question id 'commitment_values' is used twice",
        ),
        (
            lambda d: d["principles"][2].update(name="Sum: mary"),
            "t.toml: principles[3].name: a principle name is a sheet name, and this one "
            "contains :, which Excel does not allow in a sheet name",
        ),
        (
            lambda d: d["principles"][2].update(name="Summary"),
            "t.toml: principles[3].name: 'Summary' is the name of a sheet the workbook already has",
        ),
        (
            lambda d: d["settings"].update(strength=2.0),
            "t.toml: settings: strength must be above developing",
        ),
        (
            lambda d: d["settings"].update(min_coverage=1.5),
            "t.toml: settings.min_coverage: Input should be less than or equal to 1",
        ),
        (
            lambda d: d["scale"]["points"][1].update(value=1),
            "t.toml: scale: point values must be unique and in rising order",
        ),
        (
            lambda d: d["scale"]["points"][1].update(label="Disagree, mostly"),
            "t.toml: scale: '2 – Disagree, mostly': answers cannot contain commas or double quotes",
        ),
        (
            lambda d: d["scale"]["unscored"][0].update(aliases=["agree"]),
            "t.toml: scale: the answer text 'agree' is ambiguous",
        ),
        (
            lambda d: d.update(principles=[]),
            "t.toml: principles: List should have at least 1 item after validation, not 0",
        ),
    ],
)
def test_invalid_templates_name_the_key(template, mutate, expected):
    data = _data(template)
    mutate(data)
    assert expected in _problems(data)


def test_every_problem_is_reported(template):
    data = _data(template)
    data["principles"][0]["questions"][0]["weight"] = -1
    data["principles"][5]["questions"][0]["text"] = ""
    problems = _problems(data)
    assert len(problems) == 2
    assert problems[0].startswith("t.toml: principles[1].questions[1].weight:")
    assert problems[1].startswith("t.toml: principles[6].questions[1].text:")


def test_bad_toml_is_located(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\nversion = \n', encoding="utf-8")
    with pytest.raises(TemplateError) as info:
        load_template_file(bad)
    assert str(info.value).startswith(f"{bad}: not valid TOML:")
    assert "line 2" in str(info.value)


def test_unknown_template_reference():
    with pytest.raises(TemplateError, match="no built-in template 'nope'"):
        resolve_template("nope")


def test_custom_template_from_path(tmp_path, template):
    data = _data(template)
    data["id"] = "short"
    data["principles"] = data["principles"][:2]
    path = tmp_path / "short.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    loaded = resolve_template(str(path))
    assert loaded.id == "short"
    assert len(loaded.principles) == 2
