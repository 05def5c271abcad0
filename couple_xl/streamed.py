"""A large sheet streamed into a workbook that XlsxWriter has finished.

XlsxWriter keeps every cell of a workbook in memory until it closes, and its
constant-memory mode refuses Excel tables. The summary's Data sheet is one row per
answer (25,000 rows for 1,000 returns) and must stay an Excel table, ready for pivot
tables. So XlsxWriter writes that sheet as a frame: the header row, the first data
row (which fixes the cells' styles), the column widths and the table over the full
range. The other rows are written here, as XML, to a temporary file while the rest
of the summary is built, and spliced into the frame when the workbook is packed
again. Memory stays flat in the number of rows.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
import tempfile
import zipfile
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from .excel import CELL_TEXT, cut
from .layout import column_letters

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_ESCAPED_LOOKALIKE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_EPOCH = dt.datetime(1899, 12, 30)
# Stand for cell styles in streamed rows until the frame says which styles they are (a
# control character never survives escaping, so none can occur in cell text): the first
# for dates, the others for the columns whose cells carry their frame cell's style.
_MARKS = [chr(c) for c in (*range(1, 9), 11, 12, *range(14, 32))]
_CHUNK = 1024 * 1024


def _text(value: str) -> str:
    """Cell text as Excel stores it: cut to a cell's limit, XML-escaped, control
    characters as _xHHHH_ (and a literal _xHHHH_ protected), as XlsxWriter does."""
    if len(value) > CELL_TEXT // 2:  # shorter text fits even if all of it is emoji
        value = cut(value, CELL_TEXT)
    if "_x" in value:
        value = _ESCAPED_LOOKALIKE.sub(r"_x005F\1", value)
    if _CONTROL.search(value):
        value = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _serial(value: dt.date) -> str:
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    delta = value.replace(tzinfo=None) - _EPOCH
    return repr(delta.days + delta.seconds / 86400 + delta.microseconds / 86400e9)


class StreamedRows:
    """Rows of one sheet, written as XML to a temporary file as they come."""

    def __init__(
        self,
        first_row: int,
        columns: Sequence[str],
        date_column: int,
        table: str,
        styled: Collection[int] = (),
    ) -> None:
        self.first_row = first_row  # 0-based index of the first streamed row
        self.date_column = date_column  # the frame's cell in this column carries the style
        # Columns whose every cell carries the style of the frame's cell in that column
        # (the date column's is the one every date takes), each with its mark.
        others = sorted(set(styled) - {date_column})
        if len(others) >= len(_MARKS):
            raise ValueError(f"at most {len(_MARKS) - 1} styled columns can be streamed")
        self.marks = {date_column: _MARKS[0]} | dict(zip(others, _MARKS[1:]))
        # The frame's table spans the frame's rows (XlsxWriter notes every cell of a
        # table's range, so a full-size table there would cost what streaming saves);
        # the splice stretches it over every row.
        self.table = table
        self._texts: dict[str, str] = {}
        self.letters = [column_letters(i) for i in range(len(columns))]
        self._openings = [f'<c r="{letter}' for letter in self.letters]
        self._styles = [f' s="{self.marks[i]}"' if i in styled else "" for i in range(len(columns))]
        self._date_style = f' s="{self.marks[date_column]}"'
        self._serials: dict[dt.date, str] = {}
        self.count = 0
        # Open for the object's life: closed by close(), or on leaving a with block.
        self.file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115

    @property
    def last_row(self) -> int:
        """0-based index of the last row written, or of the row before the first."""
        return self.first_row + self.count - 1

    def add(self, values: Sequence[Any], height: float | None = None) -> None:
        """Write a row of ``values``, ``height`` points tall (None: the default height)."""
        n = str(self.first_row + self.count + 1)  # the row's 1-based number
        cells = []
        for opening, style, value in zip(self._openings, self._styles, values, strict=True):
            if type(value) is not str:  # most cells are text: they skip these tests
                if value is None:
                    if style:  # a styled cell keeps its style (its borders, its wrap)
                        cells.append(f'{opening}{n}"{style}/>')
                    continue
                if isinstance(value, bool):
                    cells.append(f'{opening}{n}"{style} t="b"><v>{int(value)}</v></c>')
                    continue
                if isinstance(value, (int, float)):
                    cells.append(f'{opening}{n}"{style}><v>{value!r}</v></c>')
                    continue
                if isinstance(value, dt.date):
                    date = f'{opening}{n}"{self._date_style}><v>{self._serial(value)}</v></c>'
                    cells.append(date)
                    continue
                value = str(value)
            if value:
                text = self._inline(value)
                cells.append(f'{opening}{n}"{style} t="inlineStr"><is>{text}</is></c>')
            elif style:
                cells.append(f'{opening}{n}"{style}/>')
        tall = "" if height is None else f' ht="{height:g}" customHeight="1"'
        self.file.write(f'<row r="{n}"{tall}>{"".join(cells)}</row>'.encode())
        self.count += 1

    def _serial(self, value: dt.date) -> str:
        """A date's serial number; a round's date recurs on every row of its returns."""
        serial = self._serials.get(value)
        if serial is None:
            if len(self._serials) > 10_000:
                self._serials.clear()
            serial = self._serials[value] = _serial(value)
        return serial

    def _inline(self, value: str) -> str:
        """The <t> element of a text; the same few texts recur on every row, so each is
        escaped once (the cache is emptied when it grows, to keep memory flat)."""
        text = self._texts.get(value)
        if text is None:
            escaped = _text(value)
            space = ' xml:space="preserve"' if escaped != escaped.strip() else ""
            text = f"<t{space}>{escaped}</t>"
            if len(self._texts) > 10_000:
                self._texts.clear()
            self._texts[value] = text
        return text

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> StreamedRows:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def splice(self, package: Path, part: str, into: Path) -> None:
        """Copy the workbook at ``package`` to ``into`` with these rows spliced into the
        sheet ``part``, after its last row and before the end of its sheet data."""
        splice(package, {part: self}, into)

    def _stretch(self, xml: str) -> str:
        """A table part; the streamed table's range is stretched over the streamed rows."""
        if f'displayName="{self.table}"' not in xml:
            return xml
        last = self.letters[-1]
        frame = f'ref="A1:{last}{self.first_row}"'
        if frame not in xml:
            raise ValueError(f"the frame's table {self.table} does not span the frame's rows")
        return xml.replace(frame, f'ref="A1:{last}{max(self.last_row, self.first_row - 1) + 1}"')

    def write_part(self, xml: str, out: IO[bytes]) -> None:
        """The frame's sheet part ``xml`` with these rows after its own."""
        head, tail, styles = self._frame(xml)
        out.write(head)
        self.file.seek(0)
        while chunk := self.file.read(_CHUNK):
            # Each mark is one byte (no chunk boundary splits one), and no style number
            # holds one: they can be replaced one after another.
            for mark, style in styles.items():
                chunk = chunk.replace(mark, style)
            out.write(chunk)
        out.write(tail)

    def _frame(self, xml: str) -> tuple[bytes, bytes, dict[bytes, bytes]]:
        """The frame's XML cut where the rows go, and the style each mark stands for: the
        style of the frame's cell in that column, on its first data row."""
        end = xml.index("</sheetData>")
        head, tail = xml[:end], xml[end:]
        last = f"{self.letters[-1]}{self.last_row + 1}"
        head = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{last}"/>', head, count=1)
        frame_row = f'<row r="{self.first_row}"'
        if frame_row not in head:
            raise ValueError(f"the frame sheet has no row {self.first_row} to follow")
        styles = {}
        for column, mark in self.marks.items():
            ref = f"{column_letters(column)}{self.first_row}"
            style = re.search(f'<c r="{ref}" s="(\\d+)"', head)
            if style is None:
                kind = "date style" if column == self.date_column else "style"
                raise ValueError(f"the frame's cell {ref} carries no {kind}")
            styles[mark.encode()] = style.group(1).encode()
        return head.encode(), tail.encode(), styles


def splice(package: Path, streams: Mapping[str, StreamedRows | SheetRows], into: Path) -> None:
    """Copy the workbook at ``package`` to ``into`` with each sheet part's streamed rows
    spliced in (a Data sheet's after the frame's last row, its table stretched over
    them; a laid-out sheet's each in its place among the frame's rows)."""
    # Level 1: the rows are large and repetitive, so most of the saving comes cheap.
    with (
        zipfile.ZipFile(package) as source,
        zipfile.ZipFile(into, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target,
    ):
        for info in source.infolist():
            if info.filename.startswith("xl/tables/"):
                xml = source.read(info).decode()
                for streamed in streams.values():
                    xml = streamed._stretch(xml)
                target.writestr(info, xml, zipfile.ZIP_DEFLATED, 1)
                continue
            streamed = streams.get(info.filename)
            if streamed is None:
                target.writestr(info, source.read(info), zipfile.ZIP_DEFLATED, 1)
                continue
            entry = zipfile.ZipInfo(info.filename, info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            with target.open(entry, "w") as out:
                streamed.write_part(source.read(info).decode(), out)


_ROW_START = re.compile(r'<row r="(\d+)"')


class SheetRows:
    """Whole rows of a sheet that XlsxWriter lays out, written as XML to a temporary file
    as they come, and spliced in among the rows it kept (titles, headings, formulas) by
    row number when the workbook is packed again. Each row is given in full: its cells'
    XML, styles resolved, and its height."""

    def __init__(self) -> None:
        self.rows: list[int] = []  # each row's 0-based index, ascending
        self.offsets: list[int] = [0]  # where each row's XML starts in the file, and ends
        # Open for the object's life: closed by close(), or on leaving a with block.
        self.file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115

    def add(self, row: int, cells: Sequence[str], height: float | None = None) -> None:
        """Row ``row`` (0-based, after the rows added before) of ``cells`` (their XML),
        ``height`` points tall (None: the default height)."""
        if self.rows and row <= self.rows[-1]:
            raise ValueError(f"row {row + 1} comes after row {self.rows[-1] + 1}")
        tall = "" if height is None else f' ht="{height:.16g}" customHeight="1"'
        data = f'<row r="{row + 1}"{tall}>{"".join(cells)}</row>'.encode()
        self.file.write(data)
        self.rows.append(row)
        self.offsets.append(self.offsets[-1] + len(data))

    def __contains__(self, row: object) -> bool:
        i = bisect.bisect_left(self.rows, row)  # type: ignore[arg-type]
        return i < len(self.rows) and self.rows[i] == row

    def __len__(self) -> int:
        return len(self.rows)

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> SheetRows:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _stretch(self, xml: str) -> str:
        return xml  # no table of its own

    def _copy(self, first: int, last: int, out: IO[bytes]) -> None:
        """Copy rows ``first`` to ``last`` (by their place in this file, not inclusive)."""
        start, end = self.offsets[first], self.offsets[last]
        self.file.seek(start)
        while start < end:
            chunk = self.file.read(min(_CHUNK, end - start))
            out.write(chunk)
            start += len(chunk)

    def write_part(self, xml: str, out: IO[bytes]) -> None:
        """The sheet part ``xml`` XlsxWriter wrote, with these rows among its own."""
        empty = xml.find("<sheetData/>")
        if empty >= 0:
            out.write(xml[:empty].encode() + b"<sheetData>")
            self._copy(0, len(self.rows), out)
            out.write(b"</sheetData>" + xml[empty + len("<sheetData/>") :].encode())
            return
        start = xml.index("<sheetData>") + len("<sheetData>")
        end = xml.index("</sheetData>")
        out.write(xml[:start].encode())
        done = 0
        kept = list(_ROW_START.finditer(xml, start, end))
        for i, found in enumerate(kept):
            row = int(found.group(1)) - 1
            upto = bisect.bisect_left(self.rows, row)
            if upto < len(self.rows) and self.rows[upto] == row:
                raise ValueError(f"row {row + 1} is both streamed and kept by the frame")
            self._copy(done, upto, out)
            done = upto
            stop = kept[i + 1].start() if i + 1 < len(kept) else end
            out.write(xml[found.start() : stop].encode())
        self._copy(done, len(self.rows), out)
        out.write(xml[end:].encode())


_PRESERVE = re.compile(r"^\s|\s$")


def cell_xml(ref: str, style: int, value: str | float | bool | None) -> str:
    """A cell as XlsxWriter writes it, with its style index: blank (None), a boolean, a
    number (a date as its serial number), or text inline, cut to a cell's limit as
    XlsxWriter cuts it and escaped as it escapes shared strings."""
    if value is None:
        return f'<c r="{ref}" s="{style}"/>'
    if isinstance(value, bool):
        return f'<c r="{ref}" s="{style}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}" s="{style}"><v>{value:.16G}</v></c>'
    if len(value) > CELL_TEXT:
        value = value[:CELL_TEXT]
    if "_x" in value:
        value = _ESCAPED_LOOKALIKE.sub(r"_x005F\1", value)
    if _CONTROL.search(value):
        value = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    space = ' xml:space="preserve"' if _PRESERVE.search(value) else ""
    text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t{space}>{text}</t></is></c>'
