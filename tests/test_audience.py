"""One audience view: what each audience may see is decided once (audience.py), and no
output says more. Every output is written from returns whose names, roles, emails and
comments are distinctive, then searched whole for them."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from collections.abc import Callable
from dataclasses import FrozenInstanceError, dataclass
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest

from couple_xl.audience import Audience, AudienceView, audience_view
from couple_xl.consolidate import consolidate
from couple_xl.errors import InputError
from couple_xl.exports import write_csv, write_json
from couple_xl.generate import RoundRequest, new_round
from couple_xl.inputs import PartnerEntry
from couple_xl.levels import PARTNER, PARTNERSHIP
from couple_xl.plan import PlanOptions, run_plan
from couple_xl.report import write_report
from couple_xl.summary import write_summary
from couple_xl.templates import resolve_template
from tests.helpers import fill, named_cell
from tests.pdf import pdf_text

PARTNERSHIP_NAME = "Riverside Food Partnership"
QUOKKA, NARWHAL, AXOLOTL = (
    "Zanzibar Quokka Trust",
    "Pemberley Narwhal Society",
    "Grimsby Axolotl Collective",
)
OTTOLINE, THADDEUS = "Ottoline Quimby", "Thaddeus Marchbanks"
WOMBAT, LEMURS = "Chief Wombat Officer", "Keeper of Lemurs"
SENDER = "thaddeus@tapir.example"
KETTLE = "Buy a shared kettle for the joint office"

# Each kind of distinctive text, and the words that find it (any case: a file name turns
# "Zanzibar Quokka Trust" into "zanzibar-quokka-trust").
KINDS = {
    "partner": ["Quokka", "Narwhal", "Axolotl"],
    "respondent": ["Ottoline", "Marchbanks"],
    "role": ["Wombat", "Lemurs"],
    "contact": ["capybara@example.org", "Bellweather"],  # a partner's, from the manifest
    "sender": ["tapir"],  # the address an email came from
    "comment": ["pangolin"],  # typed beside an answer
    "progress comment": ["heron"],  # typed beside an agreed action's status
    "file": ["marmoset"],  # a returned file's name
    "action": ["kettle"],  # a suggested action: every audience may see it
}
ALL = set(KINDS)
# What each audience may not see, in any output.
FORBIDDEN = {
    "partner level": set(),
    "anonymised": {"respondent", "role", "sender"},
    "partnership level": ALL - {"action"},
}
AUDIENCES = {
    "partner level": Audience(PARTNER),
    "anonymised": Audience(PARTNER, anonymise=True),
    "partnership level": Audience(PARTNERSHIP),
}


def xlsx_text(path: Path) -> str:
    """Every part of the workbook, decompressed: sheets, shared strings, charts, tables,
    document properties, whatever else is in the zip."""
    with zipfile.ZipFile(path) as z:
        return "\n".join(z.read(name).decode("utf-8") for name in z.namelist())


def plain_text(path: Path) -> str:
    return path.read_text(encoding="utf-8-sig")


@dataclass(frozen=True)
class Output:
    name: str
    write: Callable[[AudienceView, Path], list[Path]]
    text: Callable[[Path], str]


def _summary(view: AudienceView, out: Path) -> list[Path]:
    write_summary(view, out / "s.xlsx")
    return [out / "s.xlsx"]


def _report(view: AudienceView, out: Path) -> list[Path]:
    write_report(view, out / "r.pdf")
    return [out / "r.pdf"]


# Every output couple_xl writes from a consolidation; a new one is one more row.
OUTPUTS = [
    Output("summary", _summary, xlsx_text),
    Output("csv", lambda view, out: write_csv(view, out / "csv"), plain_text),
    Output("json", lambda view, out: [write_json(view, out / "s.json")], plain_text),
    Output("report", _report, pdf_text),  # the text a PDF reader extracts
]


def kinds_in(text: str) -> set[str]:
    folded = text.casefold()
    return {kind for kind, words in KINDS.items() if any(w.casefold() in folded for w in words)}


def email_with(workbook: Path, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "Sam Lee <sam@example.org>"
    message["Subject"] = "Our return"
    message["Date"] = "Tue, 15 Dec 2026 10:30:00 +0000"
    message.set_content("Here it is.")
    message.add_attachment(
        workbook.read_bytes(),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename="our return.xlsx",
    )
    return message


def _agree_first(plan: Path, target: Path) -> Path:
    """The meeting agrees the plan's first suggestion."""
    wb = openpyxl.load_workbook(plan)
    ws = wb["Plan"]
    header = next(r for r in ws.iter_rows() if r[0].value == "id")
    agreed = next(c.column for c in header if c.value == "agreed")
    ws.cell(header[0].row + 1, agreed).value = "Yes"
    wb.save(target)
    return target


def _answers(template, value, commitment=None) -> dict:
    return {
        q.id: (commitment if commitment is not None and p.id == "commitment" else value)
        for p, q in template.questions
    }


@pytest.fixture(scope="module")
def two_rounds(tmp_path_factory):
    """Two rounds of three partners. Round one: all return, one by email, with a suggested
    action; the meeting agrees it. Round two reviews it; the Axolotl partner has not
    returned. Scores, by hand: round one Quokka 4, Narwhal 2, Axolotl 3 everywhere (means
    3.0, spread 2: partners disagree on all six); round two Quokka 5 for Commitment and 4
    elsewhere, Narwhal 3 (means 4.0 and 3.5, spreads 2 and 1)."""
    tmp = tmp_path_factory.mktemp("audience")
    template = resolve_template("couple")
    partners = [
        PartnerEntry(QUOKKA, "office@zqt.example"),
        PartnerEntry(NARWHAL, "office@pns.example"),
        PartnerEntry(AXOLOTL, "capybara@example.org", "Ermintrude Bellweather"),
    ]

    def send(label: str, date: dt.date, out: Path, plan: Path | None = None):
        request = RoundRequest(PARTNERSHIP_NAME, partners, template, out, label, date, plan=plan)
        return {w.partner: w.path for w in new_round(request).workbooks}, out

    first, sent1 = send("Spring", dt.date(2026, 4, 1), tmp / "sent1")
    returns = tmp / "returns"
    returns.mkdir()
    suggested = {"processes": [[KETTLE, "Ann", "June"]]}
    fill(first[QUOKKA], returns / f"{OTTOLINE} reply.xlsx", _answers(template, 4),
         respondent=(OTTOLINE, WOMBAT), actions=suggested)  # fmt: skip
    by_email = fill(first[NARWHAL], tmp / "narwhal.xlsx", _answers(template, 2),
                    respondent=(THADDEUS, LEMURS))  # fmt: skip
    (returns / "reply.eml").write_bytes(bytes(email_with(by_email, f"{THADDEUS} <{SENDER}>")))
    fill(first[AXOLOTL], returns / "marmoset-reply.xlsx", _answers(template, 3))
    plan = tmp / "plan.xlsx"
    run_plan(PlanOptions([returns], plan))
    agreed = _agree_first(plan, tmp / "agreed.xlsx")

    second, sent2 = send("Autumn", dt.date(2026, 10, 1), tmp / "sent2", agreed)
    for partner, path, answers, status in [
        (QUOKKA, returns / "quokka-autumn.xlsx", _answers(template, 4, 5), "Done"),
        (NARWHAL, returns / "narwhal-autumn.xlsx", _answers(template, 3), "Behind"),
    ]:
        who = (OTTOLINE, WOMBAT) if partner == QUOKKA else (THADDEUS, LEMURS)
        comments = {"commitment_choice": "A pangolin could do better"} if partner == QUOKKA else {}
        fill(second[partner], path, answers, comments, respondent=who,
             actions={"processes": [[KETTLE, "Ann", "June"]]})  # fmt: skip
        wb = openpyxl.load_workbook(path)
        (status_name,) = [n for n in wb.defined_names if n.startswith("ACTION_STATUS_")]
        named_cell(wb, status_name).value = status
        note = "ACTION_NOTE_" + status_name.removeprefix("ACTION_STATUS_")
        named_cell(wb, note).value = "The heron minutes say so"
        wb.save(path)
    manifests = [*sent1.glob("*.manifest.json"), *sent2.glob("*.manifest.json")]
    result = consolidate([returns], manifests)
    assert not result.rejected, [str(f) for log in result.rejected for f in log.findings]
    return result


@pytest.fixture(scope="module")
def written(two_rounds, tmp_path_factory) -> dict[str, dict[str, str]]:
    """Each audience's outputs, written from its view, as text: audience -> output -> text."""
    texts: dict[str, dict[str, str]] = {}
    for name, audience in AUDIENCES.items():
        view = audience_view(two_rounds, audience)
        out = tmp_path_factory.mktemp(name.replace(" ", "-"))
        texts[name] = {}
        for output in OUTPUTS:
            paths = output.write(view, out)
            assert paths, (name, output.name)
            texts[name][output.name] = "\n".join(output.text(p) for p in paths)
    return texts


@pytest.mark.parametrize("audience", list(AUDIENCES))
@pytest.mark.parametrize("output", [o.name for o in OUTPUTS])
def test_no_output_shows_what_its_audience_may_not_see(written, audience, output):
    found = kinds_in(written[audience][output])
    assert not found & FORBIDDEN[audience], sorted(found & FORBIDDEN[audience])
    # Not vacuous: the same search finds every partner in every output that may name them.
    if "partner" not in FORBIDDEN[audience]:
        assert "partner" in found


@pytest.mark.parametrize("audience", list(AUDIENCES))
def test_what_an_audience_may_see_is_there(written, audience):
    """Each kind of text an audience may see is found in some output, so that the search
    above is known to see it where it is."""
    found = set().union(*(kinds_in(text) for text in written[audience].values()))
    assert found == ALL - FORBIDDEN[audience]


def test_a_totals_only_summary_has_no_data_or_returns_log(two_rounds, tmp_path):
    view = audience_view(two_rounds, Audience(PARTNERSHIP))
    write_summary(view, tmp_path / "s.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "s.xlsx")
    assert "Data" not in wb.sheetnames
    assert "Returns log" not in wb.sheetnames
    written = write_csv(view, tmp_path / "csv")
    assert [path.name for path in written] == ["scores.csv", "actions_progress.csv"]
    # Who has not returned is not for this audience; how many is, in plain English.
    overview = [c.value for row in wb["Overview"].iter_rows() for c in row if c.value]
    assert "1 expected return has not arrived yet." in overview


# --- the view itself ------------------------------------------------------------------


def test_totals_only_view_holds_no_partner_no_respondent_no_file(two_rounds):
    view = audience_view(two_rounds, Audience(PARTNERSHIP))
    assert not view.per_partner
    assert view.files == ()
    assert view.findings == ()
    (p,) = view.partnerships
    spring, autumn = p.rounds
    for r in (spring, autumn):
        assert (r.partners, r.missing, r.unexpected) == ((), (), ())
        assert all(a.partner is None and a.respondent is None for a in r.actions)
        assert all(progress.views == () for progress in r.progress)
    assert all(line.partner == "" for line in p.trend)
    # The totals are all there: returned of expected, how many have not returned, the
    # action suggested in each round, and the agreed action's counts (Done, Behind).
    assert (spring.returned, spring.expected, spring.not_returned) == (3, 3, 0)
    assert (autumn.returned, autumn.expected, autumn.not_returned) == (2, 3, 1)
    assert [a.action for a in spring.actions] == [KETTLE]
    assert [a.action for a in autumn.actions] == [KETTLE, KETTLE]
    (progress,) = autumn.progress
    assert progress.action.text == KETTLE
    assert {s: n for s, n in progress.counts if n} == {"Done": 1, "Behind": 1}
    assert (progress.closed, progress.disagree) == (False, True)
    assert (autumn.actions_closed, autumn.actions_disagreed) == (0, 1)


def test_partner_view_holds_partners_respondents_and_who_has_not_returned(two_rounds):
    view = audience_view(two_rounds, Audience(PARTNER))
    assert view.per_partner
    (p,) = view.partnerships
    spring, autumn = p.rounds
    assert [pr.name for pr in spring.partners] == [QUOKKA, NARWHAL, AXOLOTL]
    assert [(m.partner, m.email, m.contact) for m in autumn.missing] == [
        (AXOLOTL, "capybara@example.org", "Ermintrude Bellweather")
    ]
    quokka = autumn.partners[0]
    (ottoline,) = quokka.respondents
    assert (ottoline.label, ottoline.name, ottoline.role) == (OTTOLINE, OTTOLINE, WOMBAT)
    assert ottoline.answer("commitment_choice").comment == "A pangolin could do better"
    assert ottoline.answer("commitment_choice").answer == 5
    (progress,) = autumn.progress
    assert [(v.partner, v.status, v.comment) for v in progress.views] == [
        (QUOKKA, "Done", "The heron minutes say so"),
        (NARWHAL, "Behind", "The heron minutes say so"),
    ]
    assert {(a.partner, a.respondent) for a in autumn.actions} == {
        (QUOKKA, OTTOLINE),
        (NARWHAL, THADDEUS),
    }
    assert len(view.files) == len(two_rounds.files)


def test_anonymised_view_numbers_respondents_and_keeps_partners(two_rounds):
    view = audience_view(two_rounds, Audience(PARTNER, anonymise=True))
    spring = view.partnerships[0].rounds[0]
    labels = [(pr.name, [(w.label, w.name, w.role) for w in pr.respondents])
              for pr in spring.partners]  # fmt: skip
    assert labels == [
        (QUOKKA, [("Respondent 1", "", "")]),
        (NARWHAL, [("Respondent 1", "", "")]),
        (AXOLOTL, [("Respondent 1", "", "")]),
    ]
    # The file saved under a respondent's name, and the email's sender, are left out of
    # the returns log: the name and the address are replaced, the rest kept.
    paths = {f.path for f in view.files}
    assert any(path.endswith("(respondent) reply.xlsx") for path in paths)
    (email,) = [f for f in view.files if "reply.eml ›" in f.path]
    said = " ".join(finding.message for finding in email.findings)
    assert "sent by (respondent) <(email address)>" in said
    assert all(f.about is None or f.about.respondent == "" for f in view.files)


def test_the_round_totals_a_report_needs_by_hand(two_rounds):
    """Strongest, weakest, disagreements and the change since the round before, from the
    scores worked out by hand in the fixture's docstring."""
    (p,) = audience_view(two_rounds, Audience(PARTNERSHIP)).partnerships
    spring, autumn = p.rounds
    assert p.latest is autumn
    assert (spring.previous, autumn.previous) == (None, "Spring")
    assert spring.disagreements == 6
    assert autumn.disagreements == 1
    assert [(s.id, s.mean) for s in autumn.principles][:2] == [("commitment", 4.0),
                                                               ("outcomes", 3.5)]  # fmt: skip
    assert (autumn.strongest, autumn.weakest) == ("commitment", "outcomes")
    assert autumn.principle("commitment").change == pytest.approx(1.0)
    assert autumn.principle("execution").change == pytest.approx(0.5)
    assert spring.overall_change is None
    assert not spring.provisional  # every statement answered by every partner
    # Overall (4.0 + 5 × 3.5) / 6 = 3.583, shown 3.6; spring 3.0: the change as shown, 0.6.
    assert autumn.overall_change == pytest.approx(0.6)
    (commitment,) = [q for q in autumn.questions if q.id == "commitment_choice"]
    assert (commitment.mean, commitment.spread, commitment.partners) == (4.0, 2.0, 2)
    assert commitment.disagree


def test_the_view_is_immutable_and_leaves_the_consolidation_alone(two_rounds):
    before = [(r.round, list(r.partners)) for p in two_rounds.partnerships for r in p.rounds]
    view = audience_view(two_rounds, Audience(PARTNERSHIP, anonymise=True))
    with pytest.raises(FrozenInstanceError):
        view.partnerships[0].rounds[0].overall = 5.0  # type: ignore[misc]
    assert isinstance(view.partnerships, tuple)
    after = [(r.round, list(r.partners)) for p in two_rounds.partnerships for r in p.rounds]
    assert after == before
    assert two_rounds.partnerships[0].rounds[0].partners[QUOKKA].respondents[0].respondent_name


def test_an_unknown_level_is_refused():
    with pytest.raises(InputError, match="level must be one of partner, partnership"):
        Audience("trustees")


def test_the_json_lists_each_rounds_actions_saying_who_only_at_partner_level(written):
    spring = json.loads(written["partnership level"]["json"])["partnerships"][0]["rounds"][0]
    assert spring["actions"] == [
        {"principle": "processes", "action": KETTLE, "owner": "Ann", "by_when": "June"}
    ]
    named = json.loads(written["partner level"]["json"])["partnerships"][0]["rounds"][0]
    assert named["actions"][0]["partner"] == QUOKKA
    assert named["actions"][0]["respondent"] == OTTOLINE


def test_names_in_file_names_and_messages_are_replaced_as_whole_names():
    from types import SimpleNamespace

    from couple_xl.audience import _redactor

    def read(name: str) -> SimpleNamespace:
        return SimpleNamespace(record=SimpleNamespace(respondent_name=name))

    redact = _redactor(SimpleNamespace(files=[read("Ottoline  Quimby"), read("Will"), read("")]))
    assert redact("returns/ottoline-quimby.xlsx") == "returns/(respondent).xlsx"
    assert redact("sent by OTTOLINE QUIMBY <o.q@quimby.example>") == (
        "sent by (respondent) <(email address)>"
    )
    # A one-word name only as typed; parts of longer words never.
    assert redact("the later one will count; Will's copy") == (
        "the later one will count; (respondent)'s copy"
    )
    assert redact("Ottolinea Quimbys and Willow") == "Ottolinea Quimbys and Willow"


def test_a_round_is_provisional_where_a_partner_answered_too_little(tmp_path, template):
    """A answers everything, B only Commitment's four statements: Commitment is complete
    for both; every other principle is provisional, through B; so is the round."""
    from tests.helpers import generate

    sent = generate(tmp_path / "sent", partners=["A", "B"])
    returns = tmp_path / "returns"
    returns.mkdir()
    a, b = sent.workbooks
    fill(a.path, returns / "a.xlsx", {q.id: 4 for _, q in template.questions})
    fill(b.path, returns / "b.xlsx", {q.id: 4 for p, q in template.questions
                                      if p.id == "commitment"})  # fmt: skip
    (r,) = audience_view(consolidate([returns]), Audience(PARTNERSHIP)).partnerships[0].rounds
    assert {p.id: p.provisional for p in r.principles} == {
        "commitment": False, "outcomes": True, "understanding": True, "processes": True,
        "leadership": True, "execution": True,
    }  # fmt: skip
    assert r.provisional
