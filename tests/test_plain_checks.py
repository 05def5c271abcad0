"""The quick ways of reading agree with the straightforward ones.

The plain checks that read a template and a workbook's metadata without pydantic (so
that `couple-xl check` starts quickly) agree with the rules in couple_xl/schemas.py:
whatever a plain check accepts, the rules accept, and both give the same value, down to
the template's canonical JSON and fingerprint; what the rules alone accept is still
accepted, through them. A defined name's reference is read as XlsxWriter reads it.
(The sheet scan against the general walk is in test_hostile.py.)"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from couple_xl import metadata, schemas, templates
from couple_xl.errors import TemplateError
from tests.helpers import edge_template_data

# Values that have caught readers out: whitespace and control characters, non-breaking
# spaces, lone surrogates, emoji, numbers JSON writes with an exponent, bools, huge ints.
AWKWARD_TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["", " ", "x ", " x", "\tx", "x\u00a0", "\u2003x", "x\x1f", "\x1cx", "\ud800",
         "Summary", "_couple", "a,b", 'a"b', "é", "😀" * 16, "A" * 300, "x\n", "1.0.0\n",
         "commitment", "Commitment", "N/A", "agree", "1", "1.0", "2026-10-01",
         "2026-10-01T00:00:00Z", "2026-10-01 00:00:00", "0" * 32, "f" * 64]
    ),
)  # fmt: skip
AWKWARD_NUMBER = st.one_of(
    st.integers(-(10**20), 10**20),
    st.integers(-3, 102),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(0, 101),
    st.sampled_from([0.0, -0.0, 1e-05, 1e-7, 1e16, 2.5, 4.000000000000001, True, False]),
)
AWKWARD = st.one_of(AWKWARD_TEXT, AWKWARD_NUMBER, st.none(), st.just([]), st.just({}))


def _leaves(data, path=()):
    """Every (container, key) in nested template data, containers included."""
    found = []
    if isinstance(data, dict):
        for key, value in data.items():
            found.append((data, key))
            found += _leaves(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found.append((data, i))
            found += _leaves(value, (*path, i))
    return found


def _mutate(draw, data):
    """``data`` changed in one to three places: a value replaced, a key dropped or added,
    an item repeated."""
    for _ in range(draw(st.integers(1, 3))):
        leaves = _leaves(data)
        container, key = leaves[draw(st.integers(0, len(leaves) - 1))]
        action = draw(st.sampled_from(["replace", "replace", "replace", "drop", "add", "twice"]))
        if action == "replace":
            container[key] = draw(AWKWARD)
        elif action == "drop":
            del container[key]
        elif action == "add" and isinstance(container, dict):
            container[draw(st.sampled_from(["colour", "aliases", "guidance", "weight"]))] = draw(
                AWKWARD
            )
        elif action == "twice" and isinstance(container, list):
            container.append(copy.deepcopy(container[key]))
    return data


def _by_the_rules(data):
    """The template the rules make of ``data``, or None when they refuse it."""
    try:
        model = schemas.Template.model_validate(data)
    except schemas.ValidationError:
        return None
    return templates._built(model.model_dump(), model.model_dump_json(exclude_defaults=False))


def _assert_same_template(plain, ruled):
    assert ruled is not None, "the plain check accepted what the rules refuse"
    assert plain == ruled
    assert plain.to_json() == ruled.to_json()
    assert plain.fingerprint == ruled.fingerprint


def test_every_template_couple_xl_writes_passes_the_plain_check(template):
    from couple_xl.templates import builtin_templates, load_template_file

    datas = [
        json.loads(load_template_file(path).to_json()) for path in builtin_templates().values()
    ]
    datas.append(edge_template_data(template))
    for data in datas:
        plain = templates._checked(copy.deepcopy(data))
        assert plain is not None, data["id"]
        _assert_same_template(plain, _by_the_rules(data))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_plain_template_check_accepts_only_what_the_rules_accept(template, data):
    raw = _mutate(data.draw, json.loads(template.to_json()))
    plain = templates._checked(copy.deepcopy(raw))
    ruled = _by_the_rules(copy.deepcopy(raw))
    if plain is not None:
        _assert_same_template(plain, ruled)
    # Either way, template_from_data gives the rules' answer.
    if ruled is None:
        with pytest.raises(TemplateError):
            templates.template_from_data(raw, "t.json")
    else:
        _assert_same_template(templates.template_from_data(raw, "t.json"), ruled)


def test_a_template_only_the_rules_can_vouch_for_keeps_their_json(template):
    # 0.00001 is written 1e-05 by the standard library, and 0.00001 by pydantic: such a
    # weight is left to the rules, and the JSON (and so the fingerprint) is theirs.
    data = json.loads(template.to_json())
    data["principles"][0]["questions"][0]["weight"] = 1e-05
    assert templates._checked(copy.deepcopy(data)) is None
    loaded = templates.template_from_data(data, "t.json")
    assert '"weight":0.00001' in loaded.to_json()
    assert loaded.to_json() == schemas.Template.model_validate(data).model_dump_json()


def test_text_in_json_is_written_as_pydantic_writes_it(template):
    # Control characters, quotes, backslashes, U+2028, emoji: between two letters.
    every = "x" + "".join(chr(c) for c in range(0x800)) + '\u2028\u2029😀"\\/x'
    data = json.loads(template.to_json())
    data["introduction"] = every
    plain = templates._checked(copy.deepcopy(data))
    _assert_same_template(plain, _by_the_rules(data))


# --- workbook metadata -------------------------------------------------------------------


def _metadata_strings(template) -> dict[str, str]:
    meta = metadata.WorkbookMetadata(
        template_id=template.id, template_version=template.version,
        template_sha256=template.fingerprint, partnership_id="riverside-food-partnership",
        partnership_name="Riverside Food Partnership", partner="Age UK Riverside",
        round="Autumn 2026", round_date=dt.date(2026, 10, 1), due_date=dt.date(2026, 11, 1),
        contact="Sam Lee <sam@example.org>", return_id="0" * 31 + "1",
        created=dt.datetime(2026, 10, 1, 9, 30, 15, tzinfo=dt.timezone.utc),
        generator="couple_xl 0.1.0", round_id="a" * 32,
    )  # fmt: skip
    return meta.as_strings()


def _metadata_by_the_rules(values):
    try:
        model = schemas.WorkbookMetadata.model_validate(values)
    except schemas.ValidationError:
        return None
    return {key: getattr(model, key) for key in metadata.FIELDS}


def _assert_same_metadata(plain, ruled):
    assert ruled is not None, "the plain check accepted what the rules refuse"
    assert plain == ruled
    assert plain["created"].utcoffset() == ruled["created"].utcoffset()
    assert plain["created"].isoformat() == ruled["created"].isoformat()


DATETIMES = st.one_of(
    st.datetimes(timezones=st.one_of(st.none(), st.timezones())).map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat(timespec="seconds") + "Z"),
    AWKWARD_TEXT,
)


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_the_plain_metadata_check_accepts_only_what_the_rules_accept(template, data):
    values = _metadata_strings(template)
    values["due_date"] = values["due_date"] or None
    for _ in range(data.draw(st.integers(1, 3))):
        key = data.draw(st.sampled_from([*metadata.FIELDS, "colour"]))
        choice = data.draw(st.sampled_from(["replace", "drop", "datetime", "date"]))
        if choice == "drop":
            values.pop(key, None)
        elif choice == "datetime":
            values[key] = data.draw(DATETIMES)
        elif choice == "date":
            values[key] = data.draw(st.dates().map(dt.date.isoformat) | st.dates())
        else:
            values[key] = data.draw(AWKWARD)
    plain = metadata._checked(dict(values))
    ruled = _metadata_by_the_rules(dict(values))
    if plain is not None:
        _assert_same_metadata(plain, ruled)
    if ruled is None:
        with pytest.raises(metadata.MetadataProblem):
            metadata.WorkbookMetadata.validate(values)
    else:
        made = metadata.WorkbookMetadata.validate(values)
        _assert_same_metadata({k: getattr(made, k) for k in metadata.FIELDS}, ruled)


def test_metadata_couple_xl_writes_passes_the_plain_check(template):
    values = _metadata_strings(template)
    assert metadata._checked(dict(values)) is not None
    # Returns made before rounds had an id derive one, as the rules do.
    del values["round_id"]
    plain, ruled = metadata._checked(dict(values)), _metadata_by_the_rules(dict(values))
    _assert_same_metadata(plain, ruled)
    assert len(plain["round_id"]) == 32


def test_metadata_the_rules_refuse_says_where_in_words(template):
    values = _metadata_strings(template) | {"partner": "Age  UK"}
    with pytest.raises(metadata.MetadataProblem) as refused:
        metadata.WorkbookMetadata.validate(values)
    assert (refused.value.key, refused.value.message) == (
        "partner",
        "has spaces at its ends or two spaces in a row",
    )
    assert "Value error" in refused.value.detail  # what pydantic said, for --debug


def test_a_finite_float_json_writes_without_an_exponent_is_written_as_pydantic_writes_it():
    # The premise of the plain template check's rule for numbers, on a sweep of floats.
    from pydantic_core import to_json

    values = [i / 7 for i in range(1, 20_000)] + [10.0**e for e in range(-4, 16)]
    for value in values:
        if math.isfinite(value) and "e" not in repr(value):
            assert json.dumps(value) == to_json(value).decode(), value


@given(
    st.from_regex(r"\A[A-Z]{1,3}\Z"),
    st.integers(0, 2_000_000),
    st.booleans(),
    st.from_regex(r"\A[A-Z]{1,3}\Z"),
    st.integers(0, 2_000_000),
)
def test_a_reference_is_read_as_xlsxwriter_reads_it(letters, row, block, last_letters, last_row):
    from xlsxwriter.utility import xl_cell_to_rowcol

    from couple_xl.returns import parse_ref

    text = f"'My sheet'!${letters}${row}" + (f":${last_letters}${last_row}" if block else "")
    ref = parse_ref(text)
    assert ref.sheet == "My sheet"
    assert (ref.row, ref.col) == xl_cell_to_rowcol(f"{letters}{row}")
    last = xl_cell_to_rowcol(f"{last_letters}{last_row}") if block else (ref.row, ref.col)
    assert (ref.last_row, ref.last_col) == last
