"""Hostile and broken inputs: every file gets a verdict, no run is lost, nothing leaks.

The corpus (tests/hostile_corpus.py) is built once per session. One consolidation
reads it together with good returns; each case then checks its own verdict.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from couple_xl import consolidate as consolidate_module
from couple_xl import messages as say
from couple_xl.cli import main
from couple_xl.consolidate import (
    AN_INTERNAL_ERROR,
    INTERNAL_ERROR,
    READER_DIED,
    consolidate,
    read_one,
)
from couple_xl.errors import Severity
from couple_xl.returns import CellError, read_return
from tests import hostile_corpus
from tests.hostile_corpus import GOOD, INJECTIONS, SECRET, Corpus

PID = "riverside-food-partnership"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    folder = tmp_path_factory.mktemp("hostile")
    corpus = Corpus(folder)
    corpus.cases = corpus.build()
    return corpus


@pytest.fixture(scope="module")
def cli_run(corpus):
    out = corpus.folder / "summary.xlsx"
    args = [
        "consolidate",
        str(corpus.returns),
        "-o",
        str(out),
        "--partnership",
        PID,
        "--csv",
        str(corpus.folder / "csv"),
        "--json",
        str(corpus.folder / "s.json"),
    ]
    result = CliRunner().invoke(main, args)
    return result, out


@pytest.fixture(scope="module")
def logs(corpus):
    result = consolidate([corpus.returns], partnership=PID)
    return {f.path.relative_to(corpus.returns).parts[0]: f for f in result.files}, result


@pytest.mark.parametrize(
    "case", [c for c in hostile_corpus.CASES if c.verdict], ids=lambda c: c.name
)
def test_each_case_gets_its_verdict(corpus, logs, case):
    by_name, _ = logs
    log = by_name[case.name]
    assert log.verdict == case.verdict, [str(f) for f in log.findings]
    if case.says:
        assert any(case.says in f.message for f in log.findings), [str(f) for f in log.findings]
    if case.verdict == "rejected":
        (error,) = [f for f in log.findings if f.severity == Severity.ERROR]
        assert error.location.file == corpus.returns / case.name
        assert INTERNAL_ERROR.split("(")[0] not in error.message


def test_good_returns_land_with_every_answer_intact(corpus, logs):
    by_name, result = logs
    for name, typed in corpus.typed.items():
        log = by_name[name]
        assert log.counted, [str(f) for f in log.findings]
        assert log.record.answers == typed
        assert not any("possible duplicate" in m for m in log.messages())
    (partnership,) = result.partnerships
    (round_,) = partnership.rounds
    assert set(GOOD) <= set(round_.partners)


def test_the_cli_gives_one_line_per_bad_file_and_exit_1(corpus, cli_run):
    result, out = cli_run
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert out.exists()
    for case in hostile_corpus.CASES:
        if case.verdict != "rejected":
            continue
        path = str(corpus.returns / case.name)
        lines = [x for x in result.output.splitlines() if x.startswith(f"rejected: {path}")]
        assert len(lines) == 1, (case.name, lines)
        assert case.says in lines[0]


def test_nothing_from_the_file_system_or_any_formula_reaches_the_outputs(corpus, cli_run):
    _, out = cli_run
    outputs = [out, corpus.folder / "s.json", *sorted((corpus.folder / "csv").iterdir())]
    with zipfile.ZipFile(out) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    for data in [*parts.values(), *(p.read_bytes() for p in outputs[1:])]:
        assert SECRET.encode() not in data
    # In the summary every piece of injected text is a string cell, never a formula.
    sheets = b"".join(v for k, v in parts.items() if k.startswith("xl/worksheets/"))
    formulas = b"".join(re.findall(rb"<f\b[^>]*>(.*?)</f>", sheets, re.S))
    assert b"HYPERLINK" not in formulas
    assert b"cmd|" not in formulas
    # Text is shared, or inline in the Data sheet's streamed rows.
    inline = b"".join(re.findall(rb"<is><t[^>]*>(.*?)</t></is>", sheets, re.S))
    strings = parts["xl/sharedStrings.xml"].decode("utf-8") + inline.decode("utf-8")
    for text in INJECTIONS:
        escaped = text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        assert escaped in strings or text in strings, text
    # In the CSV exports they are escaped with a leading apostrophe.
    with open(corpus.folder / "csv" / "answers.csv", encoding="utf-8-sig", newline="") as f:
        comments = {row["comment"] for row in csv.DictReader(f)}
    for text in INJECTIONS:
        assert "'" + text in comments
    # The JSON keeps them exactly as typed.
    data = json.loads((corpus.folder / "s.json").read_text(encoding="utf-8"))
    typed = json.dumps(data, ensure_ascii=False)
    assert all(json.dumps(t, ensure_ascii=False)[1:-1] in typed for t in INJECTIONS)


def test_injected_formulas_are_read_as_their_results_never_run(corpus):
    record = read_return(corpus.returns / "injection-formulas.xlsx")
    comments = set(record.comments.values())
    assert {"x", "2"} <= comments  # the saved results, as the partner saw them


def test_error_values_and_formulas_in_answer_cells(corpus):
    record = read_return(corpus.returns / "formula-answers.xlsx")
    ids = [q.id for q in corpus.template.principle("commitment").questions]
    assert record.answers[ids[0]] == 5  # =5, its saved result
    assert record.answers[ids[1]] == 2  # =A1, its saved result
    assert record.answers[ids[2]] == CellError("#DIV/0!")
    assert isinstance(record.answers[ids[3]], CellError)
    invalid = {bad.question_id for bad in record.assessment.principles["commitment"].invalid}
    assert invalid == {ids[2], ids[3]}
    by_cell = {(w.location.sheet, w.location.cell): w.message for w in record.warnings}
    assert "formula (=5)" in by_cell[("Commitment", "C5")]
    assert "formula (=A1)" in by_cell[("Commitment", "C6")]
    assert "shows the error #DIV/0!" in by_cell[("Commitment", "C7")]
    assert "shows the error #VALUE!" in by_cell[("Commitment", "C8")]
    # Scored by hand: 5 and 2 from the formulas, 4 typed for the fifth question on.
    rest = [4] * (len(ids) - 4)
    assert record.assessment.principles["commitment"].score == sum([5, 2, *rest]) / (2 + len(rest))


def test_odd_names_reach_the_summary_whole(corpus, logs, cli_run):
    by_name, _ = logs
    name = by_name["odd-names.xlsx"].record.respondent_name
    assert name.startswith("../../etc/passwd")
    assert "\x07" in name
    assert len(name) > 5000
    _, out = cli_run
    assert out.exists()


def test_fuzzed_returns_are_each_accepted_or_rejected_with_a_message(corpus):
    source = (corpus.returns / "good-alpha.xlsx").read_bytes()
    outcomes = {"accepted": 0, "rejected": 0}
    for i, data in enumerate(hostile_corpus.mutations(source, seed=2026, count=1000)):
        outcome = read_one(Path(f"mutant-{i}.xlsx"), data=data)
        if outcome.record is not None:
            outcomes["accepted"] += 1
            continue
        outcomes["rejected"] += 1
        assert outcome.finding.message, i
        assert not outcome.finding.message.startswith("couple_xl could not read"), (
            i,
            outcome.finding.detail,
        )
    assert sum(outcomes.values()) == 1000
    assert outcomes["rejected"] > 0


def test_fuzzed_returns_through_the_worker_pool(corpus, tmp_path):
    source = (corpus.returns / "good-alpha.xlsx").read_bytes()
    mutants = tmp_path / "mutants"
    mutants.mkdir()
    for i, data in enumerate(hostile_corpus.mutations(source, seed=7, count=96)):
        (mutants / f"m{i:03d}.xlsx").write_bytes(data)
    assert len(list(mutants.iterdir())) >= consolidate_module.PARALLEL_FROM
    result = consolidate([mutants])
    assert len(result.files) == 96
    assert all(
        f.verdict in ("accepted", "accepted with warnings", "rejected") for f in result.files
    )
    assert not any("internal error" in m for f in result.files for m in f.messages())


def _dies_on_victim(path, template=None, **source):
    if path.name == "victim.xlsx":
        os._exit(3)  # a crash no `try` can catch, as a native abort would be
    return read_one(path, template, **source)


@pytest.mark.skipif(sys.platform == "win32", reason="needs fork to carry the patch to workers")
def test_a_worker_that_dies_costs_only_its_own_file(corpus, tmp_path, monkeypatch):
    import multiprocessing

    if multiprocessing.get_start_method() != "fork":
        pytest.skip("the patched reader reaches worker processes only with fork")
    folder = tmp_path / "many"
    folder.mkdir()
    good = (corpus.returns / "good-alpha.xlsx").read_bytes()
    for i in range(70):
        (folder / f"copy-{i:02d}.xlsx").write_bytes(good)
    (folder / "victim.xlsx").write_bytes(good)
    monkeypatch.setattr(consolidate_module, "read_one", _dies_on_victim)
    result = consolidate([folder])
    by_name = {f.path.name: f for f in result.files}
    assert by_name["victim.xlsx"].verdict == "rejected"
    assert by_name["victim.xlsx"].messages() == [INTERNAL_ERROR.format(READER_DIED)]
    assert sum(f.record is not None for f in result.files) == 70


def test_an_internal_error_rejects_one_file_and_debug_shows_it(corpus, tmp_path, monkeypatch):
    from couple_xl import returns

    folder = tmp_path / "two"
    folder.mkdir()
    good = (corpus.returns / "good-alpha.xlsx").read_bytes()
    (folder / "fine.xlsx").write_bytes(good)
    (folder / "boom.xlsx").write_bytes(good)
    real = returns._Reader.read

    def read(self, *args):
        if self.path.name == "boom.xlsx":
            raise TypeError("a bug of ours")
        return real(self, *args)

    monkeypatch.setattr(returns._Reader, "read", read)
    out = tmp_path / "s.xlsx"
    plain = CliRunner().invoke(main, ["consolidate", str(folder), "-o", str(out)])
    assert plain.exit_code == 1
    line = f"rejected: {folder / 'boom.xlsx'}: " + INTERNAL_ERROR.format(AN_INTERNAL_ERROR)
    assert line in plain.output.splitlines()
    assert "Traceback" not in plain.output
    assert "TypeError" not in plain.output  # in the user's words; --debug has the rest
    assert "1 return(s) counted, 1 rejected" in plain.output
    debug = CliRunner().invoke(main, ["--debug", "consolidate", str(folder), "-o", str(out)])
    assert "Traceback" in debug.output
    assert "a bug of ours" in debug.output


# --- every verdict in the user's words --------------------------------------------------------


def _exception_names() -> re.Pattern[str]:
    """Every exception class the readers' libraries define, by name, as a pattern."""
    import json  # noqa: F401  (imported so that their exceptions are counted)
    import xml.parsers.expat  # noqa: F401

    import defusedxml  # noqa: F401
    import extract_msg  # noqa: F401
    import olefile  # noqa: F401
    import pydantic  # noqa: F401
    import python_calamine  # noqa: F401

    names, stack = set(), [BaseException]
    while stack:
        cls = stack.pop()
        names.add(cls.__name__)
        stack.extend(cls.__subclasses__())
    # Class names that are also plain English words in a sentence.
    names -= {"Error", "error", "Warning", "Exception", "Abort", "Exit", "Timeout", "Empty", "Full"}
    names = {n for n in names if not n.startswith("_") and len(n) > 3}
    return re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, names))) + r")\b")


# What the libraries themselves say, which belongs in a finding's detail only.
LIBRARY_WORDS = ("Cannot detect file format", "CRC-32", "OLE2", "invalid token",
                 "unbound prefix", "Expecting value", "embedded null byte", "Unrecognized",
                 "File is not a zip file", "Invalid JSON", "line 1, column", "should match pattern",
                 "Input should", "Field required")  # fmt: skip


def _in_users_words(message: str, names: re.Pattern[str]) -> bool:
    return names.search(message) is None and not any(w in message for w in LIBRARY_WORDS)


def test_no_verdict_names_an_exception_or_quotes_a_library(corpus, logs, cli_run):
    names = _exception_names()
    by_name, _ = logs
    said = [f.message for log in by_name.values() for f in log.findings]
    source = (corpus.returns / "good-alpha.xlsx").read_bytes()
    for i, data in enumerate(hostile_corpus.mutations(source, seed=2026, count=400)):
        outcome = read_one(Path(f"mutant-{i}.xlsx"), data=data)
        if outcome.finding is not None:
            said.append(outcome.finding.message)
    assert len(said) > 100
    wrong = sorted({m for m in said if not _in_users_words(m, names)})
    assert not wrong, "\n".join(wrong[:8])
    result, _ = cli_run
    verdicts = [x for x in result.output.splitlines() if x.startswith(("rejected", "accepted"))]
    assert not [x for x in verdicts if not _in_users_words(x, names)]


def test_debug_still_shows_what_the_library_said(corpus):
    outcome = read_one(corpus.returns / "bad-crc.xlsx")
    assert outcome.finding.message == say.PART_DAMAGED.format(part="xl/styles.xml")
    assert "BadZipFile" in outcome.finding.detail
    result = CliRunner().invoke(main, ["--debug", "check", str(corpus.returns / "bad-crc.xlsx")])
    assert "BadZipFile: Bad CRC-32" in result.output
    plain = CliRunner().invoke(main, ["check", str(corpus.returns / "bad-crc.xlsx")])
    assert "BadZipFile" not in plain.output


def test_a_macro_sheet_is_left_unread_and_every_answer_counted(corpus):
    record = read_return(corpus.returns / "macro-sheet.xlsm")
    assert record.answers == corpus.typed["macro-sheet.xlsm"]
    (warning,) = record.warnings
    assert warning.message == say.MACRO_SHEET.format(count=1, names="'Macro1'")


# Each file given to `check` on its own: what it holds decides its one line and exit code.
ALONE = [
    ("quick.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", say.PDF),
    ("empty.ods", b"", say.EMPTY),
    ("empty.xlsx", b"", say.EMPTY),
    ("notes.xls", b"Partner,Score\nAnn,4\n", say.TEXT),
    ("notes.txt", b"Partner,Score\nAnn,4\n", say.TEXT),
    ("flat.fods", hostile_corpus.FODS, say.OTHER_FORMAT.format(kind=say.KIND_FODS)),
]


@pytest.mark.parametrize(("name", "data", "message"), ALONE, ids=[a[0] for a in ALONE])
def test_a_file_checked_alone_gets_its_own_verdict(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    assert result.output == f"rejected: {path}: {message}\n"


def test_a_non_return_checked_alone_says_none_is_a_return(corpus):
    summary = corpus.returns / "summary.xlsx"
    result = CliRunner().invoke(main, ["check", str(summary)])
    assert result.exit_code == 1
    assert result.output == (
        f"skipped: {summary}: a couple_xl summary, not a return\nError: {say.NO_RETURNS_IN_FILES}\n"
    )


def test_a_zero_byte_file_gets_one_verdict_whatever_its_name(tmp_path):
    for suffix in (".xlsx", ".ods", ".xls", ".numbers", ".csv"):
        (tmp_path / f"empty{suffix}").write_bytes(b"")
    result = consolidate([tmp_path])
    assert {tuple(f.messages()) for f in result.files} == {(say.EMPTY,)}


# --- truthful verdicts and exit codes ------------------------------------------------------


def test_no_returns_found_exits_1_and_writes_nothing(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("nothing here")
    out = tmp_path / "s.xlsx"
    result = CliRunner().invoke(main, ["consolidate", str(empty), "-o", str(out)])
    assert result.exit_code == 1
    assert f"Error: no returns found in {empty}" in result.output
    assert not out.exists()


def test_with_only_a_manifest_the_chase_list_is_still_written(corpus, tmp_path):
    folder = tmp_path / "only-manifest"
    folder.mkdir()
    (folder / corpus.round.manifest.name).write_bytes(corpus.round.manifest.read_bytes())
    out = tmp_path / "s.xlsx"
    result = CliRunner().invoke(main, ["consolidate", str(folder), "-o", str(out)])
    assert result.exit_code == 1
    assert "no returns found" in result.output
    import openpyxl

    wb = openpyxl.load_workbook(out)
    values = [c.value for row in wb["Overview"].iter_rows() for c in row if c.value]
    assert "Not yet returned" in values
    assert GOOD[0] in values


def test_an_unreadable_manifest_is_rejected_and_the_rest_written(corpus, tmp_path):
    folder = tmp_path / "with-bad-manifest"
    folder.mkdir()
    (folder / "good.xlsx").write_bytes((corpus.returns / "good-alpha.xlsx").read_bytes())
    bad = folder / "x.manifest.json"
    bad.write_text('{"format": "couple_xl/1", "partnership_id": ', encoding="utf-8")
    out = tmp_path / "s.xlsx"
    result = CliRunner().invoke(main, ["consolidate", str(folder), "-o", str(out)])
    assert result.exit_code == 1
    assert f"rejected: {bad}: " in result.output
    assert out.exists()


def test_sent_copies_beside_returns_are_noted_not_duplicates(corpus, tmp_path):
    """The README's `consolidate returns/ sent/autumn`: untouched copies share return ids."""
    returns = tmp_path / "returns"
    returns.mkdir()
    for name in corpus.typed:
        (returns / name).write_bytes((corpus.returns / name).read_bytes())
    result = consolidate([returns, corpus.folder / "sent"], partnership=PID)
    for f in result.files:
        assert not any("possible duplicate" in m for m in f.messages()), f.path
    sent = [f for f in result.files if f.path.parent == corpus.folder / "sent"]
    noted = [f for f in sent if f.record is not None and not f.record.untouched]
    assert not noted
    good_copies = [f for f in sent if "good" in f.path.name]
    assert all(
        f.messages() == ["as sent: nothing typed in it; the partner's return counts"]
        for f in good_copies
    )
    assert all(f.verdict == "accepted" and not f.counted for f in good_copies)


def test_new_into_a_folder_below_a_file_is_a_clear_error(tmp_path):
    blocker = tmp_path / "somefile"
    blocker.write_text("x")
    result = CliRunner().invoke(main, ["new", "P", "--partner", "A", "--out", str(blocker / "sub")])
    assert result.exit_code == 1
    assert "is a file, not a folder" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("partner", "says"),
    [("Bell\x07Org", "control character (U+0007)"), ("Two\nLines", "control character (U+000A)")],
)
def test_new_refuses_control_characters_in_names_with_their_row(tmp_path, partner, says):
    partners = tmp_path / "partners.csv"
    partners.write_text(f'partner,email\nGood Org,a@b.org\n"{partner}",c@d.org\n', encoding="utf-8")
    result = CliRunner().invoke(
        main, ["new", "P", "--partners-file", str(partners), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert f"{partners}: row 3: the partner name contains a {says}" in result.output


def test_a_hostile_partnership_name_is_written_as_text(corpus, tmp_path):
    import openpyxl

    folder = tmp_path / "alone"
    folder.mkdir()
    name = "odd-partnership-name.xlsx"
    (folder / name).write_bytes((corpus.returns / name).read_bytes())
    out = tmp_path / "s.xlsx"
    result = CliRunner().invoke(main, ["consolidate", str(folder), "-o", str(out)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    hostile = [c for c in cells if isinstance(c.value, str) and c.value.startswith("=HYPERLINK")]
    assert hostile
    assert all(c.data_type == "s" for c in hostile)


def test_scores_the_partners_app_could_not_show_are_reported(corpus, tmp_path):
    """A return saved by an app that showed #VALUE! for its scores (as Gnumeric did for
    workbooks before the portable formulas): its answers still count, and the log says
    which app the partner used."""
    import openpyxl

    from tests.helpers import named_cell
    from tests.hostile_corpus import rezip, set_cell, sheet_part

    source = corpus.returns / "good-alpha.xlsx"
    summary = sheet_part(source, "Summary")
    app = (
        b'<?xml version="1.0" encoding="UTF-8"?><Properties xmlns="http://schemas.openxml'
        b'formats.org/officeDocument/2006/extended-properties"><Application>Gnumeric'
        b"</Application></Properties>"
    )

    # The first two principles' scores, wherever the Summary's table stands.
    wb = openpyxl.load_workbook(source)
    cells = [named_cell(wb, f"SCORE_{pid}").coordinate for pid in ("commitment", "outcomes")]

    def broken_scores(xml: bytes) -> bytes:
        for ref in cells:
            cell = b'<c r="%s" t="e"><f>1</f><v>#VALUE!</v></c>' % ref.encode()
            xml = set_cell(xml, ref, cell)
        return xml

    target = rezip(
        source,
        tmp_path / "from-gnumeric.xlsx",
        {summary: broken_scores, "docProps/app.xml": lambda _: app},
    )
    record = read_return(target)
    assert record.answers == corpus.typed["good-alpha.xlsx"]
    (warning,) = [w for w in record.warnings if "could not compute" in w.message]
    assert "spreadsheet app (Gnumeric) could not compute" in warning.message
    assert "showed #VALUE! for 2 of 6 principles" in warning.message
    assert (warning.location.sheet, warning.location.cell) == ("Summary", cells[0])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-le", "utf-16-be"])
def test_the_xml_parser_itself_refuses_a_document_type_declaration(encoding):
    # Beneath the byte check in the read boundary: the parser refuses the declaration
    # as it starts, in any encoding expat recognises, before an entity is declared.
    from defusedxml import DTDForbidden

    from couple_xl.boundary import parse_xml

    text = '<!DOCTYPE x [<!ENTITY a "' + "b" * 10 + '">]><x>&a;</x>'
    with pytest.raises(DTDForbidden):
        parse_xml(text.encode(encoding))
    assert parse_xml("<x>&amp;</x>".encode(encoding)).text == "&"


def _zip_with(part: bytes, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    import io as _io

    buffer = _io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as z:
        z.writestr("xl/workbook.xml", b"<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", part)
    return buffer.getvalue()


def _varied_text(size: int) -> bytes:
    """Text that compresses about 2:1, far below the 200:1 bound."""
    import random

    rng = random.Random(1)
    words = [
        bytes(rng.choices(b"abcdefghijklmnopqrstuvwxyz", k=rng.randint(2, 9))) for _ in range(5000)
    ]
    return b" ".join(rng.choice(words) for _ in range(size // 5))[:size]


BOMB = b"<worksheet><sheetData>" + b" " * (64 * 1024 * 1024) + b"</sheetData></worksheet>"


def test_a_large_part_is_read_whole_and_a_bomb_refused_early(monkeypatch):
    import zlib

    from couple_xl import boundary
    from couple_xl.errors import Location, ReadError

    part = b"<worksheet><sheetData>" + _varied_text(3 * boundary.MiB) + b"</sheetData></worksheet>"
    package = boundary.open_package(_zip_with(part), Location())
    assert package.parts["xl/worksheets/sheet1.xml"] == part

    # 64 MiB of spaces compresses about 1000:1: refused once it has expanded past the
    # ratio of what has been read, long before the part's cap.
    expanded: list[int] = []
    real = zlib.decompressobj

    class Watched:
        def __init__(self, *args):
            self.inner = real(*args)

        def decompress(self, data, max_length=0):
            out = self.inner.decompress(data, max_length)
            expanded.append(len(out))
            return out

        def __getattr__(self, name):
            return getattr(self.inner, name)

    monkeypatch.setattr(zlib, "decompressobj", Watched)
    with pytest.raises(ReadError, match="compression bomb"):
        boundary.open_package(_zip_with(BOMB), Location())
    monkeypatch.undo()
    assert expanded
    assert sum(expanded) < 2 * boundary.MiB

    # Under the per-part cap, a part just over it is refused too, and one just under read.
    limits = boundary.Limits(part_bytes=len(part) - 1)
    with pytest.raises(ReadError, match="compression bomb"):
        boundary.open_package(_zip_with(part), Location(), limits)
    limits = boundary.Limits(part_bytes=len(part))
    assert boundary.open_package(_zip_with(part), Location(), limits).parts


def test_a_part_zipfile_must_read_keeps_the_same_caps(monkeypatch):
    # A part compressed otherwise than by deflate is read by zipfile itself, streamed
    # under the same caps: read whole when it is fine, refused early when it is a bomb.
    from couple_xl import boundary
    from couple_xl.errors import Location, ReadError

    part = b"<worksheet><sheetData>" + _varied_text(2 * boundary.MiB) + b"</sheetData></worksheet>"
    package = boundary.open_package(_zip_with(part, zipfile.ZIP_BZIP2), Location())
    assert package.parts["xl/worksheets/sheet1.xml"] == part
    expanded: list[int] = []
    real = boundary._read_large

    def watched(stream, info, first, cap, ratio, bomb):
        try:
            return real(stream, info, first, cap, ratio, bomb)
        finally:
            expanded.append(stream.tell() if hasattr(stream, "tell") else 0)

    monkeypatch.setattr(boundary, "_read_large", watched)
    with pytest.raises(ReadError, match="compression bomb"):
        boundary.open_package(_zip_with(BOMB, zipfile.ZIP_BZIP2), Location())
    assert expanded
    assert expanded[0] < 2 * boundary.MiB


def test_a_part_read_straight_from_the_zip_is_what_zipfile_reads(corpus):
    # The quick way of reading a part (zlib on the file's bytes) against zipfile itself,
    # on every part of the corpus's zips, damaged ones included: the same bytes, or both
    # refuse it.
    import zlib

    from couple_xl import boundary

    compared = 0
    for path in sorted(corpus.returns.rglob("*.xls*")):
        if not path.is_file() or path.is_symlink():
            continue
        raw = path.read_bytes()
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError):
            continue
        ends = boundary._entry_ends(archive.infolist(), archive.start_dir)
        for info in archive.infolist():
            if info.file_size > 8 * boundary.MiB:
                continue
            try:
                expected = archive.read(info)
            except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, RuntimeError):
                expected = None
            try:
                got = boundary._inflate(raw, info, ends[id(info)], 64 * boundary.MiB, 200)
            except (zipfile.BadZipFile, EOFError, zlib.error, boundary._Expands):
                got = None
            else:
                if got is None:  # left to zipfile
                    continue
            assert got == expected, (path.name, info.filename)
            compared += 1
    assert compared > 500


def _plain_zip() -> bytes:
    import io as _io

    buffer = _io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", b"<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<worksheet><sheetData/></worksheet>" * 50)
    return buffer.getvalue()


def _entries_before_the_end(raw: bytes) -> bytes:
    """The same zip, its entries moved into the archive comment at the end: its directory
    now says each starts before the first byte of the file (zipfile cannot seek there)."""
    import struct

    end = raw.rfind(b"PK\x05\x06")
    head = struct.unpack("<4s4H2LH", raw[end : end + 22])
    directory_at = head[6]
    comment = raw[:directory_at] + b"\0" * 10
    # The directory now starts the file: every offset is taken back by its old place.
    shifted = struct.pack("<4s4H2LH", *head[:6], len(comment), len(comment))
    return raw[directory_at:end] + shifted + comment


def _entry_running_into_the_next(raw: bytes) -> bytes:
    """The same zip, its first entry's compressed size in the directory made to reach
    into the next entry, as in a zip bomb that makes entries share their data."""
    import struct

    at = raw.find(b"PK\x01\x02")
    size = struct.unpack("<L", raw[at + 20 : at + 24])[0]
    return raw[: at + 20] + struct.pack("<L", size + 40) + raw[at + 24 :]


@pytest.mark.parametrize(
    "damage", [_entries_before_the_end, _entry_running_into_the_next], ids=lambda f: f.__name__
)
def test_a_zip_whose_directory_points_where_no_entry_can_be_is_refused(damage):
    # What the directory says about where an entry lies is checked as zipfile checks it
    # (Python 3.12 and later refuse entries that overlap): the part is damaged, whatever
    # bytes lie where the directory points.
    from couple_xl import boundary
    from couple_xl.errors import Location, ReadError

    raw = _plain_zip()
    assert boundary.open_package(raw, Location()).parts["xl/workbook.xml"] == b"<workbook/>"
    with pytest.raises(ReadError) as refused:
        boundary.open_package(damage(raw), Location())
    assert "damaged" in refused.value.message
    assert "xl/workbook.xml" in refused.value.message


def test_the_sheet_scan_measures_the_same_with_either_way():
    # A sheet in the form every app writes is measured by patterns; the general walk (an
    # XML parser, cell by cell) must measure the same sheet the same way.
    from couple_xl import boundary

    sheet = (
        b'<worksheet><sheetData><row r="1"><c r="A1" s="2"/><c r="B1" t="s"><v>0</v></c>'
        b'<c r="C1"><f>SUM(1,2)</f><v>3</v></c></row><row r="7"><c r="D7" t="inlineStr">'
        b'<is><t>x</t></is></c><c r="E7" s="1">\n  <f t="shared" si="0"/><v>1</v></c>'
        b'<c r="F9" t="e"><v>#N/A</v></c><c r="AA3" s="4"></c></row></sheetData></worksheet>'
    )
    fast, walked = boundary.scan_sheet(sheet), boundary._walk_sheet(sheet)
    assert fast.data is not None  # measured by the patterns, not walked
    assert fast.formula_cells == {(0, 2), (6, 4)} == set(walked.formulas)
    # By hand: values in A..F (AA3 is empty), as far down as row 9.
    for scan in (fast, walked):
        assert (scan.rows, scan.cols) == (9, 6)
        assert scan.errors == {(8, 5): "#N/A"}
        assert scan.formula_at(0, 2) == "SUM(1,2)"
        assert scan.formula_at(6, 4) == ""
        assert scan.formula_at(0, 1) is None


def test_the_cell_pattern_finds_the_same_cells_on_every_python(corpus):
    # Python 3.10 reads the cell pattern without its possessive quantifiers: it must find
    # the very same cells, on every sheet of the corpus and on the odd spellings below.
    import re

    from couple_xl import boundary

    greedy = re.compile(boundary._CELL_PATTERN % {b"p": b""})
    sheets = [b"<sheetData>" + cells + b"</sheetData>" for cells, _ in ODD_CELLS.values()] + [
        b'<c r="A1" s="1" ><v>1</v></c><c r="B1"\t/><c r="C1"  t="s"> <v>0</v></c>'
    ]
    for path in sorted(corpus.returns.glob("*.xls*")):
        with contextlib.suppress(zipfile.BadZipFile, OSError), zipfile.ZipFile(path) as z:
            sheets += [
                z.read(i)
                for i in z.infolist()
                if i.filename.startswith("xl/worksheets/") and i.file_size < boundary.MiB
            ]
    assert len(sheets) > 100
    for sheet in sheets:
        assert boundary._CELL.findall(sheet) == greedy.findall(sheet)


# Cells python-calamine places as far as Z50 (each measured by building the workbook and
# loading it with python-calamine), in spellings that spreadsheet apps do not write. The
# scan must never measure less: it refuses the grid before python-calamine builds it.
ODD_CELLS = {
    "a line break in the tag": (b'<row r="50"><c\nr="Z50"><v>2</v></c></row>', (50, 26)),
    "a namespace prefix": (
        b'<row r="50"><x:c xmlns:x="urn:x" r="Z50"><x:v>2</x:v></x:c></row>',
        (50, 26),
    ),
    "a comment before the value": (
        b'<row r="50"><c r="Z50"><!-- x --><v>2</v></c></row>',
        (50, 26),
    ),
    "a > in another attribute": (b'<row r="50"><c r="Z50" s=">"><v>2</v></c></row>', (50, 26)),
    "spaces around =": (b'<row r="50"><c r = "Z50"><v>2</v></c></row>', (50, 26)),
    "r= inside another attribute": (
        b'<row r="50"><c foo="r=\'B2\'" r="Z50"><v>2</v></c></row>',
        (50, 26),
    ),
    "a reference given twice": (b'<row r="50"><c r="B1" r="Z50"><v>2</v></c></row>', None),
    "a cell placed after one with a reference": (
        b'<row r="50"><c r="Y50"><v>2</v></c><c><v>3</v></c></row>',
        (50, 26),
    ),
    "a row placed after the row before": (b"<row><c><v>2</v></c></row>", (2, 1)),
    # python-calamine takes whatever comes after a tag's first colon as its name, so a
    # prefix of any letters (or none at all) still makes a cell.
    "a prefix in other letters": (
        '<row r="50"><é:c xmlns:é="urn:x" r="Z50"><v>2</v></é:c></row>'.encode(),
        (50, 26),
    ),
    "an empty prefix": (b'<row r="50"><:c r="Z50"><v>2</v></:c></row>', (50, 26)),
}


@pytest.mark.parametrize("body", ODD_CELLS.values(), ids=list(ODD_CELLS))
def test_an_odd_spelling_of_a_cell_is_never_measured_short(body):
    import xml.parsers.expat

    from couple_xl import boundary
    from couple_xl.errors import Location, ReadError

    cells, grid = body
    sheet = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1"><v>1</v></c></row>' + cells + b"</sheetData></worksheet>"
    )
    if grid is None:  # python-calamine takes the last reference; XML allows only one
        with pytest.raises(xml.parsers.expat.ExpatError):
            boundary.scan_sheet(sheet)
        # ...and the workbook is refused, in words, before python-calamine sees it.
        book = boundary.open_book(_workbook_with(sheet), Location())
        with pytest.raises(ReadError) as refused:
            book.sheet("S")
        assert "cannot read the workbook" in refused.value.message
        return
    scan = boundary.scan_sheet(sheet)
    assert scan.rows >= grid[0]
    assert scan.cols >= grid[1]


@pytest.mark.parametrize("prefix", ["é", "", "1", "a\x0b", "x/y"], ids=repr)
def test_a_far_cell_behind_any_prefix_is_refused_before_it_is_loaded(prefix):
    # A far cell whose tag has a prefix no XML name could start with (python-calamine
    # reads it all the same) once slipped past both scans: python-calamine then built a
    # grid past the limit (at XFD1048576 the reader dies). AAA2000 is 1,406,000 cells.
    from couple_xl import boundary
    from couple_xl.errors import Location, ReadError

    tag = prefix.encode() + b":c"
    sheet = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1"><v>1</v></c><'
        + tag
        + b' r="AAA2000"><v>2</v></'
        + tag
        + b"></row></sheetData></worksheet>"
    )
    assert boundary.quick_scan(sheet) is None
    book = boundary.open_book(_workbook_with(sheet), Location())
    with pytest.raises(ReadError) as refused:
        book.sheet("S")
    assert "AAA2000" in refused.value.message or "cannot read" in refused.value.message


@contextlib.contextmanager
def _no_hang(seconds: int = 120):
    """Fail, rather than hang the run, when what it guards never ends: a guard against a
    search that is quadratic in the sheet (hours here), never a measure of speed."""
    import signal

    def stop(*_):
        raise AssertionError(f"still searching after {seconds} s: the search is quadratic")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


SLOW_SHEETS = {
    # A tag that repeats its type: a lazy search tried every later repeat.
    "a type repeated": b'<row r="1"><c r="A1"' + b' t="e"' * 100_000 + b'/><c r="B1" t="e">'
    b"<v>#N/A</v></c></row>",
    # Cells left unclosed: each one's search read the rest of the sheet.
    "error cells left open": b'<row r="1">' + b'<c r="A1" t="e"><v>1</v>' * 100_000 + b"</row>",
    "formulas left open": b'<row r="1">' + b'<c r="B1"><f>1+1' * 100_000 + b"</row>",
}


@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGALRM"), reason="POSIX alarm")
@pytest.mark.parametrize("cells", SLOW_SHEETS.values(), ids=list(SLOW_SHEETS))
def test_the_sheet_scan_is_never_quadratic_in_a_hostile_sheet(cells):
    # The scan reads a sheet before it is known to be well-formed XML: a tag repeating
    # an attribute, or cells never closed, must not make its searches read the sheet
    # again for every cell. Both scans, and the formulas of the column asked about.
    from couple_xl import boundary

    sheet = b"<worksheet><sheetData>" + cells + b"</sheetData></worksheet>"
    with _no_hang():
        for scan in (boundary.quick_scan(sheet), boundary.scan_sheet(sheet)):
            assert scan is not None
            scan.formula_at(0, 1)
            assert scan.errors.get((0, 1), "#N/A") == "#N/A"


def _workbook_with(sheet: bytes) -> bytes:
    """A one-sheet workbook ("S") whose sheet part is ``sheet``."""
    import io as _io

    ns = b"http://schemas.openxmlformats.org"
    buffer = _io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "_rels/.rels",
            b'<Relationships xmlns="' + ns + b'/package/2006/relationships"><Relationship '
            b'Id="rId1" Type="' + ns + b'/officeDocument/2006/relationships/officeDocument"'
            b' Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            b'<workbook xmlns="'
            + ns
            + b'/spreadsheetml/2006/main" xmlns:r="'
            + ns
            + b'/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1"'
            b' r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            b'<Relationships xmlns="' + ns + b'/package/2006/relationships"><Relationship '
            b'Id="rId1" Type="' + ns + b'/officeDocument/2006/relationships/worksheet" '
            b'Target="worksheets/sheet1.xml"/></Relationships>',
        )
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


def test_the_quick_scan_never_measures_less_than_the_full_one(corpus):
    # The quick scan vouches only for sheets whose every cell lies within A1:ZZ999, and
    # then finds the same error cells and formulas as the full scan.
    from couple_xl import boundary

    sheets = [b"<sheetData>" + cells + b"</sheetData>" for cells, _ in ODD_CELLS.values()] + [
        b'<sheetData><row r="1"><c r="ZZ999"><v>1</v></c></row></sheetData>',
        b'<sheetData><row r="1"><c r="AAA1"><v>1</v></c></row></sheetData>',
        b'<sheetData><row r="1"><c r="A1000"><v>1</v></c></row></sheetData>',
        b'<sheetData><row r="1"><c r="B2" t="e"><f>1/0</f><v>#DIV/0!</v></c></row></sheetData>',
    ]
    for path in sorted(corpus.returns.glob("*.xls*")):
        with contextlib.suppress(zipfile.BadZipFile, OSError), zipfile.ZipFile(path) as z:
            sheets += [
                z.read(i)
                for i in z.infolist()
                if i.filename.startswith("xl/worksheets/") and i.file_size < boundary.MiB
            ]
    vouched = 0
    for sheet in sheets:
        quick = boundary.quick_scan(sheet)
        if quick is None:
            continue
        vouched += 1
        full = boundary.scan_sheet(sheet)
        assert full.rows <= boundary.QUICK_ROWS
        assert full.cols <= boundary.QUICK_COLUMNS
        assert quick.errors == full.errors
        for row in range(full.rows):
            for col in range(full.cols):
                assert quick.formula_at(row, col) == full.formula_at(row, col)
    assert vouched > 50
    for far in (b'<c r="AAA1"><v>1</v></c>', b'<c r="A1000"><v>1</v></c>'):
        assert boundary.quick_scan(b"<sheetData><row>" + far + b"</row></sheetData>") is None
    for cells, grid in ODD_CELLS.values():
        quick = boundary.quick_scan(b"<sheetData>" + cells + b"</sheetData>")
        if grid is None:  # two references: only the full scan refuses it
            assert quick is None
        elif quick is not None:  # python-calamine's grid lies within what it vouches for
            assert grid[0] <= quick.rows
            assert grid[1] <= quick.cols


def test_formulas_are_found_without_the_shortcut(monkeypatch):
    # The measuring notes which cells start with a formula (a large sheet a MiB at a time)
    # when there are at most MAX_NOTED_CELLS of them; past that, each asked-about column
    # is searched instead. Both ways must find the same formulas, placed by hand here.
    from couple_xl import boundary

    def sheet(padding: bytes) -> bytes:
        return (
            b'<worksheet><sheetData><row r="1"><c r="A1"><f>1+1</f><v>2</v></c>'
            b'<c r="B1" t="inlineStr"><is><t>' + padding + b"</t></is></c></row>"
            b'<row r="4"><c r="B4"><f>A1&amp;"x"</f><v>2x</v></c><c r="C4"><v>5</v></c>'
            b'<c r="D4" s="1">\n <f t="shared" si="0"/><v>1</v></c></row></sheetData></worksheet>'
        )

    small = boundary.scan_sheet(sheet(b"text"))
    large = boundary.scan_sheet(sheet(b"x" * boundary.MiB))
    monkeypatch.setattr(boundary, "MAX_NOTED_CELLS", 2)
    many = boundary.scan_sheet(sheet(b"text"))
    assert small.formula_cells == {(0, 0), (3, 1), (3, 3)} == large.formula_cells
    assert many.formula_cells is None
    for scan in (small, large, many):
        assert (scan.rows, scan.cols) == (4, 4)
        assert scan.formula_at(0, 0) == "1+1"
        assert scan.formula_at(3, 1) == 'A1&"x"'
        assert scan.formula_at(3, 3) == ""
        assert scan.formula_at(3, 2) is None  # a plain value
        assert scan.formula_at(0, 1) is None  # text
        assert scan.formula_at(9, 0) is None  # beyond the sheet
