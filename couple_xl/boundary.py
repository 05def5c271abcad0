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

import datetime as dt
import functools
import io
import posixpath
import re
import struct
import sys
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from itertools import compress
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


def toml() -> Any:
    """The TOML parser: the standard library's tomllib, or tomli on Python 3.10."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    return tomllib


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

    tomllib = toml()
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

    tomllib = toml()
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
    """A workbook's checked XML parts, decompressed, by part name: the only bytes any
    reader of the workbook sees (python-calamine included, see open_book)."""

    location: Location
    parts: dict[str, bytes]
    limits: Limits = LIMITS
    # Each part's CRC-32, as its zip says and as reading it checked.
    crcs: dict[str, int] = field(default_factory=dict, repr=False)
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


# --- a workbook, loaded ----------------------------------------------------------------


@dataclass(frozen=True)
class Sheet:
    """One sheet's cells, loaded by python-calamine once its grid was measured."""

    name: str
    # Cell values by 0-based row and column, from A1 to the last cell holding a value;
    # a blank cell is "". An error cell is "" here too: its error is in ``errors``.
    rows: list[list[Any]]
    errors: dict[tuple[int, int], str]
    scan: SheetScan = field(repr=False, compare=False)

    def formula(self, row: int, col: int) -> str | None:
        """The formula in a cell (without its "="), or None when it holds none."""
        return self.scan.formula_at(row, col)


@dataclass(frozen=True)
class Document:
    """What a workbook's document properties say (docProps)."""

    custom: dict[str, str]  # custom properties, name -> text
    saved: dt.datetime | None  # when it was last saved, as its core properties say
    title: str
    application: str  # the program that last saved it


class Book:
    """A checked workbook, loaded: its sheets' cells, defined names and properties.

    Built by open_book. Everything in it was read through the boundary's checks; a sheet
    that could not be loaded (too large a grid, or python-calamine failing on it) is
    refused only when it is asked for, so that a sheet a reader never needs costs nothing.
    """

    def __init__(
        self,
        package: Package,
        sheet_names: list[str],
        sheets: dict[str, Sheet | ReadError],
        names: dict[str, str],
        macro_sheets: list[str],
    ) -> None:
        self.location = package.location
        self.sheet_names = sheet_names  # every sheet python-calamine reads, in order
        self.names = names  # the workbook-scoped defined names, name -> reference
        self.macro_sheets = macro_sheets  # Excel 4 macro sheets, never read
        self._package = package
        self._sheets = sheets

    def sheet(self, name: str) -> Sheet:
        """A sheet's cells; ReadError when that sheet could not be read."""
        loaded = self._sheets[name]
        if isinstance(loaded, ReadError):
            raise loaded
        return loaded

    @cached_property
    def document(self) -> Document:
        """The document properties, parsed when first asked for."""
        saved, title = _core(self._package)
        return Document(_custom(self._package), saved, title, _application(self._package))


def open_book(
    data: bytes,
    location: Location,
    *,
    limits: Limits = LIMITS,
    suffix: str = "",
    what: str = "the workbook",
    instruction: str = RESAVE,
    first_only: bool = False,
) -> Book:
    """Check a workbook (see open_package) and load it: the one way couple_xl opens one.

    python-calamine is given the checked parts as an uncompressed zip, so no part is
    decompressed twice and nothing it reads escaped the checks; each sheet is loaded
    only after its grid is measured. ``first_only`` loads the first sheet alone.
    Raises ReadError, located, in the words of ``what`` and ``instruction``.
    """
    from python_calamine import CalamineWorkbook

    with guarded(location, what, instruction):
        package = open_package(data, location, limits, suffix)
        index = _sheet_index(package)
        names = _defined_names(package)
        reader = _stored_zip(*_calamine_parts(package, index))
        with _calamine(location, what, instruction):
            book = CalamineWorkbook.from_filelike(io.BytesIO(reader))
            sheet_names = list(book.sheet_names)
        sheets: dict[str, Sheet | ReadError] = {}
        for name in sheet_names[:1] if first_only else sheet_names:
            try:
                sheets[name] = _load_sheet(book, name, package, index, what, instruction)
            except ReadError as err:
                sheets[name] = err
    return Book(package, sheet_names, sheets, names, list(index.unread))


def _load_sheet(
    book: Any, name: str, package: Package, index: _SheetIndex, what: str, instruction: str
) -> Sheet:
    part = index.parts.get(name)
    if part is None:
        raise ReadError(
            f"the sheet '{name}' has no part in the workbook: it is damaged: {RESAVE}",
            package.location,
        )
    where = Location(file=package.location.file, sheet=name)
    data = package.parts.get(part, b"")
    scan = quick_scan(data) if package.limits.grid_cells >= QUICK_GRID else None
    if scan is None:
        with guarded(where, what, instruction):  # the general walk parses odd sheets as XML
            scan = scan_sheet(data)
    cells = scan.rows * scan.cols
    if cells > package.limits.grid_cells:
        raise ReadError(
            f"cells are used as far as {cell_name(scan.rows - 1, scan.cols - 1)}, a grid of "
            f"{cells:,} cells (couple_xl reads at most {package.limits.grid_cells:,} per "
            "sheet): ask the partner to delete the rows and columns beyond their answers "
            "(Ctrl+End shows the last used cell) and send it again",
            where,
        )
    with _calamine(where, what, instruction):
        # With skip_empty_area=False the rows start at A1, whatever the sheet's extent.
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    return Sheet(name, rows, scan.errors, scan)


@contextmanager
def _calamine(where: Location, what: str, instruction: str) -> Iterator[None]:
    """Only python-calamine runs in here: whatever it raises, the workbook is at fault."""
    try:
        yield
    except (KeyboardInterrupt, SystemExit, CoupleError):
        raise
    except BaseException as err:
        message = say.CANNOT_READ.format(
            what=what, why=say.WHY_SPREADSHEET, instruction=instruction
        )
        raise ReadError(message, where, detail=describe(err)) from err


def _calamine_parts(
    package: Package, index: _SheetIndex
) -> tuple[dict[str, bytes], dict[str, int]]:
    """The checked parts python-calamine reads, with their CRCs: the workbook without its
    Excel 4 macro sheets (python-calamine refuses to open a workbook that has one, and
    couple_xl never needs them), and no document properties, which it never reads."""
    parts = {n: p for n, p in package.parts.items() if not n.startswith("docProps/")}
    crcs = dict(package.crcs)
    if index.unread and "xl/workbook.xml" in parts:
        parts["xl/workbook.xml"] = _without_sheets(
            parts["xl/workbook.xml"], set(index.unread.values())
        )
        crcs.pop("xl/workbook.xml", None)  # changed: worked out anew
    return parts, crcs


_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_END = struct.Struct("<4s4H2LH")
_UTF8_NAME = 0x800
_DOS_DATE = 0x21  # 1 January 1980, the first date a zip can say


def _stored_zip(parts: Mapping[str, bytes], crcs: Mapping[str, int] | None = None) -> bytes:
    """A zip holding ``parts`` as they are (stored, not compressed): what python-calamine
    reads, so that it parses the checked parts without inflating anything again. A CRC
    given in ``crcs`` is taken as the part's (it was checked as the part was read)."""
    crcs = crcs or {}
    chunks: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for name, data in parts.items():
        encoded = name.encode("utf-8")
        flags = 0 if encoded.isascii() else _UTF8_NAME
        crc, size = crcs.get(name), len(data)
        if crc is None:
            crc = zlib.crc32(data)
        head = (20, flags, 0, 0, _DOS_DATE, crc, size, size, len(encoded), 0)
        chunks += [_LOCAL.pack(b"PK\x03\x04", *head), encoded, data]
        central += [_CENTRAL.pack(b"PK\x01\x02", 20, *head, 0, 0, 0, 0, offset), encoded]
        offset += _LOCAL.size + len(encoded) + size
    directory = b"".join(central)
    count = len(parts)
    end = _END.pack(b"PK\x05\x06", 0, 0, count, count, len(directory), offset, 0)
    return b"".join([*chunks, directory, end])


def _defined_names(package: Package) -> dict[str, str]:
    """The workbook-scoped defined names (a sheet's own are no part of any contract)."""
    root = package.xml("xl/workbook.xml")
    names: dict[str, str] = {}
    if root is None:
        return names
    for dn in elements(root, "definedName", NS_MAIN):
        if dn.get("localSheetId") is None and dn.text:
            names[dn.get("name")] = dn.text
    return names


def _custom(package: Package) -> dict[str, str]:
    root = package.xml("docProps/custom.xml")
    if root is None:
        return {}
    props: dict[str, str] = {}
    for prop in elements(root, "property", NS_CUSTOM):
        if len(prop):
            props[prop.get("name", "")] = prop[0].text or ""
    return props


def _core(package: Package) -> tuple[dt.datetime | None, str]:
    """When the document says it was last saved, and its title."""
    root = package.xml("docProps/core.xml")
    if root is None:
        return None, ""
    title = root.find(f"{_NS_DC}title")
    node = root.find(f"{_NS_DCTERMS}modified")
    saved = None
    if node is not None and node.text:
        try:
            saved = dt.datetime.fromisoformat(node.text.strip().replace("Z", "+00:00"))
        except ValueError:
            saved = None
        if saved is not None and saved.tzinfo is None:
            saved = saved.replace(tzinfo=dt.timezone.utc)
    return saved, (title.text or "") if title is not None else ""


def _application(package: Package) -> str:
    """The program that last saved the workbook, as its docProps/app.xml says."""
    root = package.xml("docProps/app.xml")
    if root is None:
        return ""
    for node in root.iter():
        if node.tag.endswith("}Application") and node.text:
            return " ".join(node.text.split())[:100]
    return ""


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
            crcs: dict[str, int] = {}
            budget = limits.total_bytes
            ends = _entry_ends(infos, archive.start_dir)
            for info in infos:
                if info.is_dir() or not _is_read_part(info.filename):
                    continue
                end = ends[id(info)]
                part = _decompress(archive, data, info, end, location, limits, budget)
                budget -= len(part)
                parts[info.filename] = part
                crcs[info.filename] = info.CRC
    problem = _not_a_workbook_type(parts.get("[Content_Types].xml", b""))
    if problem:
        raise ReadError(problem, location)
    package = Package(location, parts, limits, crcs)
    _check_reachable(package)
    return package


def _entry_ends(infos: list[zipfile.ZipInfo], directory: int) -> dict[int, int]:
    """Where each entry must end, by id(): where the next entry starts, or the directory
    for the last, as zipfile works it out on Python 3.12 and later to refuse entries that
    overlap (a zip bomb can make many entries share one stream)."""
    ends: dict[int, int] = {}
    end = directory
    for info in sorted(infos, key=lambda i: i.header_offset, reverse=True):
        ends[id(info)] = end
        end = info.header_offset
    return ends


def _decompress(
    archive: zipfile.ZipFile,
    raw: bytes,
    info: zipfile.ZipInfo,
    end: int,
    where: Location,
    limits: Limits,
    budget: int,
) -> bytes:
    """One part of the zip ``raw`` holds, decompressed within the caps, then checked for
    a document type declaration."""
    cap = min(limits.part_bytes, budget)
    try:
        data = _inflate(raw, info, end, cap, limits.ratio)
        if data is None:  # not a plain part: zipfile reads it, with the same caps
            with archive.open(info) as stream:
                # Nearly every part is read whole by this first read, which stops after a MiB.
                data = stream.read(min(cap, MiB) + 1)
                if len(data) > MiB:
                    data = _read_large(stream, info, data, cap, limits.ratio, _Expands())
    except _Expands:
        raise _bomb(info, where) from None
    except CoupleError:
        raise
    except Exception as err:  # only zipfile and zlib run here: the part is damaged
        raise ReadError(
            say.PART_DAMAGED.format(part=info.filename), where, detail=describe(err)
        ) from None
    if len(data) > cap:
        raise _bomb(info, where)
    head = data
    if data[:2] in _UTF16:
        head = data.decode(_UTF16[data[:2]], errors="replace").encode("utf-8")
    if b"<!" in head and _DOCTYPE.search(head):
        raise ReadError(
            f"the part {info.filename} carries an XML document type declaration, which "
            "workbooks never need and which is used to attack programs that read them: "
            "couple_xl refuses it. " + RESAVE[0].upper() + RESAVE[1:],
            where,
        )
    return data


class _Expands(Exception):
    """A part that expands more than the ratio allows (see _decompress)."""


def _bomb(info: zipfile.ZipInfo, where: Location) -> ReadError:
    return ReadError(
        f"the part {info.filename} expands beyond what a workbook needs "
        "(a compression bomb, or a damaged file): " + RESAVE,
        where,
    )


# General-purpose bits of a zip entry that need zipfile's own handling: encrypted (1),
# compressed patched data (32), strong encryption (64).
_UNUSUAL_FLAGS = 0x1 | 0x20 | 0x40


def _inflate(raw: bytes, info: zipfile.ZipInfo, end: int, cap: int, ratio: int) -> bytes | None:
    """A stored or deflated part straight from the zip's bytes, as zipfile reads it (at
    most its declared size, its CRC checked once all of it is read) but without
    zipfile's machinery for each part; past a MiB, refused as a bomb as soon as it
    expands more than ``ratio`` times the compressed bytes read so far (_Expands), and
    never expanded past ``cap`` (the caller refuses more); refused (BadZipFile) when its
    data runs past ``end``, where the next entry starts. None for a part this does not
    handle (encrypted, another compression, an odd header, a start before the file's
    first byte): zipfile then reads it, and says what is wrong."""
    if info.flag_bits & _UNUSUAL_FLAGS:
        return None
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return None
    offset = info.header_offset
    if offset < 0:  # a directory that points before the file: a slice would wrap round
        return None
    head = raw[offset : offset + _LOCAL.size]
    if len(head) < _LOCAL.size:
        return None
    signature, _, flags, *_, name_length, extra_length = _LOCAL.unpack(head)
    start = offset + _LOCAL.size
    name = raw[start : start + name_length]
    try:
        same = name.decode("utf-8" if flags & _UTF8_NAME else "cp437") == info.orig_filename
    except UnicodeDecodeError:
        return None
    if signature != b"PK\x03\x04" or not same:
        return None
    start += name_length + extra_length
    if start + info.compress_size > end:
        raise zipfile.BadZipFile(f"Overlapped entries: {info.orig_filename!r}")
    packed = memoryview(raw)[start : start + info.compress_size]
    if len(packed) < info.compress_size:
        return None
    limit = min(info.file_size, cap + 1)  # zipfile never gives more than the declared size
    if info.compress_type == zipfile.ZIP_STORED:
        data, ended = bytes(packed[:limit]), True
    else:
        data, ended = _inflated(packed, limit, ratio)
    read_whole = len(data) <= cap and (ended or len(data) >= info.file_size)
    if read_whole and zlib.crc32(data) != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
    return data


def _inflated(packed: memoryview, limit: int, ratio: int) -> tuple[bytes, bool]:
    """Up to ``limit`` bytes of a deflated stream, and whether it ended (or its compressed
    bytes ran out, which zipfile takes as its end too)."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    buffer = io.BytesIO()
    size = fed = 0
    while size < limit and not inflater.eof:
        if size > MiB and size > ratio * max(fed - len(inflater.unconsumed_tail), 1):
            raise _Expands
        piece = inflater.unconsumed_tail
        if not piece:
            if fed >= len(packed):
                buffer.write(inflater.flush())
                return buffer.getvalue()[:limit], True
            # Nearly every part is given whole at once, and is then read by one call.
            piece = packed[fed : fed + (MiB if not fed else _CHUNK)]
            fed += len(piece)
        chunk = inflater.decompress(piece, min(limit - size, MiB + 1 if not size else MiB))
        size += len(chunk)
        buffer.write(chunk)
    return buffer.getvalue()[:limit], inflater.eof


def parse_xml(data: bytes) -> Any:
    """An XML part as an ElementTree element, refusing a document type declaration.

    Expat reads the part twice, at C speed both times: first with nothing but a handler
    that refuses a document type declaration as it starts (before any entity in it is
    declared), then through ElementTree's C parser. (defusedxml does the same check
    through ElementTree's Python parser, several times slower; _decompress has
    already refused the declaration's bytes in the encodings workbooks use.) The first
    reading is left out for a UTF-8 part with no "<!" in it, which cannot hold one.
    """
    import xml.etree.ElementTree as ET

    if not _plainly_without_declaration(data):
        import xml.parsers.expat

        from defusedxml import DTDForbidden

        def refuse(name: str, sysid: str | None, pubid: str | None, *_: Any) -> None:
            raise DTDForbidden(name, sysid, pubid)

        check = xml.parsers.expat.ParserCreate()
        check.StartDoctypeDeclHandler = refuse
        check.Parse(data, True)
    return ET.fromstring(data)


# The encoding an XML declaration names.
_ENCODING = re.compile(rb"\bencoding\s*=\s*[\"']([\w.-]+)[\"']")


def _plainly_without_declaration(data: bytes) -> bool:
    """True when a part is UTF-8 (as nearly every part is) and holds no "<!" at all: a
    document type declaration cannot then be in it, so expat's first reading is not
    needed. In any other encoding the declaration's bytes differ, and expat reads it."""
    if b"<!" in data or not data.startswith((b"<", b"\xef\xbb\xbf<")):
        return False
    if b"\x00" in data[:4]:  # "<" then a zero byte: UTF-16 or UTF-32, as expat reads it
        return False
    if not data.removeprefix(b"\xef\xbb\xbf").startswith(b"<?xml"):
        return True  # no XML declaration: UTF-8
    declaration = data[: data.find(b"?>")]
    if b"encoding" not in declaration:
        return True
    m = _ENCODING.search(declaration)
    return m is not None and m.group(1).lower() in (b"utf-8", b"utf8", b"us-ascii")


def _read_large(
    stream: Any, info: zipfile.ZipInfo, first: bytes, cap: int, ratio: int, bomb: Exception
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
# Transitional and Strict. ECMA-376 and the Open XML SDK name the Strict one
# customProperties; LibreOffice's reader also accepts custom-properties.
NS_CUSTOM = (
    "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties",
    "http://purl.oclc.org/ooxml/officeDocument/customProperties",
    "http://purl.oclc.org/ooxml/officeDocument/custom-properties",
)
# The package's own namespaces are the same in both, and so are Dublin Core's.
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_NS_DCTERMS = "{http://purl.org/dc/terms/}"
_NS_DC = "{http://purl.org/dc/elements/1.1/}"


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
_VALUE = re.compile(rb"<" + _P + rb"v\b[^>]*>(.*?)</" + _P + rb"v>", re.S)
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


# A cell's attributes after its reference, as every spreadsheet app writes them: each in
# double quotes, none of them another reference.
_ATTRIBUTES = rb'(?:\s+(?!r=)[\w:.-]+="[^"<]*")*'
# A cell's start tag in the form every spreadsheet app writes (Excel, LibreOffice,
# Google Sheets, Numbers, openpyxl): its reference first, then the attributes above, then
# either closed at once or followed by its first child. Its letters, digits and first
# child say all there is to know about where it is and whether it holds anything. Any
# other start of a cell ("<c" and a space, "/" or ">") matches the second branch, with
# no letters, and sends the sheet to the general walk (_walk_sheet).
_CELL_PATTERN = (
    rb'<c(?: r="([A-Za-z]{1,3}%(p)s)([0-9]{1,7}%(p)s)"'
    rb'(?:\s+%(p)s(?!r=)[\w:.-]+%(p)s="[^"<]*%(p)s")*%(p)s\s*%(p)s(?:/>|>\s*%(p)s<(f|v|is|/c)\b)'
    rb"|[\s/>])"
)
# Possessive quantifiers (Python 3.11 and later) match exactly what the greedy ones match
# here, as nothing a quantifier takes could start what follows it, and spare the regular
# expression engine a quarter of its work; Python 3.10 has none.
_CELL = re.compile(_CELL_PATTERN % {b"p": b"+" if sys.version_info >= (3, 11) else b""})
_HOLDS_SOMETHING = frozenset({b"f", b"v", b"is"})  # a cell's first child, when it holds a value
# A cell with a namespace prefix, which python-calamine reads like any other. It takes
# what follows a tag's first colon as the tag's name whatever comes before it (other
# letters, digits, "/", control characters, nothing), and ends a name only at a space,
# tab or line break, "/" or ">": so any prefix of anything else counts.
_PREFIXED_CELL = re.compile(rb"<[^ \t\r\n<>:]*:c[\s/>]")
_PREFIX_HINT = re.compile(rb":c[\s/>]")  # a literal start: a quick first look for the above
# A cell's body, up to where the next cell starts: a body that ran on to the end of the
# sheet, for a cell left unclosed, would make each such cell's search read the rest of
# the sheet (quadratic: ten thousand of them took a minute). This part is not yet
# known to be well-formed XML.
_BODY = rb"((?:[^<]|<(?!c[\s/>]))*?)"
# The attributes before a cell's type are those that are not its type: a lazy loop there
# would also try every later ' t="e"' of a tag that repeats it, and a few thousand
# repeats then take the scan minutes (the type a tag gives first is its type).
_ERROR_CELL = re.compile(
    rb'<c r="([A-Za-z]{1,3})([0-9]{1,7})"(?:\s+(?!r=|t=)[\w:.-]+="[^"<]*")*\s+t="e"'
    + _ATTRIBUTES
    + rb"\s*>"
    + _BODY
    + rb"</c>",
)
_CELL_REF = re.compile(r"\$?([A-Za-z]+)\$?([0-9]+)")


@functools.lru_cache(maxsize=64)
def _column_formulas(letters: bytes) -> re.Pattern[bytes]:
    """Cells of one column whose first child is a formula (a formula comes first in a cell)."""
    return re.compile(
        rb'<c r="(?i:' + letters + rb')([0-9]{1,7})"' + _ATTRIBUTES + rb"\s*>\s*"
        rb"<f\b[^>]*?(?:/>|>" + _BODY + rb"</f>)",
    )


@functools.lru_cache(maxsize=4096)
def cell_name(row: int, col: int) -> str:
    """'A1'-style name of a 0-based cell position."""
    from .layout import column_letters

    return f"{column_letters(col)}{row + 1}"


@functools.lru_cache(maxsize=1024)
def _column(letters: bytes | str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ch if isinstance(ch, int) else ord(ch)) - 64
    return n - 1


_ENTITY = re.compile(r"&(?:#x([0-9A-Fa-f]{1,6})|#([0-9]{1,7})|(lt|gt|amp|quot|apos));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def _unescape(raw: bytes) -> str:
    """XML text as a parser gives it: the five named entities and character references
    decoded (a sheet has no document type declaration, so it can declare no others)."""
    text = raw.decode("utf-8", errors="replace")
    return _ENTITY.sub(_entity, text) if "&" in text else text


def _entity(m: re.Match[str]) -> str:
    hex_code, code, name = m.groups()
    if name:
        return _NAMED[name]
    number = int(hex_code, 16) if hex_code else int(code)
    return chr(number) if number <= sys.maxunicode else m.group(0)


# The grid a sheet plainly fits in when every cell is within A1:ZZ999 (quick_scan).
QUICK_ROWS, QUICK_COLUMNS = 999, 702
QUICK_GRID = QUICK_ROWS * QUICK_COLUMNS
# Any start of a cell but one in the form _CELL expects with at most two letters and
# three digits: a cell that lies beyond ZZ999, or that only the full scan can place.
_BEYOND_QUICK = re.compile(
    (
        rb'<c(?! r="[A-Za-z]{1,2}%(p)s[0-9]{1,3}%(p)s"'
        rb'(?:\s+%(p)s(?!r=)[\w:.-]+%(p)s="[^"<]*%(p)s")*%(p)s\s*%(p)s'
        rb"(?:/>|>\s*%(p)s<(?:f|v|is|/c)\b))[\s/>]"
    )
    % {b"p": b"+" if sys.version_info >= (3, 11) else b""}
)


def quick_scan(data: bytes) -> SheetScan | None:
    """A sheet's error cells, and formulas found on demand, when every cell plainly lies
    within A1:ZZ999 (as in every return): its measure is then that grid, an upper bound,
    found by one search without listing the cells. None when the sheet needs scan_sheet."""
    cells_part = _sheet_data(data)
    if _PREFIX_HINT.search(cells_part) and _PREFIXED_CELL.search(cells_part):
        return None
    if _BEYOND_QUICK.search(cells_part):
        return None
    scan = SheetScan(rows=QUICK_ROWS, cols=QUICK_COLUMNS, data=cells_part)
    scan.errors = _error_cells(cells_part)
    return scan


def scan_sheet(data: bytes) -> SheetScan:
    """Measure a worksheet part and find its error and formula cells.

    Never short of the grid python-calamine would build from the same part: a sheet in
    the form every spreadsheet app writes is measured by patterns, at C speed; any other
    (cells without a reference, namespace prefixes, other spacing or quoting) is walked
    by an XML parser that places cells as python-calamine does.
    """
    scan = _scan_plain(data)
    return scan if scan is not None else _walk_sheet(data)


def _scan_plain(data: bytes) -> SheetScan | None:
    """The measure of a sheet whose every cell starts as _CELL expects, else None."""
    cells_part = _sheet_data(data)
    if _PREFIX_HINT.search(cells_part) and _PREFIXED_CELL.search(cells_part):
        return None
    rows = 0
    letters_held: set[bytes] = set()
    formulas: list[tuple[bytes, bytes]] = []
    for chunk in _chunks(cells_part):
        cells = _CELL.findall(chunk)
        if not cells:
            continue
        letters, digits, first = zip(*cells)
        if b"" in letters:
            return None
        held_letters, held_digits = letters, digits
        if b"" in first or b"/c" in first:  # some cells hold nothing: leave them out
            holds = list(map(_HOLDS_SOMETHING.__contains__, first))
            held_letters, held_digits = compress(letters, holds), compress(digits, holds)
        # Distinct rows first: a row's cells share its number, and int() is what costs.
        rows = max(rows, max(map(int, set(held_digits)), default=0))
        letters_held.update(held_letters)
        if b"f" in first and len(formulas) <= MAX_NOTED_CELLS:
            formulas += compress(zip(digits, letters), map(b"f".__eq__, first))
    scan = SheetScan(rows=rows, data=cells_part)
    scan.cols = max(map(_column, letters_held), default=-1) + 1
    if len(formulas) <= MAX_NOTED_CELLS:
        scan.formula_cells = {(int(d) - 1, _column(x)) for d, x in formulas}
    scan.errors = _error_cells(cells_part)
    return scan


def _error_cells(cells_part: bytes) -> dict[tuple[int, int], str]:
    """The error value each error cell shows, by position, in a sheet _CELL can read."""
    errors: dict[tuple[int, int], str] = {}
    if b't="e"' not in cells_part:
        return errors
    for m in _ERROR_CELL.finditer(cells_part):
        if len(errors) >= MAX_NOTED_CELLS:
            break
        value = _VALUE.search(m.group(3))
        position = (int(m.group(2)) - 1, _column(m.group(1)))
        errors[position] = _unescape(value.group(1)) if value else "#VALUE!"
    return errors


def _sheet_data(data: bytes) -> bytes:
    """The part of a sheet where python-calamine reads cells: its one sheetData element
    when the name occurs only in that element's two tags, else the whole part."""
    start, end = data.find(b"<sheetData"), data.rfind(b"</sheetData>")
    if (
        0 <= start < end
        and data[start + 10 : start + 11] in (b">", b" ")
        and (data.count(b"sheetData") == 2)
    ):
        return data[start:end]
    return data


def _chunks(data: bytes) -> Iterator[bytes]:
    """A large part in pieces of about a MiB, each cut before a "<c" (no cell's match
    spans one), so that the cells listed at once stay few."""
    start = 0
    while len(data) - start > MiB:
        cut = data.find(b"<c", start + MiB)
        if cut < 0:
            break
        yield data[start:cut]
        start = cut
    yield data[start:] if start else data


def _walk_sheet(data: bytes) -> SheetScan:
    """The general walk, element by element: a row without a reference follows the row
    before it, and a cell without one the cell before it, as in python-calamine; every
    cell with a child element counts as holding something, so the grid is never short."""
    import xml.parsers.expat

    from defusedxml import DTDForbidden

    scan = SheetScan()
    walk = _Walk(scan)
    parser = xml.parsers.expat.ParserCreate()

    def refuse(name: str, sysid: str | None, pubid: str | None, *_: Any) -> None:
        raise DTDForbidden(name, sysid, pubid)

    parser.StartDoctypeDeclHandler = refuse
    parser.StartElementHandler = walk.start
    parser.EndElementHandler = walk.end
    parser.CharacterDataHandler = walk.text
    parser.buffer_text = True
    parser.Parse(data, True)
    return scan


class _Walk:
    """The state of _walk_sheet: where the next row and cell go, and the cell inside."""

    def __init__(self, scan: SheetScan) -> None:
        self.scan = scan
        self.row = self.col = 0
        self.cell: tuple[int, int] | None = None  # the cell being read
        self.error = False  # it is an error cell
        self.held = False  # it has a child element
        self.depth = 0  # elements open inside it
        self.capture: str | None = None  # "v" or "f": the child whose text is kept
        self.parts: list[str] = []
        self.value: str | None = None
        self.formula: str | None = None

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if self.cell is not None:
            self.depth += 1
            self.held = True
            if self.depth == 1 and local in ("v", "f") and self.capture is None:
                self.capture, self.parts = local, []
        elif local == "row":
            ref = attrs.get("r", "").strip()
            if ref.isascii() and ref.isdigit():
                self.row = int(ref) - 1
        elif local == "c":
            m = _CELL_REF.fullmatch(attrs.get("r", "").strip())
            if m:
                self.col = _column(m.group(1))
                self.cell = (int(m.group(2)) - 1, self.col)
            else:
                self.cell = (self.row, self.col)
            self.error = attrs.get("t") == "e"
            self.held, self.depth, self.value, self.formula = False, 0, None, None

    def end(self, name: str) -> None:
        if self.cell is None:
            if name.rpartition(":")[2] == "row":
                self.row, self.col = self.row + 1, 0
            return
        if self.depth:
            if self.depth == 1 and self.capture is not None:
                text = "".join(self.parts)
                if self.capture == "v" and self.value is None:
                    self.value = text
                elif self.capture == "f" and self.formula is None:
                    self.formula = text
                self.capture = None
            self.depth -= 1
            return
        self._close()

    def text(self, data: str) -> None:
        if self.capture is not None:
            self.parts.append(data)

    def _close(self) -> None:
        scan, (row, col) = self.scan, self.cell
        self.cell = None
        self.col = col + 1
        if not self.held:
            return
        scan.rows, scan.cols = max(scan.rows, row + 1), max(scan.cols, col + 1)
        if len(scan.errors) + len(scan.formulas) >= MAX_NOTED_CELLS:
            return
        if self.error:
            scan.errors[(row, col)] = self.value or "#VALUE!"
        if self.formula is not None:
            scan.formulas[(row, col)] = self.formula
