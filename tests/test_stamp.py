"""`new` builds one workbook for the round and stamps each partner into it
(workbook.RoundWorkbook, stamp.py). What a partner receives must equal, part by part as
canonical XML, the workbook built for that partner alone (write_workbook), given the same
random values (return id, Lite extension id): for awkward names, with and without an
Agreed actions sheet, in every scoring mode, with email drafts, and with either of
openpyxl's XML writers. And stamping refuses, rather than guesses, when a workbook shows
a value in a form it was not told about."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import os
import re
import subprocess
import sys
import zipfile
from email import policy
from pathlib import Path
from xml.etree.ElementTree import canonicalize

import openpyxl
import pytest

from couple_xl import __version__, excel, workbook
from couple_xl.addin import WEBEXTENSION_PART
from couple_xl.generate import RoundRequest, new_round
from couple_xl.inputs import PartnerEntry
from couple_xl.metadata import MAX_NAME, WorkbookMetadata, read_manifest
from couple_xl.plan import PLAN_COLUMNS, PlanOptions, read_plan, run_plan
from couple_xl.returns import read_return
from couple_xl.stamp import CannotStamp, Placeholder, Stencil
from couple_xl.templates import Template
from couple_xl.workbook import (
    HEADER_SIDE,
    RoundWorkbook,
    escape_header,
    excel_empty_cells,
    header_text,
    property_text,
    write_workbook,
)
from tests.helpers import EMOJI, ROUND_DATE, fill, generate
from tests.ooxml import audit

PARTNERSHIP = 'Riverside & <Food> "Partnership"'
# 118 units, then "&": escaped, the header's cut falls between the two "&" of "&&".
_CUT_AT_AMPERSAND = (
    "Northfield Community Food Bank and Pantry Service for the Older People of the "
    "Riverside Hillside and Brookside Estate & Friends"
)
AWKWARD = [
    'O\'Brien & Sons <"Trading"> Ltd',  # all five XML specials
    f"Hands Together {EMOJI} Café Zoë",  # outside the BMP, and accents
    "<b>Bold</b> &amp; &lt;Co&gt;",  # escaped XML, which must stay as typed
    "Smith && Jones & Co",  # each "&" doubled in page headers
    "1st Step 2024 Trust",  # leading digits, after a header's font-size code
    '=HYPERLINK("x")',  # looks like a formula
    ("Riverside and Hillside Food Network " * 6)[:MAX_NAME],  # as long as a name may be
    _CUT_AT_AMPERSAND,
    EMOJI * 127 + " end of a name",  # its custom property is cut right after a space
    "Partner 01",
]
MODES = {"addin": ("addin", False), "native": ("native", False), "lite": ("addin", True)}


def test_the_awkward_names_are_awkward():
    """Each long name exercises the shortening it is there for."""
    long_name, cut_at_amp, emoji_name = AWKWARD[6], AWKWARD[7], AWKWARD[8]
    assert len(long_name) == MAX_NAME
    assert header_text(long_name).endswith(excel.ELLIPSIS)
    assert escape_header(cut_at_amp)[HEADER_SIDE - 2 : HEADER_SIDE] == "&&"
    assert header_text(cut_at_amp) != excel.fit(escape_header(cut_at_amp), HEADER_SIDE)
    assert property_text(emoji_name).endswith(" ")
    assert property_text(emoji_name) != emoji_name


def canonical_parts(path: Path) -> list[tuple[str, str]]:
    """Every part of a workbook, in order, as canonical XML (every part is XML)."""
    with zipfile.ZipFile(path) as z:
        return [(i.filename, canonicalize(z.read(i).decode("utf-8"))) for i in z.infolist()]


def extension_id(path: Path) -> str | None:
    """The xlwings Lite web extension id a workbook carries, without its braces."""
    with zipfile.ZipFile(path) as z:
        if WEBEXTENSION_PART not in z.namelist():
            return None
        xml = z.read(WEBEXTENSION_PART).decode("utf-8")
    return re.search(r'<we:webextension [^>]*\bid="\{([^}]+)\}"', xml).group(1)


def built_alone(template: Template, request: RoundRequest, stamped: Path, folder: Path) -> list:
    """The workbook of each partner of the round `new` wrote, built alone with the
    round's metadata (from its manifest) and each workbook's own random values, and the
    pairs (stamped, alone) that differ in any part, as canonical XML."""
    manifest = read_manifest(stamped)
    agreed = read_plan(request.plan, manifest.partnership_id).actions if request.plan else ()
    differ = []
    for entry in manifest.partners:
        meta = WorkbookMetadata(
            template_id=template.id,
            template_version=template.version,
            template_sha256=template.fingerprint,
            partnership_id=manifest.partnership_id,
            partnership_name=manifest.partnership_name,
            partner=entry.partner,
            round=manifest.round,
            round_date=manifest.round_date,
            due_date=manifest.due_date,
            contact=manifest.contact,
            return_id=entry.return_id,
            created=manifest.created,
            generator=f"couple_xl {__version__}",
            round_id=manifest.round_id,
        )
        sent = stamped.parent / entry.file
        alone = write_workbook(
            template, meta, folder / entry.file, request.scoring_mode, request.embed_lite,
            agreed, extension_id=extension_id(sent),
        )  # fmt: skip
        if canonical_parts(sent) != canonical_parts(alone):
            differ.append((sent.name, alone.name))
    return differ


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory, template) -> Path:
    """An action plan for PARTNERSHIP with two agreed actions of awkward wording."""
    folder = tmp_path_factory.mktemp("plan")
    sent = generate(folder / "sent", partners=["A", "B"], partnership_name=PARTNERSHIP)
    answers = {q.id: "Agree" for _, q in template.questions}
    suggested = {"processes": [['Agree a <referral> & "form"', "O'Brien", "June"]],
                 "execution": [[f"Review it {EMOJI}", "", ""]]}  # fmt: skip
    (folder / "returns").mkdir()
    for w in sent.workbooks:
        fill(w.path, folder / "returns" / f"{w.partner}.xlsx", answers, actions=suggested)
    plan = folder / "plan.xlsx"
    run_plan(PlanOptions([folder / "returns"], plan))
    wb = openpyxl.load_workbook(plan)
    ws = wb["Plan"]
    header = next(r for r in ws.iter_rows() if r[0].value == "id")
    column = {name: header[PLAN_COLUMNS.index(name)].column - 1 for name in PLAN_COLUMNS}
    for row in ws.iter_rows(min_row=header[0].row + 1):
        if row[column["suggested action"]].value:
            row[column["agreed"]].value = "Yes"
            row[column["agreed action"]].value = row[column["suggested action"]].value
            row[column["lead"]].value = "O'Brien & Sons"
    wb.save(plan)
    assert len(read_plan(plan).actions) == 2
    return plan


def _request(folder: Path, template: Template, mode: str, plan: Path | None) -> RoundRequest:
    scoring_mode, embed_lite = MODES[mode]
    return RoundRequest(
        partnership_name=PARTNERSHIP,
        partners=[
            PartnerEntry(name, f"p{n}@example.org" if n % 2 else "", "Ann O'Neil")
            for n, name in enumerate(AWKWARD)
        ],
        template=template,
        out_dir=folder,
        round_label="Autumn & Winter <2026>",
        round_date=ROUND_DATE,
        contact="Sam Lee <sam@example.org>",
        scoring_mode=scoring_mode,
        embed_lite=embed_lite,
        email=True,
        plan=plan,
    )


@pytest.mark.parametrize("with_plan", [False, True], ids=["no-plan", "plan"])
@pytest.mark.parametrize("mode", list(MODES))
def test_each_stamped_workbook_equals_the_one_built_alone(
    tmp_path, template, plan_file, mode, with_plan
):
    request = _request(tmp_path / "sent", template, mode, plan_file if with_plan else None)
    result = new_round(request)
    assert [w.partner for w in result.workbooks] == AWKWARD
    assert built_alone(template, request, result.manifest, tmp_path) == []
    for w in result.workbooks:
        with zipfile.ZipFile(w.path) as z:
            names = z.namelist()
            sheets = [z.read(n) for n in names if n.startswith("xl/worksheets/sheet")]
        # Empty cells are written as Excel writes them, with no type, in stamped ones too.
        assert sheets
        assert all(excel_empty_cells(xml) == xml for xml in sheets)
        assert (WEBEXTENSION_PART in names) == (mode == "lite")
    # The drafts attach each partner's own workbook, byte for byte.
    assert result.drafts is not None
    assert len(result.drafts.written) == len(AWKWARD) // 2
    for draft in result.drafts.written:
        message = email.message_from_bytes(draft.read_bytes(), policy=policy.default)
        (attachment,) = message.iter_attachments()
        sent = request.out_dir / attachment.get_filename()
        assert attachment.get_content() == sent.read_bytes()


def test_either_xml_writer_of_openpyxl_stamps_alike(tmp_path):
    """Without lxml, openpyxl writes XML with the standard library, spelling characters
    its own way: stamped workbooks still equal those built alone (in a fresh
    interpreter, as openpyxl chooses its writer when imported)."""
    script = (
        "import sys; from pathlib import Path; import openpyxl.xml\n"
        "assert not openpyxl.xml.LXML\n"
        "from couple_xl.generate import new_round\n"
        "from couple_xl.templates import resolve_template\n"
        "from tests.test_stamp import _request, built_alone\n"
        "t = resolve_template('couple'); folder = Path(sys.argv[1])\n"
        "for mode in ('native', 'lite'):\n"
        "    request = _request(folder / mode, t, mode, None)\n"
        "    differ = built_alone(t, request, new_round(request).manifest, folder)\n"
        "    assert differ == [], differ\n"
    )
    env = {**os.environ, "OPENPYXL_LXML": "False"}
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]


def _round_meta(template: Template, partner: str = "A", return_id: str = "a" * 32):
    return WorkbookMetadata(
        template_id=template.id, template_version=template.version,
        template_sha256=template.fingerprint, partnership_id="p", partnership_name="P",
        partner=partner, round="R", round_date=ROUND_DATE, return_id=return_id,
        created=dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc), generator="tests",
        round_id="b" * 32,
    )  # fmt: skip


def test_a_partner_shown_in_a_form_stamping_was_not_given_is_refused(monkeypatch, template):
    """Without the page header's form, the headers' shortened, escaped placeholder is
    left behind: the round's workbook refuses to be stamped rather than guess."""
    monkeypatch.setattr(workbook, "TEXT_FORMS", (workbook.as_it_is, workbook.property_text))
    with pytest.raises(RuntimeError, match="in a form stamping was not given"):
        RoundWorkbook(template, _round_meta(template))


def test_only_the_stamped_fields_may_differ(tmp_path, template):
    book = RoundWorkbook(template, _round_meta(template))
    book.write(_round_meta(template, "B", "c" * 32), tmp_path / "b.xlsx")
    other_round = dataclasses.replace(_round_meta(template), round="Another round")
    with pytest.raises(ValueError, match="differ only in partner, return_id"):
        book.write(other_round, tmp_path / "c.xlsx")
    assert not (tmp_path / "c.xlsx").exists()


def _shown(text: str) -> bytes:
    return f"<a>{text}</a>".encode()


def test_placeholders_are_found_however_a_writer_spells_them():
    mark = Placeholder("0123456789abcdef" * 2, "&<…>")
    cuts = (workbook.as_it_is, lambda text: text if len(text) <= 33 else text[:33] + "…")
    parts = {
        "entities": b"<a>" + mark.token.encode() + b"&amp;&lt;\xe2\x80\xa6&gt;</a>",
        "references": b'<a b="' + mark.token.encode() + b'&#38;&#x3C;&#X2026;&#62;"/>',
        "cut": b"<a>" + mark.token.encode() + b"&amp;\xe2\x80\xa6</a>",
    }
    stamped = Stencil.cut(parts, {"who": mark}, cuts).stamp({"who": 'O\'Brien & "Sons"'})
    assert canonicalize(stamped["entities"].decode()) == canonicalize(
        '<a>O\'Brien &amp; "Sons"</a>'
    )
    assert canonicalize(stamped["references"].decode()) == canonicalize(
        '<a b="O\'Brien &amp; &quot;Sons&quot;"/>'
    )
    assert stamped["cut"].decode() == "<a>O&apos;Brien &amp; &quot;Sons&quot;</a>"


def test_forms_a_placeholder_cannot_tell_apart_must_agree_on_the_value():
    """A placeholder with no filler looks the same in upper case: fine for a value that
    does too, refused for one that does not."""
    mark = Placeholder("0123456789" * 3 + "42")
    stencil = Stencil.cut({"p": _shown(mark.text)}, {"id": mark}, (str, str.upper))
    assert stencil.stamp({"id": "1234"}) == {"p": _shown("1234")}
    with pytest.raises(CannotStamp, match="differ"):
        stencil.stamp({"id": "abc"})


def test_stamped_workbooks_read_back_as_whose_they_are(tmp_path):
    result = generate(tmp_path, partners=AWKWARD[:4], partnership_name=PARTNERSHIP)
    for w in result.workbooks:
        record = read_return(w.path)
        assert record.meta.partner == w.partner
        assert record.meta.return_id == w.return_id
        assert record.meta.partnership_name == PARTNERSHIP


def test_a_round_is_built_once_and_only_an_unstampable_name_alone(monkeypatch, tmp_path):
    """One build for the round; a name whose custom property is cut just after a space
    (which openpyxl marks xml:space="preserve") is built alone, the rest stamped."""
    built = []
    build = workbook.build_workbook

    def counting(template, meta, *args):
        built.append(meta.partner)
        return build(template, meta, *args)

    monkeypatch.setattr(workbook, "build_workbook", counting)
    generate(tmp_path, partners=AWKWARD, scoring_mode="native")
    spaced = [name for name in AWKWARD if property_text(name) != property_text(name).strip()]
    assert spaced == [AWKWARD[8]]
    assert len(built) == 1 + len(spaced)
    assert built[1:] == spaced


def test_stamped_workbooks_pass_the_offline_excel_check(tmp_path, template, plan_file):
    """Awkward names stamped into a round with an Agreed actions sheet and the Lite
    code, checked against the Open XML SDK's rules."""
    names = [AWKWARD[0], AWKWARD[1], AWKWARD[7]]
    result = generate(tmp_path, partners=names, partnership_name=PARTNERSHIP,
                      embed_lite=True, plan=plan_file)  # fmt: skip
    for written in result.workbooks:
        assert audit(written.path) == []
