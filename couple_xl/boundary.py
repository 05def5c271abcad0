"""The read boundary: everything couple_xl reads from outside is parsed through here.

Returns, manifests, partners files and templates come from other people's machines
and email. Reading them follows one rule, after pyxform's ``xlsx_to_dict``: the whole
read runs inside ``guarded``, which turns every failure of the file system, zip, XML
and spreadsheet layers into a ``ReadError`` that says where and what to do. What a
``try`` cannot catch (a parser asking for hundreds of gigabytes, a decompression bomb)
is prevented before it starts:

- a file is read only up to ``Limits.file_bytes``;
- a workbook's zip may hold at most ``Limits.entries`` parts, none named twice;
- every XML part is decompressed under caps, per part and in total; one over a MiB is
  streamed, and refused as soon as it expands more than a ratio of the compressed
  bytes read so far (the sizes a zip declares can lie);
  pictures and other binary parts (``xl/media``: pasted screenshots of evidence) are
  never decompressed;
- no XML part may carry a document type declaration (entity expansion, external
  entities): workbooks never need one;
- before a sheet's cells are loaded, its size is measured from its XML (largest cell
  reference holding a value) and an absurd grid is refused;
- python-calamine then reads the workbook only once every XML part in it has been
  checked, every part the workbook points to is among them, and the sheet it loads has
  passed the grid check.

What a file is comes from its content first (``sniff``), its name second, and both the
Transitional and the Strict namespaces of Office Open XML are read. Every message is in
the user's words (couple_xl.messages); what a library said goes in the error's detail.
"""

from __future__ import annotations

import functools
import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import messages as say
from .errors import CoupleError, Location, ReadError
from .messages import RESAVE

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What couple_xl will read. Documented in the README ("Limits")."""

    file_bytes: int = 100 * MiB  # a return with pasted screenshots is about 25 MB
    entries: int = 10_000  # parts in one workbook; a real one has tens to hundreds
    part_bytes: int = 64 * MiB  # one XML part, decompressed
    total_bytes: int = 256 * MiB  # all XML parts of one workbook, decompressed
    ratio: int = 200  # decompressed / compressed, for parts over 1 MiB
    grid_cells: int = 1_000_000  # rows x columns of one sheet, counted from A1
    text_bytes: int = 16 * MiB  # a manifest, template or partners CSV


LIMITS = Limits()


def describe(err: BaseException) -> str:
    """A short description of an exception, its type and first line: for a finding's
    detail (shown with --debug), never for its message."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return f"{type(err).__name__}: {text}"[:300] if text else type(err).__name__


@functools.cache
def parser_errors() -> tuple[type[BaseException], ...]:
    """What the file-system, zip, XML, JSON, TOML and spreadsheet layers raise on bad input."""
    import json
    import xml.etree.ElementTree as ET
    import xml.parsers.expat

    from defusedxml import DefusedXmlException
    from python_calamine import CalamineError

    from .templates import tomllib

    return (
        OSError,
        EOFError,
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        UnicodeError,
        ET.ParseError,
        xml.parsers.expat.ExpatError,
        DefusedXmlException,
        json.JSONDecodeError,
        tomllib.TOMLDecodeError,
        CalamineError,
    )


def _is_parser_failure(err: BaseException) -> bool:
    # A Rust panic inside python-calamine arrives as pyo3's PanicException, a
    # BaseException that cannot be imported by name.
    return isinstance(err, parser_errors()) or type(err).__name__ == "PanicException"


def why_unreadable(err: BaseException) -> str:
    """What a parser's failure means for the file, in words (never the library's own)."""
    import json
    import xml.etree.ElementTree as ET
    import xml.parsers.expat

    from defusedxml import DefusedXmlException

    from .templates import tomllib

    if isinstance(err, DefusedXmlException):
        return say.WHY_DTD
    if isinstance(err, json.JSONDecodeError):  # before UnicodeError: neither is the other
        return say.WHY_JSON
    if isinstance(err, tomllib.TOMLDecodeError):
        return say.WHY_TOML
    if isinstance(err, (ET.ParseError, xml.parsers.expat.ExpatError)):
        return say.WHY_XML
    if isinstance(err, UnicodeError):
        return say.WHY_TEXT
    if isinstance(err, (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError)):
        return say.WHY_DAMAGED
    if isinstance(err, OSError):
        return err.strerror or say.WHY_UNKNOWN
    return say.WHY_SPREADSHEET if _is_spreadsheet_failure(err) else say.WHY_UNKNOWN


def _is_spreadsheet_failure(err: BaseException) -> bool:
    from python_calamine import CalamineError

    return isinstance(err, CalamineError) or type(err).__name__ == "PanicException"


@contextmanager
def guarded(location: Location, what: str, instruction: str = RESAVE) -> Iterator[None]:
    """Run a read; a failure of any parsing layer becomes a located ReadError.

    Our own errors pass through as they are, and so does anything else: a bug in
    couple_xl is reported as one (see consolidate), never blamed on the file.
    """
    try:
        yield
    except CoupleError:
        raise
    except MemoryError as err:
        raise ReadError(
            f"{what} is too large to read: {instruction}", location, detail=describe(err)
        ) from err
    except RecursionError as err:
        raise ReadError(
            f"{what} is nested too deeply to read: {instruction}", location, detail=describe(err)
        ) from err
    except OSError as err:
        reason = err.strerror or say.WHY_UNKNOWN
        raise ReadError(f"cannot read {what}: {reason}", location, detail=describe(err)) from err
    except BaseException as err:
        if not _is_parser_failure(err):
            raise
        why = why_unreadable(err)
        message = say.CANNOT_READ.format(what=what, why=why, instruction=instruction)
        raise ReadError(message, location, detail=describe(err)) from err


def read_file(path: Path, limit: int, what: str = "the file") -> bytes:
    """A file's bytes, refusing one over ``limit`` before reading it all."""
    where = Location(file=path)
    with guarded(where, what):
        if path.is_dir():
            raise ReadError(f"{what} is a folder, not a file", where)
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    if len(data) > limit:
        raise ReadError(
            f"{what} is larger than couple_xl reads ({limit // MiB} MB): "
            "check it is the right file",
            where,
        )
    return data


# --- what kind of file is it? ---------------------------------------------------------

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_GZIP_MAGIC = b"\x1f\x8b"


def _ole_name(name: str) -> bytes:
    """A directory entry's name in an OLE compound file, as it is stored (UTF-16LE)."""
    return name.encode("utf-16-le")


# What an OLE compound file (the container of Office's older formats) holds, by the
# name of a stream in it; the first found decides. An encrypted .xlsx is one too.
_OLE_KINDS = (
    (_ole_name("EncryptionInfo"), say.PASSWORD),
    (_ole_name("WordDocument"), say.WRONG_FILE.format(kind=say.KIND_DOC)),
    (_ole_name("PowerPoint Document"), say.WRONG_FILE.format(kind=say.KIND_PPT)),
    (_ole_name("__substg1.0_"), say.WRONG_FILE.format(kind=say.KIND_MSG)),
    (_ole_name("Workbook"), say.OTHER_FORMAT.format(kind=say.KIND_XLS)),
    (_ole_name("Book"), say.OTHER_FORMAT.format(kind=say.KIND_XLS)),
)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def sniff(data: bytes, suffix: str = "") -> str | None:
    """Why these bytes are not an Office Open XML package, or None when they may be.

    The content decides; the file's extension (``suffix``, such as ".xls") only names
    what the content leaves open, such as an OLE file with no stream it recognises.
    """
    suffix = suffix.lower()
    if not data:
        return say.EMPTY
    if data.startswith(b"PK"):
        return None
    if data.startswith(_OLE_MAGIC) or data.startswith(_OLE_MAGIC[:4]):
        for name, problem in _OLE_KINDS:
            if name in data:
                return problem
        if suffix in (".xls", ".xlt"):
            return say.OTHER_FORMAT.format(kind=say.KIND_XLS)
        return say.OTHER_FORMAT.format(kind=say.KIND_OLD_OFFICE)
    if data.startswith(_GZIP_MAGIC):
        return _sniff_gzip(data, suffix)
    head = _text_head(data)
    if head.startswith(b"%pdf"):
        return say.PDF
    if head.startswith(b"<"):
        return _sniff_markup(head, suffix)
    if b"\0" not in head and _looks_like_text(data[:4096]):
        return say.OTHER_FORMAT.format(kind=say.KIND_CSV) if suffix == ".csv" else say.TEXT
    return say.NOT_A_WORKBOOK


def _text_head(data: bytes) -> bytes:
    """The first few kilobytes as lower-case bytes, without a byte order mark (UTF-16
    turned into UTF-8), for recognising a text format by its opening."""
    head = data[:8192]
    if head.startswith(_BOMS[1:]):
        head = head.decode("utf-16", errors="replace").encode("utf-8")
    return head.removeprefix(_BOMS[0]).lstrip().lower()


def _looks_like_text(data: bytes) -> bool:
    """Nearly all printable characters, as UTF-8 or Windows' own code page: text."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:  # text cut in the middle of a character is text
        if err.start < len(data) - 3:
            text = data.decode("cp1252", errors="replace")
        else:
            text = data[: err.start].decode("utf-8")
    printable = sum(ch.isprintable() or ch in "\t\r\n" for ch in text)
    return printable >= 0.95 * max(len(text), 1)


def _sniff_markup(head: bytes, suffix: str) -> str:
    """What an XML or HTML file is, from its opening."""
    if head.startswith((b"<html", b"<!doctype html")):
        return say.WEB_PAGE
    if b"opendocument:xmlns:office" in head:
        if b"opendocument.spreadsheet" in head or suffix == ".fods":
            return say.OTHER_FORMAT.format(kind=say.KIND_FODS)
        return say.WRONG_FILE.format(kind=say.KIND_ODF)
    if b"gnumeric" in head:
        return say.OTHER_FORMAT.format(kind=say.KIND_GNUMERIC)
    if b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        return say.OTHER_FORMAT.format(kind=say.KIND_EXCEL_XML)
    return say.WEB_PAGE


def _sniff_gzip(data: bytes, suffix: str) -> str:
    """Gnumeric saves its workbooks as compressed XML: a peek at the start tells."""
    try:  # at most 8 KB is decompressed, however large the file says it is
        head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data[: 64 * 1024], 8192)
    except zlib.error:
        head = b""
    if b"gnumeric" in head.lower() or (not head and suffix == ".gnumeric"):
        return say.OTHER_FORMAT.format(kind=say.KIND_GNUMERIC)
    return say.WRONG_FILE.format(kind=say.KIND_GZIP)


# The main part's content type of what is an Excel package but not a workbook.
_NOT_A_WORKBOOK_TYPES = (
    (b"spreadsheetml.template.main+xml", say.KIND_XLTX),
    (b"ms-excel.template.macroenabled.main+xml", say.KIND_XLTM),
    (b"ms-excel.addin.macroenabled.main+xml", say.KIND_XLAM),
)


def _not_a_workbook(archive: zipfile.ZipFile, names: set[str]) -> str:
    """What a zip that has no workbook part is, as far as its parts tell."""
    if "word/document.xml" in names:
        return say.WRONG_FILE.format(kind=say.KIND_DOCX)
    if "ppt/presentation.xml" in names:
        return say.WRONG_FILE.format(kind=say.KIND_PPT)
    if "xl/workbook.bin" in names:
        return say.OTHER_FORMAT.format(kind=say.KIND_XLSB)
    if "Index/Document.iwa" in names or any(n.startswith("Index/") for n in names):
        return say.NUMBERS
    if "mimetype" in names:
        # An OpenDocument file names its kind in a short first part, stored as it is.
        with archive.open("mimetype") as part:
            mimetype = part.read(200)
        if b"opendocument.spreadsheet" in mimetype:
            return say.OTHER_FORMAT.format(kind=say.KIND_ODS)
        if b"opendocument" in mimetype:
            return say.WRONG_FILE.format(kind=say.KIND_ODF)
    return say.ZIP_NOT_A_WORKBOOK


def _not_a_workbook_type(content_types: bytes) -> str | None:
    """Why a package with a workbook part is still not a workbook (a template), or None."""
    lowered = content_types.lower()
    for content_type, kind in _NOT_A_WORKBOOK_TYPES:
        if content_type in lowered:
            return say.OTHER_FORMAT.format(kind=kind)
    return None


# --- the package ---------------------------------------------------------------------

_DOCTYPE = re.compile(rb"<!(?:DOCTYPE|ENTITY)")
_CHUNK = 64 * 1024
# UTF-16 by its first two bytes: a byte order mark, or (as an XML parser also
# recognises it) the "<" that starts the part.
_UTF16 = {b"\xff\xfe": "utf-16", b"\xfe\xff": "utf-16", b"<\0": "utf-16-le", b"\0<": "utf-16-be"}


# The parts that python-calamine or couple_xl ever read: only these are decompressed
# and checked. (A theme, a drawing or a chart is never read, so it cannot harm a read.)
_READ_PARTS = re.compile(
    r"^(?:\[Content_Types\]\.xml|_rels/\.rels|docProps/[^/]+\.xml|xl/workbook\.xml"
    r"|xl/_rels/workbook\.xml\.rels|xl/sharedStrings\.xml|xl/styles\.xml"
    r"|xl/worksheets/[^/]+\.xml)$",
    re.I,
)
# Relationships a reader follows from the workbook: their targets must have been checked.
_FOLLOWED = ("/worksheet", "/sharedStrings", "/styles")


def _is_read_part(name: str) -> bool:
    return bool(_READ_PARTS.match(name))


@dataclass
class Package:
    """A workbook's checked XML parts, decompressed, by part name, and the original bytes:
    what python-calamine reads, once every part it can reach has been checked."""

    location: Location
    parts: dict[str, bytes]
    data: bytes
    limits: Limits = LIMITS
    _scans: dict[str, SheetScan] = field(default_factory=dict)
    _sheets: _SheetIndex | None = None
    _parsed: dict[str, Any] = field(default_factory=dict)

    def xml(self, name: str) -> Any:
        """A part parsed (once), or None when the workbook has no such part."""
        data = self.parts.get(name)
        if data is None:
            return None
        if name not in self._parsed:
            with guarded(Location(file=self.location.file, key=name), "a part of the workbook"):
                self._parsed[name] = parse_xml(data)
        return self._parsed[name]

    def sheet_parts(self) -> dict[str, str]:
        """Sheet name -> worksheet part name, from the workbook and its relationships."""
        return self._index().parts

    def macro_sheets(self) -> list[str]:
        """The names of the workbook's Excel 4 macro sheets, which are never read."""
        return list(self._index().unread)

    def reader_data(self) -> bytes:
        """The bytes python-calamine reads: the file as it is, unless it holds sheets
        calamine refuses to open a workbook for (Excel 4 macro sheets). Then a copy made
        of the checked parts alone, without those sheets, which couple_xl never needs."""
        unread = self._index().unread
        if not unread:
            return self.data
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as copy:
            for name, part in self.parts.items():
                if name == "xl/workbook.xml":
                    part = _without_sheets(part, set(unread.values()))
                copy.writestr(name, part)
        return buffer.getvalue()

    def _index(self) -> _SheetIndex:
        if self._sheets is None:
            self._sheets = _sheet_index(self)
        return self._sheets

    def scan(self, sheet: str) -> SheetScan:
        """The measured size, error cells and formula cells of one sheet."""
        if sheet not in self._scans:
            part = self.sheet_parts().get(sheet)
            data = self.parts.get(part, b"") if part else b""
            self._scans[sheet] = scan_sheet(data)
        return self._scans[sheet]

    def check_grid(self, sheet: str) -> None:
        """Refuse a sheet whose cells span an absurd grid, before anything loads it."""
        s = self.scan(sheet)
        cells = s.rows * s.cols
        if cells > self.limits.grid_cells:
            raise ReadError(
                f"cells are used as far as {cell_name(s.rows - 1, s.cols - 1)}, a grid of "
                f"{cells:,} cells (couple_xl reads at most "
                f"{self.limits.grid_cells:,} per sheet): ask the partner to delete the "
                "rows and columns beyond their answers (Ctrl+End shows the last used cell) "
                "and send it again",
                Location(file=self.location.file, sheet=sheet),
            )


def open_package(
    data: bytes, location: Location, limits: Limits = LIMITS, suffix: str = ""
) -> Package:
    """Check a workbook's zip and decompress its XML parts, within ``limits``.

    ``suffix`` is the file's extension, which only names what its content leaves open.
    """
    problem = sniff(data, suffix)
    if problem:
        raise ReadError(problem, location)
    with guarded(location, "the workbook"):
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except Exception:  # only zipfile runs here: the zip's directory is damaged
            kind = suffix.lower() if suffix.lower().startswith(".") else ".xlsx"
            raise ReadError(say.CUT_SHORT.format(kind=kind), location) from None
        with archive:
            infos = archive.infolist()
            if len(infos) > limits.entries:
                raise ReadError(
                    f"the workbook's zip holds {len(infos):,} parts (couple_xl reads at most "
                    f"{limits.entries:,}): it is not a workbook couple_xl can read safely: "
                    + RESAVE,
                    location,
                )
            names = [i.filename for i in infos]
            if len(set(names)) != len(names):
                twice = next(n for n in names if names.count(n) > 1)
                raise ReadError(
                    f"the workbook's zip holds two parts named {twice!r}: it is damaged or "
                    f"was tampered with: {RESAVE}",
                    location,
                )
            if "xl/workbook.xml" not in names:
                raise ReadError(_not_a_workbook(archive, set(names)), location)
            parts: dict[str, bytes] = {}
            budget = limits.total_bytes
            for info in infos:
                if info.is_dir() or not _is_read_part(info.filename):
                    continue
                part = _decompress(archive, info, location, limits, budget)
                budget -= len(part)
                parts[info.filename] = part
    problem = _not_a_workbook_type(parts.get("[Content_Types].xml", b""))
    if problem:
        raise ReadError(problem, location)
    package = Package(location, parts, data, limits)
    _check_reachable(package)
    return package


def _decompress(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: Location, limits: Limits, budget: int
) -> bytes:
    """One part, decompressed within the caps, then checked for a document type declaration."""
    cap = min(limits.part_bytes, budget)
    bomb = ReadError(
        f"the part {info.filename} expands beyond what a workbook needs "
        "(a compression bomb, or a damaged file): " + RESAVE,
        where,
    )
    try:
        with archive.open(info) as stream:
            # Nearly every part is read whole by this first read, which stops after a MiB.
            data = stream.read(min(cap, MiB) + 1)
            if len(data) > MiB:
                data = _read_large(stream, info, data, cap, limits.ratio, bomb)
    except CoupleError:
        raise
    except Exception as err:  # only zipfile and zlib run here: the part is damaged
        raise ReadError(
            say.PART_DAMAGED.format(part=info.filename), where, detail=describe(err)
        ) from None
    if len(data) > cap:
        raise bomb
    head = data
    if data[:2] in _UTF16:
        head = data.decode(_UTF16[data[:2]], errors="replace").encode("utf-8")
    if _DOCTYPE.search(head):
        raise ReadError(
            f"the part {info.filename} carries an XML document type declaration, which "
            "workbooks never need and which is used to attack programs that read them: "
            "couple_xl refuses it. " + RESAVE[0].upper() + RESAVE[1:],
            where,
        )
    return data


def parse_xml(data: bytes) -> Any:
    """An XML part as an ElementTree element, refusing a document type declaration.

    Expat reads the part twice, at C speed both times: first with nothing but a handler
    that refuses a document type declaration as it starts (before any entity in it is
    declared), then through ElementTree's C parser. (defusedxml does the same check
    through ElementTree's Python parser, several times slower; _decompress has
    already refused the declaration's bytes in the encodings workbooks use.)
    """
    import xml.etree.ElementTree as ET
    import xml.parsers.expat

    from defusedxml import DTDForbidden

    def refuse(name: str, sysid: str | None, pubid: str | None, *_: Any) -> None:
        raise DTDForbidden(name, sysid, pubid)

    check = xml.parsers.expat.ParserCreate()
    check.StartDoctypeDeclHandler = refuse
    check.Parse(data, True)
    return ET.fromstring(data)


def _read_large(
    stream: Any, info: zipfile.ZipInfo, first: bytes, cap: int, ratio: int, bomb: ReadError
) -> bytes:
    """The rest of a part over a MiB, streamed: refused as soon as it passes the cap or
    expands more than ``ratio`` times the compressed bytes read so far."""
    # One growing buffer: its getvalue() hands over the buffer without a copy, so a
    # large part is held once, not twice (as a list of chunks and their join).
    buffer = io.BytesIO()
    buffer.write(first)
    size = len(first)
    while True:
        if size > cap or size > ratio * _consumed(stream, info):
            raise bomb
        chunk = stream.read(_CHUNK)
        if not chunk:
            return buffer.getvalue()
        size += len(chunk)
        buffer.write(chunk)


def _consumed(stream: Any, info: zipfile.ZipInfo) -> int:
    """Compressed bytes read so far, so that a bomb is caught after its first megabyte
    rather than at the cap. CPython's ZipExtFile keeps what is left to read; elsewhere
    the whole compressed size is the (looser) bound."""
    left = getattr(stream, "_compress_left", None)
    if not isinstance(left, int):
        return max(info.compress_size, 1)
    # Read ahead but not yet decompressed: still in the decompressor's input.
    tail = getattr(getattr(stream, "_decompressor", None), "unconsumed_tail", b"")
    return max(info.compress_size - left - len(tail), 1)


def _check_reachable(package: Package) -> None:
    """Every part the workbook points to must be one that was checked, so that nothing a
    reader follows was left undecompressed (a sheet named .bin, say)."""
    rels = package.xml("xl/_rels/workbook.xml.rels")
    if rels is None:
        return
    for rel in rels.iter(f"{_NS_PKG_REL}Relationship"):
        if rel.get("TargetMode") == "External" or not rel.get("Type", "").endswith(_FOLLOWED):
            continue
        part = _target(rel.get("Target", ""))
        if part not in package.parts:
            raise ReadError(
                f"the workbook points to a part {part!r} that is missing or misplaced: it is "
                f"damaged: {RESAVE}",
                package.location,
            )


def _target(target: str) -> str:
    """A relationship's target, from xl/_rels/workbook.xml.rels, as a part name."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join("xl", target))


# Each namespace in its Transitional form and its Strict one (ISO/IEC 29500 Strict:
# Excel's "Strict Open XML Spreadsheet" in its Save As list). A part uses one of them.
NS_MAIN = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
)
NS_REL = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
# The package's own namespaces are the same in both.
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def elements(root: Any, name: str, namespaces: tuple[str, ...]) -> Iterator[Any]:
    """The elements called ``name`` in any of ``namespaces``, in document order."""
    for namespace in namespaces:
        yield from root.iter(f"{{{namespace}}}{name}")


def attribute(element: Any, name: str, namespaces: tuple[str, ...]) -> str:
    """A namespaced attribute in whichever of ``namespaces`` it uses; "" if absent."""
    for namespace in namespaces:
        value = element.get(f"{{{namespace}}}{name}")
        if value is not None:
            return value
    return ""


@dataclass(frozen=True)
class _SheetIndex:
    parts: dict[str, str]  # sheet name -> part, for every sheet a relationship names
    # Excel 4 macro sheets, name -> relationship id: python-calamine refuses to open a
    # workbook that has one, so it is given the workbook without them.
    unread: dict[str, str]


def _sheet_index(package: Package) -> _SheetIndex:
    workbook = package.xml("xl/workbook.xml")
    rels = package.xml("xl/_rels/workbook.xml.rels")
    targets: dict[str, tuple[str, str]] = {}
    if rels is not None:
        for rel in rels.iter(f"{_NS_PKG_REL}Relationship"):
            kind = rel.get("Type", "").rsplit("/", 1)[-1]
            targets[rel.get("Id", "")] = (_target(rel.get("Target", "")), kind)
    parts: dict[str, str] = {}
    unread: dict[str, str] = {}
    if workbook is not None:
        for sheet in elements(workbook, "sheet", NS_MAIN):
            rid = attribute(sheet, "id", NS_REL)
            part, kind = targets.get(rid, ("", ""))
            if part:
                parts[sheet.get("name", "")] = part
            if kind.lower().endswith("macrosheet"):  # xlMacrosheet, xlIntlMacrosheet
                unread[sheet.get("name", "")] = rid
    return _SheetIndex(parts, unread)


def _without_sheets(workbook: bytes, rids: set[str]) -> bytes:
    """workbook.xml without the sheet elements that point to these relationships."""

    def keep(m: re.Match[bytes]) -> bytes:
        rid = _SHEET_RID.search(m.group(0))
        return b"" if rid and rid.group(1).decode("utf-8", "replace") in rids else m.group(0)

    return _SHEET_ELEMENT.sub(keep, workbook)


_SHEET_ELEMENT = re.compile(
    rb"<(?P<p>(?:[A-Za-z_][\w.-]*:)?)sheet\b[^>]*?(?:/>|>.*?</(?P=p)sheet>)", re.S
)
_SHEET_RID = re.compile(rb"\s(?:[A-Za-z_][\w.-]*:)id=[\"']([^\"']*)[\"']")


# --- measuring a sheet from its XML ----------------------------------------------------

_P = rb"(?:[A-Za-z_][\w.-]*:)?"  # an optional namespace prefix
# A row's start tag, or a cell element with its body when it has one.
_TOKEN = re.compile(
    rb"<" + _P + rb"row\b(?P<row>[^>]*)>"
    rb"|<(?P<p>" + _P + rb")c\b(?P<attrs>[^>]*?)(?:/>|>(?P<body>.*?)</(?P=p)c>)",
    re.S,
)
_R_ATTR = re.compile(rb"\br=[\"']\$?([A-Za-z]{0,3})\$?(\d{1,7})[\"']")
_TYPE_ATTR = re.compile(rb"\bt=[\"'](\w+)[\"']")
_VALUE = re.compile(rb"<" + _P + rb"v\b[^>]*>(.*?)</" + _P + rb"v>", re.S)
_FORMULA = re.compile(rb"<" + _P + rb"f\b[^>]*?(?:/>|>(.*?)</" + _P + rb"f>)", re.S)
_HAS_CONTENT = re.compile(rb"<" + _P + rb"(?:v|is)\b")
# Error and formula cells kept per sheet; a real return has a few hundred formulas.
MAX_NOTED_CELLS = 20_000


@dataclass
class SheetScan:
    """What a sheet's XML says before any library loads it (0-based positions)."""

    rows: int = 0  # rows of the grid from A1 to the last cell holding a value
    cols: int = 0
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    # Set when formulas are found on demand (see formula_at) rather than all at once,
    # with the cells known to start with a formula when the measuring saw them all.
    data: bytes | None = field(default=None, repr=False, compare=False)
    formula_cells: set[tuple[int, int]] | None = field(default=None, repr=False, compare=False)
    _columns: set[int] = field(default_factory=set, repr=False, compare=False)

    def formula_at(self, row: int, col: int) -> str | None:
        """The formula in one cell, or None. Formulas are found a column at a time, on
        first asking: only answer columns are asked about, and a sheet has hundreds."""
        if self.formula_cells is not None and (row, col) not in self.formula_cells:
            return None
        if self.data is not None and col not in self._columns:
            self._columns.add(col)
            letters = cell_name(0, col)[:-1].encode()
            for m in _column_formulas(letters).finditer(self.data):
                position = (int(m.group(1)) - 1, col)
                self.formulas.setdefault(position, _unescape(m.group(2) or b""))
        return self.formulas.get((row, col))


@functools.lru_cache(maxsize=64)
def _column_formulas(letters: bytes) -> re.Pattern[bytes]:
    """Cells of one column whose first child is a formula (a formula comes first in a cell)."""
    return re.compile(
        rb"<c\b[^>]*?\br=[\"']\$?" + letters + rb"\$?(\d+)[\"'][^>]*(?<!/)>\s*"
        rb"<f\b[^>]*?(?:/>|>(.*?)</f>)",
        re.S,
    )


@functools.lru_cache(maxsize=4096)
def cell_name(row: int, col: int) -> str:
    """'A1'-style name of a 0-based cell position."""
    from .layout import column_letters

    return f"{column_letters(col)}{row + 1}"


def _column(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n - 1


def _unescape(raw: bytes) -> str:
    from xml.sax.saxutils import unescape

    text = raw.decode("utf-8", errors="replace")
    return unescape(text, {"&quot;": '"', "&apos;": "'"})


# The fast path, for sheets whose cells all carry a reference and no namespace prefix
# (what Excel, LibreOffice, Google Sheets, Numbers and openpyxl write).
_POSITIONAL = re.compile(rb"<[A-Za-z_][\w.-]*:c\b|<c(?=[\s/>])(?![^>]*\br=)")
_CONTENT_REF = re.compile(
    rb"<c\b[^>]*?\br=[\"']\$?([A-Za-z]{1,3})\$?(\d{1,7})[\"'][^>]*(?<!/)>\s*<(f|v|is)\b"
)
# The same, for sheets where every cell's reference comes first (a literal start: faster).
_LEADING_REF = re.compile(rb"<c r=\"\$?([A-Za-z]{1,3})\$?(\d{1,7})\"[^>]*(?<!/)>\s*<(f|v|is)\b")
_ERROR_CELL = re.compile(rb"<c\b([^>]*\bt=[\"']e[\"'][^>]*)>(.*?)</c>", re.S)
_F_TAG = re.compile(rb"<f\b[^>]*?(?:/>|>(.*?)</f>)", re.S)


def scan_sheet(data: bytes) -> SheetScan:
    """Measure a worksheet part and find its error and formula cells.

    Rows and cells without a reference are placed as spreadsheet apps place them:
    after the previous row, or the previous cell of their row.
    """
    # Every cell starting "<c r=" (what every app writes) needs no further look.
    every_cell_leads_with_r = data.count(b"<c ") == data.count(b'<c r="')
    if not every_cell_leads_with_r and _POSITIONAL.search(data):
        return _scan_positional(data)
    scan = SheetScan(data=data)
    pattern = _LEADING_REF if every_cell_leads_with_r else _CONTENT_REF
    if len(data) <= MiB:  # a list of every reference is small: measured at C speed
        refs = pattern.findall(data)
        letters = {x for x, _, _ in refs}
        scan.rows = max(map(int, (d for _, d, _ in refs)), default=0)
        formulas = [(int(d) - 1, _column(x)) for x, d, first in refs if first == b"f"]
        if len(formulas) <= MAX_NOTED_CELLS:
            scan.formula_cells = set(formulas)
    else:  # a large sheet: a running maximum, so that memory stays flat
        letters = set()
        for m in pattern.finditer(data):
            letters.add(m.group(1))
            scan.rows = max(scan.rows, int(m.group(2)))
    scan.cols = max((_column(x) + 1 for x in letters), default=0)
    errors = _ERROR_CELL.finditer(data) if b't="e"' in data or b"t='e'" in data else ()
    for m in errors:
        ref = _R_ATTR.search(m.group(1))
        value = _VALUE.search(m.group(2))
        if ref and len(scan.errors) < MAX_NOTED_CELLS:
            position = (int(ref.group(2)) - 1, _column(ref.group(1)))
            scan.errors[position] = _unescape(value.group(1)) if value else "#VALUE!"
    return scan


def _scan_positional(data: bytes) -> SheetScan:
    """The general walk, cell by cell, for sheets with unreferenced or prefixed cells."""
    scan = SheetScan()
    row, next_col = -1, 0
    for m in _TOKEN.finditer(data):
        row_attrs = m.group("row")
        if row_attrs is not None:
            ref = _R_ATTR.search(row_attrs)
            row = int(ref.group(2)) - 1 if ref and not ref.group(1) else row + 1
            next_col = 0
            continue
        attrs, body = m.group("attrs"), m.group("body")
        ref = _R_ATTR.search(attrs)
        if ref and ref.group(1):
            r, col = int(ref.group(2)) - 1, _column(ref.group(1))
        else:
            r, col = max(row, 0), next_col
        next_col = col + 1
        if not body:
            continue
        formula = _FORMULA.search(body)
        if formula is None and not _HAS_CONTENT.search(body):
            continue
        scan.rows = max(scan.rows, r + 1)
        scan.cols = max(scan.cols, col + 1)
        if len(scan.errors) + len(scan.formulas) >= MAX_NOTED_CELLS:
            continue
        kind = _TYPE_ATTR.search(attrs)
        if kind and kind.group(1) == b"e":
            value = _VALUE.search(body)
            scan.errors[(r, col)] = _unescape(value.group(1)) if value else "#VALUE!"
        if formula is not None:
            scan.formulas[(r, col)] = _unescape(formula.group(1) or b"")
    return scan
