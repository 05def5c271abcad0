"""Dates, contacts, partner lists, ids and file names."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from couple_xl.errors import InputError
from couple_xl.inputs import (
    PartnerEntry,
    parse_contact,
    parse_date,
    partner_entries,
    read_partners_file,
)
from couple_xl.naming import (
    WINDOWS_RESERVED,
    inside,
    partnership_id,
    safe_component,
    unique_filenames,
)
from tests.helpers import generate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-18", dt.date(2026, 12, 18)),
        ("2026-1-5", dt.date(2026, 1, 5)),
        ("18/12/2026", dt.date(2026, 12, 18)),
        ("18.12.2026", dt.date(2026, 12, 18)),
        ("05/05/2026", dt.date(2026, 5, 5)),
        (" 31/01/2027 ", dt.date(2027, 1, 31)),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "03/04/2026",
            "due '03/04/2026' is ambiguous: it could be 3 April 2026 or 4 March 2026. "
            "Write it as YYYY-MM-DD, for example 2026-04-03",
        ),
        (
            "12/25/2026",
            "due '12/25/2026' looks like month/day/year; write it as 2026-12-25 (YYYY-MM-DD)",
        ),
        ("2026-02-30", "due '2026-02-30' is not a real date (day is out of range for month)"),
        ("next friday", "due 'next friday' is not a date: use YYYY-MM-DD, for example 2026-03-31"),
    ],
)
def test_parse_date_refuses(text, message):
    with pytest.raises(InputError) as info:
        parse_date(text, what="due")
    assert info.value.message == message


def test_parse_contact():
    assert str(parse_contact("Sam Lee <sam@example.org>")) == "Sam Lee <sam@example.org>"
    assert str(parse_contact("sam@example.org")) == "sam@example.org"
    # A contact is where partners send their workbook: it must carry an address.
    with pytest.raises(InputError, match="contact 'Sam Lee' has no email address"):
        parse_contact("Sam Lee")
    for mangled in ("priya at northfield", "priya(at)northfield.org", "priya [at] nf dot org"):
        with pytest.raises(InputError, match="looks like an email address with its @ written"):
            parse_contact(mangled)
    with pytest.raises(InputError, match="'sam@x' is not an email address"):
        parse_contact("Sam <sam@x>")
    with pytest.raises(InputError, match='is not in the form "NAME <EMAIL>"'):
        parse_contact("Sam <sam@>")


def test_partner_entries_refuse_duplicates():
    with pytest.raises(InputError, match="the partner 'age uk' is listed twice"):
        partner_entries(["Age UK"], [PartnerEntry("age uk")])


def _csv(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "partners.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_partners_csv(tmp_path):
    path = _csv(
        tmp_path,
        "\ufeffPartner,EMAIL,Contact\nAge UK Riverside,ann@ageuk.example,Ann\n\n"
        "Riverside Foodbank,,\n",
    )
    assert read_partners_file(path) == [
        PartnerEntry("Age UK Riverside", "ann@ageuk.example", "Ann"),
        PartnerEntry("Riverside Foodbank"),
    ]


def test_partners_csv_semicolons_and_ansi(tmp_path):
    path = _csv(tmp_path, "partner;email\nCafé Sôlidarité;cafe@example.org\n", "cp1252")
    assert read_partners_file(path) == [PartnerEntry("Café Sôlidarité", "cafe@example.org")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,email\nA,a@b.org\n", "row 1: no 'partner' column in the header row"),
        ("partner,phone\nA,123\n", "row 1: unknown column 'phone'"),
        ("partner,email\nA,not-an-email\n", "row 2: 'not-an-email' is not an email address"),
        ("partner,email\n ,a@b.org\n", "row 2: the partner name is blank"),
        ("partner\n\n", "the partners file lists no partners"),
    ],
)
def test_partners_csv_errors_are_located(tmp_path, text, message):
    path = _csv(tmp_path, text)
    with pytest.raises(InputError) as info:
        read_partners_file(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_partners_xlsx(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "List"
    ws.append(["Partner", "Email"])
    ws.append(["Riverside Foodbank", "food@example.org"])
    ws.append([None, "orphan@example.org"])
    path = tmp_path / "partners.xlsx"
    wb.save(path)
    with pytest.raises(InputError) as info:
        read_partners_file(path)
    assert str(info.value) == f"{path}: sheet 'List': cell A3: the partner name is blank"


def test_partners_file_format(tmp_path):
    path = tmp_path / "partners.ods"
    path.write_bytes(b"")
    with pytest.raises(InputError, match=r"must be \.csv or \.xlsx"):
        read_partners_file(path)


# --- ids and file names -----------------------------------------------------


def test_partnership_id_ignores_case_and_spacing():
    assert partnership_id("Riverside Food Partnership") == "riverside-food-partnership"
    assert partnership_id("  riverside   FOOD partnership ") == "riverside-food-partnership"
    assert partnership_id("Partenariat Café") == "partenariat-cafe"
    arabic = partnership_id("شراكة الغذاء")
    assert arabic.startswith("p-")
    assert arabic == partnership_id("شراكة  الغذاء")


@pytest.mark.parametrize("name", ["CON", "aux", "Nul", "COM1", "lpt9", "con.txt"])
def test_windows_reserved_names_are_avoided(name):
    component = safe_component(name, "partner")
    assert component.split(".")[0] not in WINDOWS_RESERVED


@given(st.text(min_size=1, max_size=300))
def test_file_name_components_are_always_safe(name):
    component = safe_component(name, "partner")
    assert component
    assert all((c.isalnum() and c.isascii()) or c == "-" for c in component)
    assert component not in WINDOWS_RESERVED
    assert not component.endswith((".", " "))


def test_unique_filenames_compare_without_case():
    assert unique_filenames(["a", "A", "a"], ".xlsx") == ["a.xlsx", "A-2.xlsx", "a-3.xlsx"]
    long = unique_filenames(["x" * 500], ".xlsx")[0]
    assert len(long) <= 120


def test_inside_refuses_escapes(tmp_path):
    assert inside(tmp_path, "a.xlsx") == (tmp_path / "a.xlsx").resolve()
    for bad in ["../x.xlsx", "sub/x.xlsx", "/etc/passwd"]:
        with pytest.raises(ValueError, match="not a plain file name"):
            inside(tmp_path, bad)


def test_file_names_are_shortened_at_a_word_boundary(tmp_path):
    sent = generate(
        tmp_path / "sent",
        partnership_name="Northfield Community Food Partnership",
        partners=["Northfield Community Food Partnership North Branch",
                  "Northfield Community Food Partnership South Branch", "Age UK"],
        round_label="Autumn 2026 second review round",
    )  # fmt: skip
    # By hand: 30 characters of the partnership's slug end inside "partnership", 20 of
    # the round's inside "review", 40 of the partners' inside "north"/"south", which then
    # differ by a number.
    prefix = "northfield-community-food_autumn-2026-second"
    assert sent.manifest.name == f"{prefix}.manifest.json"
    assert [w.path.name for w in sent.workbooks] == [
        f"{prefix}_northfield-community-food-partnership.xlsx",
        f"{prefix}_northfield-community-food-partnership-2.xlsx",
        f"{prefix}_age-uk.xlsx",
    ]


def test_safe_component_keeps_whole_words():
    assert safe_component("Northfield Community Food Partnership", "p", 30) == (
        "northfield-community-food"
    )
    assert safe_component("Supercalifragilisticexpialidocious", "p", 10) == "supercalif"
    assert safe_component("con tractors", "p", 5) == "con-p"  # still never a device name


def test_new_refuses_a_contact_without_an_address(tmp_path):
    with pytest.raises(InputError, match="contact 'Sam Lee' has no email address"):
        generate(tmp_path / "sent", contact="Sam Lee")
    assert not (tmp_path / "sent").exists()
