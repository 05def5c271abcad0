"""A corpus of hostile and broken inputs, built at test time (never committed as binaries).

Each case is a file (or folder) dropped among good returns, with the verdict it must
get and a fragment of what it must say. The good returns are filled with known
answers, so that a run can count what was lost. Used by tests/test_hostile.py and by
bench/hostile.py.

The files are made independently of couple_xl's reader: zip parts are edited with
zipfile and plain byte replacement, never through couple_xl.
"""

from __future__ import annotations

import gzip
import io
import os
import random
import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from couple_xl import messages as say
from couple_xl.generate import RoundRequest, new_round
from couple_xl.inputs import PartnerEntry
from couple_xl.templates import resolve_template
from couple_xl.workbook import named as named_cell

PARTNERSHIP = "Riverside Food Partnership"
GOOD = ["Good Alpha", "Good Beta", "Good Gamma", "Good Delta"]
# Good Delta's return carries 25 MB of pasted screenshots, as evidence: it must be read.
SCREENSHOTS = 25 * 1024 * 1024
SECRET = "couple-xl-secret-7f3a"  # the content of a local file an XXE tries to read
INJECTIONS = [
    '=HYPERLINK("http://example.invalid","x")',
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "+1+1",
    "-2+3",
]


@dataclass
class Case:
    """One hostile input: how to build it, and the verdict and words it must get."""

    name: str
    build: Callable[[Corpus, Path], Path | None]
    verdict: str
    says: str = ""
    options: dict = field(default_factory=dict)


# --- editing zip parts by hand -------------------------------------------------------


def rezip(
    src: Path,
    dst: Path,
    edit: dict[str, Callable[[bytes], bytes]] | None = None,
    extra: dict[str, bytes] | None = None,
) -> Path:
    """Copy a workbook's zip, editing some parts' bytes and adding others."""
    edit, extra = edit or {}, extra or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename in edit:
                data = edit[info.filename](data)
            zout.writestr(info.filename, data)
        for name, data in extra.items():
            zout.writestr(name, data)
    return dst


def sheet_part(path: Path, sheet: str) -> str:
    """The zip part of a sheet, found from workbook.xml and its relationships."""
    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet[^>]*name="{re.escape(sheet)}"[^>]*r:id="(rId\d+)"', workbook)
    assert rid, sheet
    target = re.search(rf'Id="{rid.group(1)}"[^>]*Target="([^"]+)"', rels) or re.search(
        rf'Target="([^"]+)"[^>]*Id="{rid.group(1)}"', rels
    )
    name = target.group(1)
    return name.lstrip("/") if name.startswith("/") else f"xl/{name}"


def set_cell(xml: bytes, ref: str, cell: bytes) -> bytes:
    """Replace the element of cell ``ref`` in a sheet's XML."""
    pattern = re.compile(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', re.S)
    assert pattern.search(xml), ref
    return pattern.sub(lambda _: cell, xml, count=1)


def add_rows(xml: bytes, rows: bytes) -> bytes:
    return xml.replace(b"</sheetData>", rows + b"</sheetData>", 1)


def with_doctype(xml: bytes, doctype: bytes, use: bytes, at: bytes) -> bytes:
    """Put a DOCTYPE after the XML declaration and an entity reference just inside the
    element whose start tag begins ``at`` (a start tag such as b"<dc:title>", matched
    with or without attributes)."""
    decl_end = xml.index(b"?>") + 2 if xml.startswith(b"<?xml") else 0
    xml = xml[:decl_end] + doctype + xml[decl_end:]
    tag = re.compile(re.escape(at[:-1]) + rb"(?:\s[^>]*)?>")
    m = tag.search(xml)
    assert m, at
    return xml[: m.end()] + use + xml[m.end() :]


# --- Strict Open XML (Excel's "Strict Open XML Spreadsheet" in its Save As list) ------

# Each Transitional namespace and its Strict form, as ECMA-376 Part 1 (Strict) and the
# Open XML SDK's own table pair them. The package's namespaces (content types,
# relationships, core properties) and markup compatibility are the same in both.
STRICT_NAMESPACES = {
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main":
        "http://purl.oclc.org/ooxml/spreadsheetml/main",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships":
        "http://purl.oclc.org/ooxml/officeDocument/relationships",
    "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties":
        "http://purl.oclc.org/ooxml/officeDocument/customProperties",
    "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties":
        "http://purl.oclc.org/ooxml/officeDocument/extendedProperties",
    "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes":
        "http://purl.oclc.org/ooxml/officeDocument/docPropsVTypes",
    "http://schemas.openxmlformats.org/drawingml/2006/main":
        "http://purl.oclc.org/ooxml/drawingml/main",
    "http://schemas.openxmlformats.org/drawingml/2006/chart":
        "http://purl.oclc.org/ooxml/drawingml/chart",
    "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing":
        "http://purl.oclc.org/ooxml/drawingml/spreadsheetDrawing",
}  # fmt: skip
# Relationship types: .../officeDocument/2006/relationships/X becomes
# http://purl.oclc.org/ooxml/officeDocument/relationships/X, with two names changed.
_TRANSITIONAL_TYPE = re.compile(
    rb'Type="http://schemas\.openxmlformats\.org/officeDocument/2006/relationships/([\w-]+)"'
)
_STRICT_TYPE_NAMES = {b"custom-properties": b"customProperties",
                      b"extended-properties": b"extendedProperties"}  # fmt: skip
# What a Strict package still says in Transitional terms: the package's own namespaces.
STRICT_KEEPS = ("http://schemas.openxmlformats.org/package/2006/",
                "http://schemas.openxmlformats.org/markup-compatibility/2006")  # fmt: skip


def strict_xml(xml: bytes) -> bytes:
    """One XML part in its Strict form."""
    xml = _TRANSITIONAL_TYPE.sub(
        lambda m: (
            b'Type="http://purl.oclc.org/ooxml/officeDocument/relationships/'
            + _STRICT_TYPE_NAMES.get(m.group(1), m.group(1))
            + b'"'
        ),
        xml,
    )
    for transitional, strict in STRICT_NAMESPACES.items():
        xml = xml.replace(transitional.encode(), strict.encode())
    return xml


def to_strict(src: Path, dst: Path) -> Path:
    """A workbook saved again as Strict Open XML: every namespace and relationship type
    rewritten, and the workbook marked conformance="strict"."""

    def workbook(xml: bytes) -> bytes:
        xml = strict_xml(xml)
        return re.sub(rb"<((?:\w+:)?workbook)\b", rb'<\1 conformance="strict"', xml, count=1)

    with zipfile.ZipFile(src) as z:
        names = [n for n in z.namelist() if n.endswith((".xml", ".rels"))]
    edits = {n: strict_xml for n in names}
    edits["xl/workbook.xml"] = workbook
    return rezip(src, dst, edits)


LAUGHS = (
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>"
)


# --- the corpus ------------------------------------------------------------------


class Corpus:
    """Good returns and hostile files in ``folder`` / "returns"."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.returns = folder / "returns"
        self.returns.mkdir(parents=True)
        self.template = resolve_template("couple")
        self.secret = folder / "secret.txt"
        self.secret.write_text(SECRET, encoding="utf-8")
        self.typed: dict[str, dict] = {}  # file name -> answers typed into a good return
        names = GOOD + [f"Case {i:02d}" for i in range(len(CASES))]
        self.round = new_round(
            RoundRequest(
                partnership_name=PARTNERSHIP,
                partners=[PartnerEntry(n) for n in names],
                template=self.template,
                out_dir=folder / "sent",
                round_label="Hostile round",
            )
        )
        self._bases = {w.partner: w.path for w in self.round.workbooks}
        self._next = 0
        rng = random.Random(11)
        for partner in GOOD:
            answers = {q.id: rng.choice([1, 2, 3, 4, 5, "N/A"]) for _, q in self.template.questions}
            comments = {self.template.questions[0][1].id: f"Evidence from {partner}"}
            name = f"{partner.lower().replace(' ', '-')}.xlsx"
            self.fill(self._bases[partner], self.returns / name, answers, comments)
            self.typed[name] = answers
        self._add_screenshots(self.returns / "good-delta.xlsx")

    def _add_screenshots(self, path: Path) -> None:
        """Pictures do not compress: stored as they are, as Excel stores a PNG."""
        tmp = path.with_suffix(".tmp")
        shutil.move(path, tmp)
        with zipfile.ZipFile(tmp) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for info in zin.infolist():
                z.writestr(info.filename, zin.read(info.filename))
            picture = random.Random(5).randbytes(SCREENSHOTS)
            z.writestr("xl/media/image1.png", picture, compress_type=zipfile.ZIP_STORED)
        tmp.unlink()

    def base(self) -> Path:
        """A fresh, unanswered workbook with its own return id, for the next case."""
        path = self._bases[f"Case {self._next:02d}"]
        self._next += 1
        return path

    def filled(self, target: Path, answers: dict | None = None, **kw) -> Path:
        """A filled return with its own return id: every question answered 4 by default."""
        answers = answers or {q.id: 4 for _, q in self.template.questions}
        return self.fill(self.base(), target, answers, **kw)

    def fill(
        self,
        source: Path,
        target: Path,
        answers: dict,
        comments: dict | None = None,
        respondent: str = "",
        actions: dict | None = None,
    ) -> Path:
        wb = openpyxl.load_workbook(source)
        for qid, value in answers.items():
            named_cell(wb, f"Q_{qid}").value = value
        for qid, text in (comments or {}).items():
            cell = named_cell(wb, f"N_{qid}")
            cell.value, cell.data_type = text, "s"
        if respondent:
            cell = named_cell(wb, "RESPONDENT_NAME")
            cell.value, cell.data_type = respondent, "s"
        for pid, rows in (actions or {}).items():
            for cells, values in zip(named_cell(wb, f"ACTIONS_{pid}"), rows):
                for c, v in zip(cells, values):
                    c.value, c.data_type = v, "s"
        wb.save(target)
        return target

    def build(self) -> dict[str, Case]:
        """Build every case into the returns folder; returns them by file name."""
        for case in CASES:
            case.build(self, self.returns / case.name)
        return {case.name: case for case in CASES}


# --- builders ----------------------------------------------------------------------

SHEET = "Commitment"  # the principle sheet the sheet-level cases damage
CUSTOM = "docProps/custom.xml"


def _edited(edit: Callable[[Corpus, Path], dict]) -> Callable[[Corpus, Path], Path]:
    """A case made by editing parts of a filled return."""

    def build(c: Corpus, target: Path) -> Path:
        tmp = c.folder / f"tmp-{target.name}"
        c.filled(tmp)
        rezip(tmp, target, edit(c, tmp))
        tmp.unlink()
        return target

    return build


def _sheet_edit(fn: Callable[[bytes], bytes]) -> Callable[[Corpus, Path], Path]:
    return _edited(lambda c, p: {sheet_part(p, SHEET): fn})


def zip_bomb(c: Corpus, target: Path) -> Path:
    """A small file whose principle sheet expands to 1 GiB."""
    tmp = c.folder / "tmp-bomb.xlsx"
    c.filled(tmp)
    part = sheet_part(tmp, SHEET)
    with zipfile.ZipFile(tmp) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for info in zin.infolist():
            if info.filename != part:
                z.writestr(info.filename, zin.read(info.filename))
                continue
            with z.open(part, "w", force_zip64=True) as out:
                out.write(
                    b'<worksheet xmlns="http://schemas.openxmlformats.org/'
                    b'spreadsheetml/2006/main"><sheetData>'
                )
                block = b" " * (1 << 20)
                for _ in range(1024):
                    out.write(block)
                out.write(b"</sheetData></worksheet>")
    tmp.unlink()
    return target


def many_entries(c: Corpus, target: Path) -> Path:
    tmp = c.folder / "tmp-many.xlsx"
    c.filled(tmp)
    rezip(tmp, target, extra={f"xl/junk/{i}.txt": b"" for i in range(30_000)})
    tmp.unlink()
    return target


def laughs_in(part: str, at: bytes) -> Callable[[Corpus, Path], Path]:
    return _edited(lambda c, p: {part: lambda x: with_doctype(x, LAUGHS, b"&lol9;", at)})


def utf16_laughs_in(part: str, at: bytes) -> Callable[[Corpus, Path], Path]:
    """Laughs in a part re-encoded as UTF-16 without a byte order mark, which an XML
    parser recognises from its first bytes and a search for b"<!DOCTYPE" does not."""

    def encode(xml: bytes) -> bytes:
        text = with_doctype(xml, LAUGHS, b"&lol9;", at).decode("utf-8")
        return re.sub(r"^<\?xml[^>]*\?>", "", text).encode("utf-16-le")

    return _edited(lambda c, p: {part: encode})


def xxe_in(part: str, at: bytes) -> Callable[[Corpus, Path], Path]:
    def edit(c: Corpus, p: Path) -> dict:
        doctype = b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "' + c.secret.as_uri().encode() + b'">]>'
        return {part: lambda x: with_doctype(x, doctype, b"&xxe;", at)}

    return _edited(edit)


def shared_strings(c: Corpus, target: Path, doctype: bytes, use: bytes) -> Path:
    """A return re-saved with a shared-strings part (as Excel writes) carrying a DTD."""
    tmp = c.folder / f"tmp-{target.name}"
    c.filled(tmp)
    sst = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats'
        b'.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>x</t></si></sst>'
    )
    rezip(tmp, target, extra={"xl/sharedStrings.xml": with_doctype(sst, doctype, use, b"<t>")})
    tmp.unlink()
    return target


def far_corner(ref: str, cell: bytes = b'<c r="%s" t="inlineStr"><is><t>x</t></is></c>'):
    """A cell holding text at ``ref``; ``cell`` spells it (with %s for the reference)."""
    row = re.sub(r"[A-Z]", "", ref).encode()
    cells = b'<row r="%s">%s</row>' % (row, cell % ref.encode())
    return _sheet_edit(lambda x: add_rows(x, cells))


# A far cell spelt in ways that spreadsheet apps do not write but that python-calamine
# reads all the same (it would then try to build the whole grid, and the process dies):
# the start tag split by a line break, a namespace prefix, a comment before the value,
# a prefix in letters other than ASCII.
FAR_CELL_SPELLINGS = {
    "split-tag": b'<c\nr="%s" t="inlineStr"><is><t>x</t></is></c>',
    "prefixed": b'<x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    b' r="%s" t="inlineStr"><x:is><x:t>x</x:t></x:is></x:c>',
    "comment-first": b'<c r="%s" t="inlineStr"><!-- a note --><is><t>x</t></is></c>',
    # python-calamine takes whatever comes after a tag's first colon as its name.
    "odd-prefix": b'<\xc3\xa9:c xmlns:\xc3\xa9="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    b' r="%s" t="inlineStr"><is><t>x</t></is></\xc3\xa9:c>',
}


def junk_rows(c: Corpus, target: Path) -> Path:
    rows = b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>junk</t></is></c></row>' % (r, r)
        for r in range(100, 300_100)
    )
    return _sheet_edit(lambda x: add_rows(x, rows))(c, target)


def truncated_zip(c: Corpus, target: Path) -> Path:
    data = c.filled(c.folder / "tmp-trunc.xlsx").read_bytes()
    target.write_bytes(data[: len(data) // 2])
    return target


def password_protected(c: Corpus, target: Path) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    source = c.filled(c.folder / "tmp-pw.xlsx")
    with open(source, "rb") as f, open(target, "wb") as out:
        OOXMLFile(f).encrypt("partner-password", out)
    return target


def word_document(c: Corpus, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        z.writestr("word/document.xml", b"<document/>")
    return target


def bytes_case(data: bytes) -> Callable[[Corpus, Path], Path]:
    def build(c: Corpus, target: Path) -> Path:
        target.write_bytes(data)
        return target

    return build


def zip_case(parts: dict[str, bytes]) -> Callable[[Corpus, Path], Path]:
    def build(c: Corpus, target: Path) -> Path:
        with zipfile.ZipFile(target, "w") as z:
            for name, data in parts.items():
                z.writestr(name, data)
        return target

    return build


def folder_named_xlsx(c: Corpus, target: Path) -> None:
    target.mkdir()
    (target / "readme.txt").write_text("a folder with a workbook's name")


def symlink_loop(c: Corpus, target: Path) -> None:
    target.mkdir()
    try:
        os.symlink(target, target / "again", target_is_directory=True)
        os.symlink(target / "b", target / "a")
        os.symlink(target / "a", target / "b")
    except (OSError, NotImplementedError):  # no symlinks on this file system
        pass


def _edited_workbook(edit: Callable[[openpyxl.Workbook], None]) -> Callable[[Corpus, Path], Path]:
    """A case made by editing a filled return through openpyxl, as a tamperer might."""

    def build(c: Corpus, target: Path) -> Path:
        tmp = c.folder / f"tmp-{target.name}"
        c.filled(tmp)
        wb = openpyxl.load_workbook(tmp)
        edit(wb)
        wb.save(target)
        tmp.unlink()
        return target

    return build


def _set_metadata(wb: openpyxl.Workbook, key: str, value, sheet: bool = True) -> None:
    """Set a metadata value in the document properties and (``sheet``) the hidden sheet."""
    if sheet:
        for row in wb["_couple"].iter_rows(min_row=3):
            if row[0].value == key:
                row[1].value = value
                if value is not None:
                    row[1].data_type = "s"
    for prop in wb.custom_doc_props.props:
        if prop.name == f"couple.{key}":
            prop.value = value


def metadata_edit(key: str, value: str, both: bool = True) -> Callable[[Corpus, Path], Path]:
    """Change a metadata value in the document properties and (``both``) the hidden sheet."""
    return _edited_workbook(lambda wb: _set_metadata(wb, key, value, sheet=both))


def _no_metadata(wb: openpyxl.Workbook) -> None:
    del wb["_couple"]
    wb.custom_doc_props.props.clear()
    for name in [n for n in wb.defined_names if n.startswith("COUPLE_")]:
        del wb.defined_names[name]


no_metadata = _edited_workbook(_no_metadata)


def _template_rows(wb: openpyxl.Workbook) -> list:
    return [
        r for r in wb["_couple"].iter_rows(min_row=3) if str(r[0].value).startswith("template_json")
    ]


def embedded_template_edit(fn: Callable[[dict], None]) -> Callable[[Corpus, Path], Path]:
    """Rewrite the embedded template JSON."""

    def edit(wb: openpyxl.Workbook) -> None:
        import json

        rows = _template_rows(wb)
        data = json.loads("".join(r[1].value for r in rows))
        fn(data)
        for i, r in enumerate(rows):
            r[1].value = json.dumps(data) if i == 0 else ""

    return _edited_workbook(edit)


def _no_template_edit(wb: openpyxl.Workbook) -> None:
    """No embedded template, and a template id that is not built in."""
    for r in _template_rows(wb):
        r[0].value = r[1].value = None
    _set_metadata(wb, "template_id", "mystery")


_no_template = _edited_workbook(_no_template_edit)


def _duplicate_question(data: dict) -> None:
    data["principles"][0]["questions"][1]["id"] = data["principles"][0]["questions"][0]["id"]


def names_and_ids_gone(c: Corpus, target: Path) -> Path:
    """Defined names deleted and one hidden question id wiped: that question is lost
    (a warning), the others are found by their hidden ids."""
    tmp = c.folder / "tmp-gone.xlsx"
    c.filled(tmp)
    wb = openpyxl.load_workbook(tmp)
    for name in [n for n in wb.defined_names if n.startswith(("Q_", "N_"))]:
        del wb.defined_names[name]
    wb[SHEET]["E5"].value = None
    wb.save(target)
    tmp.unlink()
    return target


def bad_answers(c: Corpus, target: Path) -> Path:
    """Out-of-range numbers, text where a rating belongs, and a merged answer cell."""
    qids = [q.id for _, q in c.template.questions]
    answers = {qid: 3 for qid in qids}
    answers.update({qids[0]: 0, qids[1]: 6, qids[2]: 2.5, qids[3]: "quite a lot", qids[4]: 4})
    c.filled(target, answers)
    wb = openpyxl.load_workbook(target)
    cell = named_cell(wb, f"Q_{qids[4]}")
    cell.parent.merge_cells(f"{cell.coordinate}:{cell.offset(column=1).coordinate}")
    wb.save(target)
    return target


def formula_answers(c: Corpus, target: Path) -> Path:
    """=5 and =A1 with saved results, =1/0 showing #DIV/0!, and a typed #VALUE!."""
    tmp = c.folder / "tmp-formulas.xlsx"
    c.filled(tmp)
    cells = {
        "C5": b'<c r="C5"><f>5</f><v>5</v></c>',
        "C6": b'<c r="C6"><f>A1</f><v>2</v></c>',
        "C7": b'<c r="C7" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
        "C8": b'<c r="C8" t="e"><v>#VALUE!</v></c>',
    }

    def edit(x: bytes) -> bytes:
        for ref, xml in cells.items():
            x = set_cell(x, ref, xml)
        return x

    rezip(tmp, target, {sheet_part(tmp, SHEET): edit})
    tmp.unlink()
    return target


def injection_text(c: Corpus, target: Path) -> Path:
    qids = [q.id for _, q in c.template.questions]
    comments = dict(zip(qids, INJECTIONS))
    actions = {"processes": [(text, text, text) for text in INJECTIONS[:3]]}
    return c.filled(target, comments=comments, respondent=INJECTIONS[0], actions=actions)


def injection_formulas(c: Corpus, target: Path) -> Path:
    """Comments that are real formulas, with saved results as an app would store them."""
    tmp = c.folder / "tmp-injf.xlsx"
    c.filled(tmp)

    def edit(x: bytes) -> bytes:
        x = set_cell(
            x, "D5", b'<c r="D5" t="str"><f>HYPERLINK("http://example.invalid","x")</f><v>x</v></c>'
        )
        x = set_cell(x, "D6", b"<c r=\"D6\"><f>cmd|' /C calc'!A0</f><v>0</v></c>")
        return set_cell(x, "D7", b'<c r="D7"><f>SUM(1+1)</f><v>2</v></c>')

    rezip(tmp, target, {sheet_part(tmp, SHEET): edit})
    tmp.unlink()
    return target


def odd_names(c: Corpus, target: Path) -> Path:
    """A respondent name with path separators, a control character (written with the
    file format's own escape, as a spreadsheet app stores one) and 5,000 letters."""
    name = "../../etc/passwd \\\\server\\share _x0007_ " + "x" * 5000
    return c.filled(target, respondent=name)


def other_partnership(c: Corpus, target: Path) -> Path:
    result = new_round(
        RoundRequest(
            partnership_name="Elsewhere Partnership",
            partners=[PartnerEntry("Someone")],
            template=c.template,
            out_dir=c.folder / "elsewhere",
        )
    )
    answers = {q.id: 2 for _, q in c.template.questions}
    return c.fill(result.workbooks[0].path, target, answers)


def summary_left_behind(c: Corpus, target: Path) -> Path:
    from couple_xl.pipeline import ConsolidateOptions, run_consolidate

    good = c.returns / "good-alpha.xlsx"
    run_consolidate(ConsolidateOptions(paths=[good], output=target))
    return target


def untouched_copy(c: Corpus, target: Path) -> Path:
    """The sent workbook of a good partner, untouched, as found in a sent folder."""
    shutil.copy(c._bases[GOOD[0]], target)
    return target


def cut_workbook_xml(c: Corpus, target: Path) -> Path:
    return _edited(lambda c, p: {"xl/workbook.xml": lambda x: x[: len(x) // 2]})(c, target)


def bad_utf8(c: Corpus, target: Path) -> Path:
    def edit(x: bytes) -> bytes:
        return x.replace(b"<t>", b"<t>\xff\xfe\xfa", 1)

    return _sheet_edit(edit)(c, target)


# --- other formats, and what the sheet reader refuses -----------------------------------


def strict_return(c: Corpus, target: Path) -> Path:
    """A filled return saved again as Strict Open XML: read and counted like any other."""
    tmp = c.folder / f"tmp-{target.name}"
    answers = {q.id: (i % 5) + 1 for i, (_, q) in enumerate(c.template.questions)}
    c.filled(tmp, answers)
    to_strict(tmp, target)
    tmp.unlink()
    c.typed[target.name] = answers
    return target


def strict_not_a_return(c: Corpus, target: Path) -> Path:
    """A real Strict workbook that has nothing to do with couple_xl."""
    tmp = c.folder / f"tmp-{target.name}"
    wb = openpyxl.Workbook()
    wb.active.append(["Budget", 1200])
    wb.save(tmp)
    to_strict(tmp, target)
    tmp.unlink()
    return target


MACRO_SHEET_XML = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><xm:macrosheet '
    b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><sheetData><row r="1">'
    b'<c r="A1" t="str"><f>HALT()</f><v></v></c></row></sheetData></xm:macrosheet>'
)


def macro_sheet(c: Corpus, target: Path) -> Path:
    """A filled return with an Excel 4 macro sheet added, as Excel saves one (.xlsm)."""
    r = b' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    sheet = b'<sheet name="Macro1" sheetId="99"' + r + b' r:id="rIdMacro1"/></sheets>'
    rel = (
        b'<Relationship Id="rIdMacro1" Type="http://schemas.microsoft.com/office/2006/'
        b'relationships/xlMacrosheet" Target="macrosheets/sheet1.xml"/></Relationships>'
    )
    override = (
        b'<Override PartName="/xl/macrosheets/sheet1.xml" '
        b'ContentType="application/vnd.ms-excel.macrosheet+xml"/></Types>'
    )
    tmp = c.folder / f"tmp-{target.name}.xlsx"
    answers = {q.id: 4 for _, q in c.template.questions}
    c.filled(tmp, answers)
    c.typed[target.name] = answers  # every answer read, the macro sheet left alone
    rezip(
        tmp,
        target,
        {
            "xl/workbook.xml": lambda x: x.replace(b"</sheets>", sheet, 1),
            "xl/_rels/workbook.xml.rels": lambda x: x.replace(b"</Relationships>", rel, 1),
            "[Content_Types].xml": lambda x: x.replace(b"</Types>", override, 1),
        },
        {"xl/macrosheets/sheet1.xml": MACRO_SHEET_XML},
    )
    tmp.unlink()
    return target


def _sheet_state(x: bytes) -> bytes:
    return x.replace(b'state="visible"', b'state="shown"', 1)


def bad_crc(c: Corpus, target: Path) -> Path:
    """One part changed after it was zipped: its checksum no longer matches."""
    tmp = c.filled(c.folder / f"tmp-{target.name}")
    part = "xl/styles.xml"
    with zipfile.ZipFile(tmp) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for info in zin.infolist():
            # The part is stored as it is, so that a byte of it can be changed in place.
            kind = zipfile.ZIP_STORED if info.filename == part else zipfile.ZIP_DEFLATED
            z.writestr(info.filename, zin.read(info.filename), compress_type=kind)
        styles = zin.read(part)
    data = bytearray(target.read_bytes())
    at = data.index(styles) + styles.index(b"<", 10) + 1
    data[at] = ord("Q")
    target.write_bytes(bytes(data))
    tmp.unlink()
    return target


def content_type(main: bytes) -> Callable[[Corpus, Path], Path]:
    """A filled return whose workbook part says it is a template (as Save As Template)."""
    sheet = b"spreadsheetml.sheet.main+xml"
    return _edited(lambda c, p: {"[Content_Types].xml": lambda x: x.replace(sheet, main)})


def _ole_with(stream: str) -> bytes:
    """The start of an OLE compound file whose directory names one stream."""
    return (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 504
        + stream.encode("utf-16-le")
        + b"\0" * 1500
    )


FODS = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<office:document xmlns:office="urn:oasis:'
    b'names:tc:opendocument:xmlns:office:1.0" office:version="1.3" office:mimetype='
    b'"application/vnd.oasis.opendocument.spreadsheet"><office:body/></office:document>'
)
GNUMERIC = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<gnm:Workbook xmlns:gnm="http://www.gnumeric'
    b'.org/v10.dtd"><gnm:Sheets/></gnm:Workbook>'
)
EXCEL_2003_XML = (
    b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n<Workbook xmlns='
    b'"urn:schemas-microsoft-com:office:spreadsheet"><Worksheet/></Workbook>'
)


def renamed_workbook(c: Corpus, target: Path) -> Path:
    """A filled return renamed .xls: its content says it is a workbook, and it is read."""
    answers = {q.id: 3 for _, q in c.template.questions}
    c.filled(target, answers)
    c.typed[target.name] = answers
    return target


DTD = "document type declaration"
RESAVE = "save it as an Excel workbook (.xlsx) and send it again"
REJECTED, SKIPPED, ACCEPTED, WARNINGS = "rejected", "skipped", "accepted", "accepted with warnings"

CASES: list[Case] = [
    # Container and XML.
    Case("zip-bomb.xlsx", zip_bomb, REJECTED, "compression bomb"),
    Case("many-entries.xlsx", many_entries, REJECTED, "30,"),
    Case("laughs-workbook.xlsx", laughs_in("xl/workbook.xml", b"<sheets>"), REJECTED, DTD),
    Case(
        "laughs-shared-strings.xlsx",
        lambda c, t: shared_strings(c, t, LAUGHS, b"&lol9;"),
        REJECTED,
        DTD,
    ),
    Case("laughs-core.xlsx", laughs_in("docProps/core.xml", b"<dc:title>"), REJECTED, DTD),
    Case(
        "laughs-utf16-core.xlsx",
        utf16_laughs_in("docProps/core.xml", b"<dc:title>"),
        REJECTED,
        DTD,
    ),
    Case("xxe-workbook.xlsx", xxe_in("xl/workbook.xml", b"<sheets>"), REJECTED, DTD),
    Case("xxe-custom.xlsx", xxe_in(CUSTOM, b"<vt:lpwstr>"), REJECTED, DTD),
    Case(
        "xxe-shared-strings.xlsx",
        lambda c, t: shared_strings(
            c,
            t,
            b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "' + c.secret.as_uri().encode() + b'">]>',
            b"&xxe;",
        ),
        REJECTED,
        DTD,
    ),
    Case("cut-workbook-xml.xlsx", cut_workbook_xml, REJECTED, RESAVE),
    Case("bad-utf8.xlsx", bad_utf8, REJECTED, RESAVE),
    Case("far-corner.xlsx", far_corner("XFD1048576"), REJECTED, "XFD1048576"),
    Case("far-down.xlsx", far_corner("D1048576"), REJECTED, "H1048576"),
    *(
        Case(f"far-corner-{name}.xlsx", far_corner("XFD1048576", cell), REJECTED, "XFD1048576")
        for name, cell in FAR_CELL_SPELLINGS.items()
    ),
    Case("truncated.xlsx", truncated_zip, REJECTED, "cut short"),
    Case("empty.xlsx", bytes_case(b""), REJECTED, "empty (0 bytes)"),
    Case(
        "report.pdf.xlsx",
        bytes_case(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
        REJECTED,
        "this is a PDF",
    ),
    Case("letter.docx.xlsx", word_document, REJECTED, "Word document"),
    Case("folder.xlsx", folder_named_xlsx, "", ""),
    Case("loop", symlink_loop, "", ""),
    # Other formats.
    Case("password.xlsx", password_protected, REJECTED, "password-protected"),
    Case(
        "old.xls",
        bytes_case(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504),
        REJECTED,
        "old-style Excel file (.xls)",
    ),
    Case(
        "libre.ods",
        zip_case(
            {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}
        ),
        REJECTED,
        "OpenDocument",
    ),
    Case("apple.numbers", zip_case({"Index/Document.iwa": b"\0"}), REJECTED, "Numbers"),
    # Wrong or damaged returns.
    Case("unknown-template.xlsx", _no_template, REJECTED, "--template"),
    Case(
        "duplicate-question-ids.xlsx",
        embedded_template_edit(_duplicate_question),
        REJECTED,
        "used twice",
    ),
    Case(
        "other-partnership.xlsx",
        other_partnership,
        SKIPPED,
        "not riverside-food-partnership",
        {"partnership": "riverside-food-partnership"},
    ),
    Case("no-metadata.xlsx", no_metadata, REJECTED, "no couple_xl metadata"),
    Case("tampered-id.xlsx", metadata_edit("partnership_id", "evil/[x]*?"), REJECTED, "tampered"),
    Case("tampered-return-id.xlsx", metadata_edit("return_id", "../../x"), REJECTED, "tampered"),
    Case("tampered-round.xlsx", metadata_edit("round", "Round\tone"), REJECTED, "tampered"),
    Case("tampered-kind.xlsx", metadata_edit("kind", "virus"), REJECTED, "never writes"),
    Case(
        "one-copy-edited.xlsx",
        metadata_edit("partnership_id", "other", both=False),
        REJECTED,
        "disagree on partnership_id",
    ),
    Case("names-gone.xlsx", names_and_ids_gone, WARNINGS, "not found: counted as unanswered"),
    # Bad answers.
    Case("bad-answers.xlsx", bad_answers, WARNINGS, "'quite a lot'"),
    Case("formula-answers.xlsx", formula_answers, WARNINGS, "#DIV/0!"),
    # Formula injection and names.
    Case("injection-text.xlsx", injection_text, ACCEPTED, ""),
    Case("injection-formulas.xlsx", injection_formulas, ACCEPTED, ""),
    Case("odd-names.xlsx", odd_names, ACCEPTED, ""),
    Case(
        "odd-partner-name.xlsx",
        metadata_edit("partner", "Kitchen / Café \\ Ltd: [x]*? ..."),
        ACCEPTED,
        "",
    ),
    Case(
        "partner-name-control.xlsx", metadata_edit("partner", "Kitchen\tLtd"), REJECTED, "tampered"
    ),
    Case("partner-name-long.xlsx", metadata_edit("partner", "K" * 201), REJECTED, "tampered"),
    Case(
        "odd-partnership-name.xlsx",
        metadata_edit("partnership_name", '=HYPERLINK("http://example.invalid","x") [a]:*?/\\'),
        ACCEPTED,
        "",
    ),
    # Size.
    Case("junk-rows.xlsx", junk_rows, REJECTED, "Ctrl+End"),
    # Our own files among the returns.
    Case("summary.xlsx", summary_left_behind, SKIPPED, "a couple_xl summary, not a return"),
    Case("sent-copy.xlsx", untouched_copy, ACCEPTED, "as sent"),
    # Strict Open XML, and what python-calamine refuses: read, or named in words.
    Case("strict-return.xlsx", strict_return, ACCEPTED, ""),
    Case("strict-not-a-return.xlsx", strict_not_a_return, REJECTED, "not a couple_xl return"),
    Case(
        "macro-sheet.xlsm", macro_sheet, WARNINGS, say.MACRO_SHEET.format(count=1, names="'Macro1'")
    ),
    Case(
        "odd-sheet-state.xlsx",
        _edited(lambda c, p: {"xl/workbook.xml": _sheet_state}),
        REJECTED,
        say.WHY_SPREADSHEET,
    ),
    Case("bad-crc.xlsx", bad_crc, REJECTED, say.PART_DAMAGED.format(part="xl/styles.xml")),
    Case("broken.msg", bytes_case(_ole_with("Root Entry")), REJECTED, say.OUTLOOK_DAMAGED),
    # The content decides, the name only where the content leaves it open.
    Case("empty.ods", bytes_case(b""), REJECTED, say.EMPTY),
    Case("text.xls", bytes_case(b"Partner\tScore\nAnn\t4\n"), REJECTED, say.TEXT),
    Case(
        "web-page.xls",
        bytes_case(b"<html><body><table></table></body></html>"),
        REJECTED,
        say.WEB_PAGE,
    ),
    Case(
        "real-old.xls",
        bytes_case(_ole_with("Workbook")),
        REJECTED,
        say.OTHER_FORMAT.format(kind=say.KIND_XLS),
    ),
    Case(
        "unknown-ole.xlsx",
        bytes_case(_ole_with("Something")),
        REJECTED,
        say.OTHER_FORMAT.format(kind=say.KIND_OLD_OFFICE),
    ),
    Case("flat.fods", bytes_case(FODS), REJECTED, say.OTHER_FORMAT.format(kind=say.KIND_FODS)),
    Case(
        "gnu.gnumeric",
        bytes_case(gzip.compress(GNUMERIC)),
        REJECTED,
        say.OTHER_FORMAT.format(kind=say.KIND_GNUMERIC),
    ),
    Case(
        "excel-2003.xls",
        bytes_case(EXCEL_2003_XML),
        REJECTED,
        say.OTHER_FORMAT.format(kind=say.KIND_EXCEL_XML),
    ),
    Case(
        "template.xltx",
        content_type(b"spreadsheetml.template.main+xml"),
        REJECTED,
        say.OTHER_FORMAT.format(kind=say.KIND_XLTX),
    ),
    Case(
        "template.xltm",
        content_type(b"ms-excel.template.macroEnabled.main+xml"),
        REJECTED,
        say.OTHER_FORMAT.format(kind=say.KIND_XLTM),
    ),
    Case(
        "binary.xlsb",
        zip_case({"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\0"}),
        REJECTED,
        say.OTHER_FORMAT.format(kind=say.KIND_XLSB),
    ),
    Case("renamed-workbook.xls", renamed_workbook, ACCEPTED, ""),
]


def mutations(source: bytes, seed: int, count: int) -> list[bytes]:
    """Seeded byte-level mutations of a workbook: half in the raw file (flips, cuts,
    insertions), half inside one XML part, re-zipped so that its checksum holds and
    the damage reaches the XML parsers."""
    rng = random.Random(seed)
    with zipfile.ZipFile(io.BytesIO(source)) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    xml_names = [n for n in parts if n.endswith((".xml", ".rels"))]
    out = []
    for i in range(count):
        if i % 2 == 0:
            data = bytearray(source)
            for _ in range(rng.randint(1, 8)):
                kind = rng.random()
                pos = rng.randrange(len(data))
                if kind < 0.7:
                    data[pos] = rng.randrange(256)
                elif kind < 0.85:
                    del data[pos : pos + rng.randint(1, 64)]
                else:
                    data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
            out.append(bytes(data))
            continue
        name = rng.choice(xml_names)
        part = bytearray(parts[name])
        for _ in range(rng.randint(1, 6)):
            pos = rng.randrange(len(part))
            part[pos] = rng.choice(b'<>/"=&;#x01239ACZ \xff\x00')
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for n, d in parts.items():
                z.writestr(n, bytes(part) if n == name else d)
        out.append(buf.getvalue())
    return out
