"""The trustees' report (consolidate --pdf): read back with pypdf and pikepdf, never with
couple_xl's own code. Expected numbers are worked out by hand in the fixture's docstring."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from couple_xl.audience import Audience, audience_view
from couple_xl.cli import main
from couple_xl.consolidate import consolidate
from couple_xl.levels import PARTNER, PARTNERSHIP
from couple_xl.plan import PlanOptions, run_plan
from couple_xl.report import drawable, shown, shown_change, write_report
from couple_xl.scoring import shown_score as one_decimal
from tests.helpers import EMOJI, fill, generate, named_cell
from tests.pdf import (
    A4,
    PDFUA_SKIPS_HEADINGS,
    metadata,
    page_sizes,
    page_texts,
    pdf_text,
    pdfua_report,
    structure,
)

MADE = dt.datetime(2027, 3, 5, 10, 15, tzinfo=dt.timezone.utc)
PARTNERSHIP_NAME = "Cwmbrân “Food” Partnership"
# Welsh, Polish, Greek, Cyrillic and curly quotes, and every character Typst's markup
# gives a meaning to: each must print as typed.
A = "Ynys Môn ŵŷ Trust"
B = "Fundacja Łódź łł"
C = "Общество “Жизнь” Ελπίδα #1 $5 *x* _y_ <z> @w \\v"
D = "Quiet Partners Ltd"  # does not return in the second round
ACTION = "Share the budget: #costs $ *all* _now_ <soon> @chairs \\ ok"
LEAD = "Priya Shah"


def _answers(template, by_principle: dict[str, list[int] | int]) -> dict[str, int]:
    answers = {}
    for p in template.principles:
        given = by_principle[p.id]
        for i, q in enumerate(p.questions):
            answers[q.id] = given[i] if isinstance(given, list) else given
    return answers


def _agree(plan: Path, target: Path) -> Path:
    """The meeting agrees the plan's first suggestion, with a lead and a due date."""
    wb = openpyxl.load_workbook(plan)
    ws = wb["Plan"]
    header = next(r for r in ws.iter_rows() if r[0].value == "id")
    col = {c.value: c.column for c in header}
    row = header[0].row + 1
    ws.cell(row, col["agreed"]).value = "Yes"
    ws.cell(row, col["lead"]).value = LEAD
    ws.cell(row, col["due"]).value = "2026-07-31"
    wb.save(target)
    return target


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    """Two rounds of four partners. Spring: all four answer 3 throughout (every mean 3.0);
    A suggests ACTION, which the meeting agrees. Autumn, D has not returned:

    | principle     | A                  | B | C | mean            | spread | change |
    | commitment    | 3,4,4,4 = 3.75     | 3 | 3 | 9.75/3 = 3.25   | 0.75   | +0.25  |
    | outcomes      | 4                  | 5 | 2 | 11/3 = 3.667    | 3      | +0.667 |
    | understanding | 4                  | 2 | 3 | 3.0             | 2      | 0      |
    | processes     | 2,2,2,3 = 2.25     | 2 | 2 | 6.25/3 = 2.083  | 0.25   | −0.917 |
    | leadership    | 4                  | 4 | 4 | 4.0             | 0      | +1.0   |
    | execution     | 4                  | 3 | 3 | 10/3 = 3.333    | 1      | +0.333 |

    Shown to one decimal, half away from zero: 3.3 (not Python's 3.2), 3.7, 3.0, 2.1, 4.0,
    3.3; spreads 0.8, 3.0, 2.0, 0.3 (not 0.2), 0.0, 1.0; changes +0.3 (not +0.2), +0.7,
    0.0, −0.9, +1.0, +0.3. Overall (19.333/6 = 3.222) 3.2, Developing, change +0.2.
    Partners disagree (spread 2 or more) on outcomes and understanding. Strongest:
    leadership; weakest: processes. Partners' overall: A 22/6 = 3.667, 3.7; B 19/6 = 3.167,
    3.2; C 17/6 = 2.833, 2.8. The agreed action: A Done, B Behind, C no answer: open,
    partners disagree."""
    tmp = tmp_path_factory.mktemp("report")
    from couple_xl.templates import resolve_template

    template = resolve_template("couple")
    returns = tmp / "returns"
    returns.mkdir()
    partners = [A, B, C, D]
    spring = generate(tmp / "spring", partners, partnership_name=PARTNERSHIP_NAME,
                      round_label="Spring 2026", round_date=dt.date(2026, 4, 1))  # fmt: skip
    for i, w in enumerate(spring.workbooks):
        actions = {"processes": [[ACTION, "Ann", "June"]]} if w.partner == A else None
        fill(w.path, returns / f"spring-{i}.xlsx", _answers(template, dict.fromkeys(
            (p.id for p in template.principles), 3)), actions=actions)  # fmt: skip
    plan = run_plan(PlanOptions([returns], tmp / "plan.xlsx")).written
    agreed = _agree(plan, tmp / "agreed.xlsx")
    autumn = generate(tmp / "autumn", partners, partnership_name=PARTNERSHIP_NAME,
                      round_label="Autumn 2026", plan=agreed)  # fmt: skip
    scores = {
        A: {"commitment": [3, 4, 4, 4], "outcomes": 4, "understanding": 4,
            "processes": [2, 2, 2, 3], "leadership": 4, "execution": 4},
        B: {"commitment": 3, "outcomes": 5, "understanding": 2, "processes": 2,
            "leadership": 4, "execution": 3},
        C: {"commitment": 3, "outcomes": 2, "understanding": 3, "processes": 2,
            "leadership": 4, "execution": 3},
    }  # fmt: skip
    statuses = {A: "Done", B: "Behind", C: None}
    for i, w in enumerate(autumn.workbooks):
        if w.partner == D:
            continue
        path = fill(w.path, returns / f"autumn-{i}.xlsx", _answers(template, scores[w.partner]))
        wb = openpyxl.load_workbook(path)
        (action,) = autumn.agreed
        named_cell(wb, f"ACTION_STATUS_{action.id}").value = statuses[w.partner]
        wb.save(path)
    for folder in (tmp / "spring", tmp / "autumn"):
        for manifest in folder.glob("*.manifest.json"):
            (returns / manifest.name).write_bytes(manifest.read_bytes())
    result = consolidate([returns])
    assert not result.rejected
    written = {}
    for name, audience in {
        "partner": Audience(PARTNER),
        "partnership": Audience(PARTNERSHIP),
        "anonymised": Audience(PARTNER, anonymise=True),
    }.items():
        path = tmp / f"report-{name}.pdf"
        assert write_report(audience_view(result, audience), path, MADE) == []
        written[name] = path
    return result, written, returns


# --- numbers as the summary shows them ----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3.25, "3.3"),  # Python's format gives 3.2
        (1.15, "1.2"),  # stored as 1.149999…: Python gives 1.1; Excel shows 1.2
        (2.45, "2.5"),
        (0.05, "0.1"),
        (0.25, "0.3"),
        (4.95, "5.0"),
        (3.35, "3.4"),
        (3.2499999999999996, "3.3"),  # 3.25 summed in another order: the same 15 digits
        (3.2449, "3.2"),
        (4.0, "4.0"),
        (1, "1.0"),
    ],
)
def test_one_decimal_rounds_halves_away_from_zero_as_excel_shows(value, expected):
    assert shown(value) == expected


def test_pythons_own_rounding_would_differ_at_these_halves():
    """Not vacuous: the halves above are where Python's format and Excel part ways."""
    assert (f"{3.25:.1f}", f"{1.15:.1f}", f"{0.25:.1f}") == ("3.2", "1.1", "0.2")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.25, "+0.3"), (-0.25, "\u22120.3"), (-0.04, "0.0"), (0.04, "0.0"), (1.0, "+1.0"),
     (-1.15, "\u22121.2"), (None, "")],
)  # fmt: skip
def test_a_change_carries_its_sign_and_rounds_the_same_way(value, expected):
    assert shown_change(value) == expected
    if value is not None:
        assert one_decimal(-value) == -one_decimal(value)  # symmetric: away from zero


# --- what it says -------------------------------------------------------------------------


def _lines(path: Path) -> list[str]:
    return [" ".join(line.split()) for line in pdf_text(path).splitlines()]


SCORE_ROWS = [
    "Commitment 3.3 Developing +0.3 0.8 No",
    "Outcomes 3.7 Developing +0.7 3.0 Yes",
    "Understanding 3.0 Developing 0.0 2.0 Yes",
    "Processes 2.1 Concern \u22120.9 0.3 No",
    "Leadership 4.0 Strength +1.0 0.0 No",
    "Execution 3.3 Developing +0.3 1.0 No",
    "Overall 3.2 Developing +0.2",
]


@pytest.mark.parametrize("audience", ["partner", "partnership", "anonymised"])
def test_every_score_is_printed_as_the_summary_shows_it(hand, audience):
    _, written, _ = hand
    lines = _lines(written[audience])
    for row in SCORE_ROWS:  # a table's row is a line
        assert row in lines, row
    text = " ".join(lines)  # a sentence may wrap
    for said in (
        "Change since Spring 2026",
        "Overall 3.2, Developing",
        "Strongest: Leadership (4.0). Weakest: Processes (2.1).",
        "Partners disagree on 2 of 6 principles (their scores differ by 2 or more): "
        "Outcomes and Understanding.",
        "Not provisional: every partner answered at least 50% of every principle.",
        "Autumn 2026, 1 October 2026 · COUPLE partnership health check (template couple 1.0.0)",
        "3 of 4 partners returned.",
        "0 of 1 agreed action closed, 1 where partners disagree.",
    ):
        assert said in text, said


def test_partner_level_names_each_partner_with_its_scores_and_who_has_not_returned(hand):
    _, written, _ = hand
    lines = _lines(written["partner"])
    text = " ".join(lines)
    assert f"Not yet returned: {D}." in " ".join(lines)
    # Each partner's scores, in principle order, under its name.
    assert f"1 {A} 3.8 4.0 4.0 2.3 4.0 4.0 3.7" in lines
    assert f"2 {B} 3.0 5.0 2.0 2.0 4.0 3.0 3.2" in lines
    assert f"3 {C} 3.0 2.0 3.0 2.0 4.0 3.0 2.8" in " ".join(lines)
    # The open action with its lead, due date and each partner's status.
    assert ACTION in text
    for said in (LEAD, "31 July 2026", f"Done (1): {A}", f"Behind (1): {B}",
                 f"no answer (1): {C}", "Partners disagree"):  # fmt: skip
        assert said in " ".join(lines), said


def test_totals_only_counts_and_names_no_partner(hand):
    _, written, _ = hand
    text = " ".join(_lines(written["partnership"]))
    assert "1 partner has not returned yet." in text
    assert "Done 1, Behind 1, no answer 1" in text
    assert "This report gives totals only: it names no partner." in text
    assert "Each partner's scores" not in text
    for name in (A, B, C, D):
        assert name not in text


def test_partners_text_prints_as_typed(hand):
    """Markup characters, Welsh, Polish, Greek, Cyrillic and curly quotes: none read as
    Typst markup, none replaced."""
    _, written, _ = hand
    text = " ".join(_lines(written["partner"]))
    for typed in (PARTNERSHIP_NAME, A, B, C, ACTION):
        assert typed in text, typed
    assert "\ufffd" not in text


def test_a4_pages_each_numbered_of_the_whole(hand):
    _, written, _ = hand
    for path in written.values():
        sizes = page_sizes(path)
        assert sizes == [A4] * len(sizes)
        footers = [re.findall(r"Page (\d+) of (\d+)", page) for page in page_texts(path)]
        assert footers == [[(str(n), str(len(sizes)))] for n in range(1, len(sizes) + 1)]
        assert "Made 5 March 2027, 10:15 UTC from 7 returns." in pdf_text(path)
        assert (
            "Scores run from 1 to 5. Strength: 4 or more; Developing: 3 or more; Concern: "
            "below 3." in " ".join(_lines(path))
        )


# --- a tagged PDF (PDF/UA-1) --------------------------------------------------------------


@pytest.mark.parametrize("audience", ["partner", "partnership"])
def test_the_report_passes_the_pdfua_checker(hand, audience):
    _, written, _ = hand
    report = pdfua_report(written[audience])
    assert [(f.rule_id, f.message) for f in report.findings] == []
    assert [o.rule_id for o in report.skipped] == [PDFUA_SKIPS_HEADINGS]


@pytest.mark.parametrize("audience", ["partner", "partnership"])
def test_title_language_headings_tables_and_the_charts_alternative_text(hand, audience):
    _, written, _ = hand
    path = written[audience]
    meta = metadata(path)
    title = f"Partnership health check: {PARTNERSHIP_NAME}, Autumn 2026"
    assert (meta.title, meta.xmp_title) == (title, title)
    assert (meta.lang, meta.marked, meta.display_title) == ("en-GB", True, True)
    assert meta.fonts == {"DejaVuSans", "DejaVuSans-Bold"}
    assert meta.images == 0  # text is text, never a picture of it
    tree = structure(path)
    roles = [e.role for e in tree]
    assert roles.count("/H1") == 1
    h2 = ["Headline", "Scores by principle", "Agreed actions"]
    if audience == "partner":
        h2.insert(2, "Each partner's scores")
    assert roles.count("/H2") == len(h2)
    # Headings mark their text (pdfua skips this rule: see tests/pdf.py).
    assert all(e.marks_content for e in tree if e.role in ("/H1", "/H2"))
    tables = [e for e in tree if e.role == "/Table"]
    assert len(tables) == (3 if audience == "partner" else 2)
    assert all(t.children == ("/THead", "/TBody") for t in tables)
    heads = [e for e in tree if e.role == "/THead"]
    assert all(e.children and set(e.children) == {"/TR"} for e in heads)
    # Header cells: the scores table's 6 (with the change), the partners' table's No.,
    # Partner, six principles and Overall, and the actions table's 4.
    assert roles.count("/TH") == (6 + 9 + 4 if audience == "partner" else 6 + 4)
    (figure,) = [e for e in tree if e.role == "/Figure"]
    assert figure.alt.startswith("Chart of the mean of the partners' scores for each of the 6")
    assert "Commitment 3.3" in figure.alt
    assert "against the bands Concern (below 3), Developing (3 to 4) and Strength" in figure.alt
    assert "The same numbers are in the table" in figure.alt
    assert "“Scores by principle”" in figure.alt


def test_reading_order_follows_the_page(hand):
    _, written, _ = hand
    text = " ".join(_lines(written["partner"]))
    order = [PARTNERSHIP_NAME, "Headline", "Overall 3.2", "Scores by principle",
             "Each partner's scores", "Agreed actions", ACTION]  # fmt: skip
    at = [text.index(s) for s in order]
    assert at == sorted(at)


# --- text the font cannot draw ------------------------------------------------------------


def test_a_character_the_font_cannot_draw_is_replaced_visibly_and_reported(tmp_path, template):
    sent = generate(tmp_path / "sent", partners=[f"Hands {EMOJI} Together", "B"])
    returns = tmp_path / "returns"
    returns.mkdir()
    for i, w in enumerate(sent.workbooks):
        fill(w.path, returns / f"{i}.xlsx", {q.id: 4 for _, q in template.questions})
    result = consolidate([returns])
    view = audience_view(result, Audience(PARTNER))
    findings = write_report(view, tmp_path / "r.pdf", MADE)
    (finding,) = findings
    assert finding.location.file == tmp_path / "r.pdf"
    assert "cannot draw U+1F91D HANDSHAKE in “Hands \ufffd Together”" in finding.message
    text = pdf_text(tmp_path / "r.pdf")
    assert "Hands \ufffd Together" in text
    assert EMOJI not in text


def test_every_character_called_drawable_compiles_under_pdfua(hand, tmp_path):
    """One action whose text holds every code point the report calls drawable: Typst,
    which refuses under PDF/UA any text it cannot draw, lays it out."""
    result, _, _ = hand
    view = audience_view(result, Audience(PARTNERSHIP))
    everything = "".join(chr(c) for c in sorted(drawable()))
    (p,) = view.partnerships
    autumn = p.rounds[-1]
    (progress,) = autumn.progress
    changed = dataclasses.replace(
        progress, action=dataclasses.replace(progress.action, text=everything)
    )
    rounds = (*p.rounds[:-1], dataclasses.replace(autumn, progress=(changed,)))
    view = dataclasses.replace(view, partnerships=(dataclasses.replace(p, rounds=rounds),))
    assert write_report(view, tmp_path / "all.pdf", MADE) == []
    assert len(drawable()) > 5000  # Latin, Greek, Cyrillic and more


def test_a_long_round_label_leaves_every_principle_its_width(hand, tmp_path):
    """The scores table's change heading names the round before, whose label may run to
    80 characters: the principles and their numbers still print whole, row by row."""
    result, _, _ = hand
    view = audience_view(result, Audience(PARTNERSHIP))
    (p,) = view.partnerships
    label = "Spring 2026 baseline review of the whole partnership, with every partner invited"
    assert len(label) == 80
    rounds = (*p.rounds[:-1], dataclasses.replace(p.rounds[-1], previous=label))
    view = dataclasses.replace(view, partnerships=(dataclasses.replace(p, rounds=rounds),))
    path = tmp_path / "long.pdf"
    assert write_report(view, path, MADE) == []
    lines = _lines(path)
    for row in SCORE_ROWS:
        assert any(line.startswith(row) for line in lines), (row, lines[:40])


# --- the command --------------------------------------------------------------------------


def test_consolidate_writes_the_report_and_refuses_other_names(hand, tmp_path):
    _, _, returns = hand
    pdf = tmp_path / "out" / "trustees.pdf"
    result = CliRunner().invoke(
        main, ["consolidate", str(returns), "-o", str(tmp_path / "s.xlsx"), "--pdf", str(pdf)]
    )
    assert result.exit_code == 0, result.output
    assert f"  {pdf}\n" in result.output
    assert "Overall 3.2, Developing" in pdf_text(pdf)
    refused = CliRunner().invoke(
        main, ["consolidate", str(returns), "-o", str(tmp_path / "s.xlsx"), "--pdf", "r.docx"]
    )
    assert refused.exit_code == 2
    assert "the report (--pdf) must be a .pdf file" in refused.output


def test_consolidate_prints_what_the_font_could_not_draw(tmp_path, template):
    sent = generate(tmp_path / "sent", partners=[f"Hands {EMOJI} Together", "B"])
    returns = tmp_path / "returns"
    returns.mkdir()
    for i, w in enumerate(sent.workbooks):
        fill(w.path, returns / f"{i}.xlsx", {q.id: 4 for _, q in template.questions})
    pdf = tmp_path / "r.pdf"
    result = CliRunner().invoke(
        main, ["consolidate", str(returns), "-o", str(tmp_path / "s.xlsx"), "--pdf", str(pdf)]
    )
    assert result.exit_code == 0, result.output
    (line,) = [x for x in result.output.splitlines() if "cannot draw" in x]
    assert line.startswith(f"Warning: {pdf}: the report's font cannot draw U+1F91D HANDSHAKE")


# --- the demo, and several partnerships ---------------------------------------------------


def _tenths(value: float) -> str:
    """One decimal, half away from zero, worked out apart from the report's own rounding
    (scores and spreads are never negative)."""
    return f"{int(value * 10 + 0.5 + 1e-9) / 10:.1f}"


def test_the_demo_writes_the_report_with_the_summarys_numbers(tmp_path):
    import json

    from couple_xl.demo import run_demo

    outcome = run_demo(tmp_path / "demo")
    pdf = tmp_path / "demo" / "couple-report.pdf"
    assert pdf in outcome.consolidation.written
    data = json.loads((tmp_path / "demo" / "exports" / "summary.json").read_text("utf-8"))
    (partnership,) = data["partnerships"]
    spring, autumn = partnership["rounds"]
    lines = _lines(pdf)
    names = {"commitment": "Commitment", "outcomes": "Outcomes",
             "understanding": "Understanding", "processes": "Processes",
             "leadership": "Leadership", "execution": "Execution"}  # fmt: skip
    for pid, name in names.items():
        mean, before = autumn["principles"][pid]["mean"], spring["principles"][pid]["mean"]
        # The change between the two scores as printed, so that the page subtracts.
        change = float(_tenths(mean)) - float(_tenths(before))
        sign = (
            "0.0"
            if round(change, 1) == 0
            else ("+" if change > 0 else "\u2212") + (f"{abs(change):.1f}")
        )
        row = f"{name} {_tenths(mean)} {autumn['principles'][pid]['band']} {sign} " \
            f"{_tenths(autumn['principles'][pid]['spread'])}"  # fmt: skip
        assert any(line.startswith(row) for line in lines), row
    for n, p in enumerate(autumn["partners"], 1):
        scores = " ".join(_tenths(p["principles"][pid]["score"]) for pid in names)
        assert f"{n} {p['partner']} {scores} {_tenths(p['overall'])}" in lines
    assert f"Overall {_tenths(autumn['overall'])}, {autumn['band']}" in lines
    assert "3 of 4 partners returned." in lines
    assert f"Not yet returned: {autumn['missing'][0]['partner']}." in lines
    assert pdfua_report(pdf).findings == ()


@pytest.fixture(scope="module")
def several(tmp_path_factory, template):
    """Three partnerships, made in an order that is neither their names' nor their
    scores': Zephyr scores highest, Acorn lowest, mid-named Mill in between."""
    tmp = tmp_path_factory.mktemp("several")
    returns = tmp / "returns"
    returns.mkdir()
    for name, value in (("Zephyr Youth Network", 5), ("Acorn Carers", 2), ("Mill Lane Food", 4)):
        sent = generate(tmp / name, ["One", "Two"], partnership_name=name, round_label="2026")
        for i, w in enumerate(sent.workbooks):
            fill(w.path, returns / f"{name}-{i}.xlsx", {q.id: value for _, q in template.questions})
        (manifest,) = (tmp / name).glob("*.manifest.json")
        (returns / manifest.name).write_bytes(manifest.read_bytes())
    result = consolidate([returns])
    path = tmp / "r.pdf"
    write_report(audience_view(result, Audience(PARTNERSHIP)), path, MADE)
    return path


def test_several_partnerships_are_listed_by_name_on_the_first_page(several):
    first, *pages = page_texts(several)
    assert first.startswith("The partnerships in this report")
    text = " ".join(first.split())
    # By name, never by score; each with its page, which is where its own page begins.
    rows = [
        "Acorn Carers 2026 1 October 2026 2 of 2 2.0 Concern No 2",
        "Mill Lane Food 2026 1 October 2026 2 of 2 4.0 Strength No 3",
        "Zephyr Youth Network 2026 1 October 2026 2 of 2 5.0 Strength No 4",
    ]
    assert "Provisional Page " + " ".join(rows) + " Made 5 March 2027" in text
    starts = [page.splitlines()[0] for page in pages]
    assert starts == ["Acorn Carers", "Mill Lane Food", "Zephyr Youth Network"]
    assert [e.role for e in structure(several)].count("/H1") == 4
    assert metadata(several).title == "Partnership health checks: 3 partnerships"


def test_partnerships_are_listed_as_people_sort_names():
    from couple_xl.report import _natural

    names = ["area 10", "Area 9", "Bexley", "area 2b", "Área 1"]
    assert sorted(names, key=_natural) == ["area 2b", "Area 9", "area 10", "Bexley", "Área 1"]


def test_markers_close_together_never_share_a_lane():
    from couple_xl.report import _lanes

    # 1 and 2 are 0.01 apart: 2 drops a lane; 3 is far enough from 1 to share its lane.
    lanes = _lanes([(1, 0.50), (2, 0.51), (3, 0.60), (4, 0.515)], gap=0.045)
    assert lanes == {1: 0, 2: 1, 4: 2, 3: 0}


def test_with_many_partners_each_is_a_dot_and_still_named_in_the_table(tmp_path, template):
    names = [f"Partner {n}" for n in range(1, 10)]
    sent = generate(tmp_path / "sent", partners=names)
    returns = tmp_path / "returns"
    returns.mkdir()
    for i, w in enumerate(sent.workbooks):
        fill(w.path, returns / f"{i}.xlsx", {q.id: 1 + i % 5 for _, q in template.questions})
    view = audience_view(consolidate([returns]), Audience(PARTNER))
    path = tmp_path / "r.pdf"
    assert write_report(view, path, MADE) == []
    text = " ".join(_lines(path))
    assert "a partner's score (each partner's are in “Each partner's scores”)" in text
    assert "numbered as in" not in text
    for i, name in enumerate(names):
        value = f"{1 + i % 5}.0"
        assert f"{i + 1} {name} " + " ".join([value] * 7) in text
    (figure,) = [e for e in structure(path) if e.role == "/Figure"]
    assert "with each partner's score marked, on the scale 1 to 5" in figure.alt
