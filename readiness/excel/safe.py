"""Safe reading of untrusted workbooks: everything here runs before any spreadsheet parser sees the bytes.

Uploaded files come from anyone, so the importer is the product's main attack surface. The parsers we
use (calamine in Rust, and openpyxl) are fast and correct on honest files but allocate according to
what a file *claims*: calamine, for instance, allocates the full rectangle up to the last cell
reference, so one cell at ``XFD1048576`` asks for half a terabyte and aborts the process. This module
therefore answers, from the raw bytes and with bounded memory:

* what the file is (a real ``.xlsx``, or a legacy ``.xls``, ``.xlsb``, ``.ods``, CSV, macro workbook,
  random bytes...), answering anything but ``.xlsx`` with "save as .xlsx";
* whether the ZIP container is sane: entry count, real (not declared) uncompressed size, compression
  ratio, no encryption, no exotic compression, local and central headers agreeing;
* whether any XML part carries a document type declaration (the vehicle of billion-laughs and external
  entity attacks; no spreadsheet ever needs one);
* how many rows and columns each sheet really uses, counted while streaming its XML (the sheet's own
  ``<dimension>`` tag is not trusted), plus the per-cell facts calamine does not expose: which cells
  are percent-formatted, which hold a formula without a cached value, which hold an error value.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

import defusedxml
import defusedxml.ElementTree as DefusedET
import openpyxl.xml

from readiness.errors import InvalidInput, Issue

SAVE_AS = "open it in Excel, LibreOffice or Google Sheets and save it as an Excel Workbook (.xlsx)"


@dataclass(frozen=True)
class Limits:
    """What an uploaded workbook may use; generous for real portfolios, fatal for bombs."""

    max_file_bytes: int = 20 * 2**20
    max_entries: int = 2_000
    max_uncompressed_bytes: int = 256 * 2**20
    max_entry_ratio: float = 500.0
    ratio_checked_above: int = 2**20
    max_rows: int = 50_000
    max_columns: int = 1_024
    max_cells: int = 3_000_000
    max_xml_part_bytes: int = 16 * 2**20
    max_shared_strings: int = 1_000_000


DEFAULT_LIMITS = Limits()

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
CHUNK = 1 << 20


def ensure_defusedxml() -> None:
    """Fail at start-up unless openpyxl parses XML through defusedxml (XML bombs and external entities).

    openpyxl switches to defusedxml only when it is installed; a deployment that lost the package would
    silently parse hostile XML, so the importer refuses to run instead.
    """
    if not getattr(openpyxl.xml, "DEFUSEDXML", False) or not defusedxml.__version__:
        raise RuntimeError("defusedxml is not active in openpyxl: install defusedxml before reading workbooks")


# ------------------------------------------------------------------------------------------------
# Cell references
# ------------------------------------------------------------------------------------------------


def column_letter(index: int) -> str:
    """``0`` → ``A``, ``25`` → ``Z``, ``26`` → ``AA`` (0-based column index to Excel letters)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def column_index(letters: str) -> int:
    """``A`` → ``0``; the inverse of :func:`column_letter`."""
    value = 0
    for char in letters.upper():
        value = value * 26 + ord(char) - 64
    return value - 1


def cell_ref(sheet: str, row: int, column: int) -> str:
    """An Excel-style location such as ``Metrics!E7`` from 0-based row and column."""
    quoted = sheet if re.fullmatch(r"[A-Za-z0-9_.]+", sheet) else "'" + sheet.replace("'", "''") + "'"
    return f"{quoted}!{column_letter(column)}{row + 1}"


# ------------------------------------------------------------------------------------------------
# What is this file?
# ------------------------------------------------------------------------------------------------


def _fail(source: str, message: str, location: str = "") -> InvalidInput:
    return InvalidInput([Issue("error", location, message)], source)


def sniff(data: bytes, source: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise :class:`InvalidInput` unless the bytes can be an .xlsx (a ZIP) of an acceptable size."""
    if not data:
        raise _fail(source, "the file is empty: expected an Excel workbook (.xlsx)")
    if len(data) > limits.max_file_bytes:
        raise _fail(source, f"the file is larger than {limits.max_file_bytes // 2**20} MB")
    if data.startswith(ZIP_MAGICS):
        return
    if data.startswith(OLE2_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise _fail(source, "the workbook is password-protected: remove the password, then save it as .xlsx")
        raise _fail(source, f"this is a legacy Excel 97-2003 file (.xls): {SAVE_AS}")
    raise _fail(source, _describe_non_zip(data))


def _describe_non_zip(data: bytes) -> str:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"%pdf"):
        return "this is a PDF, not a workbook: expected an Excel workbook (.xlsx)"
    if head.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in data[:65536]:
        return f"this is an Excel 2003 XML spreadsheet: {SAVE_AS}"
    if head.startswith((b"<!doctype html", b"<html", b"<table")) or b"<html" in head[:512]:
        return f"this is a web page (HTML) with a spreadsheet extension, not a workbook: {SAVE_AS}"
    if head.startswith((b"{", b"[")):
        return "this looks like JSON, not a workbook: upload it as an assessment .json file"
    if _looks_like_text(data[:65536]):
        return f"this looks like CSV or plain text, not a workbook: {SAVE_AS}"
    return f"not a spreadsheet (unrecognised content): expected an Excel workbook (.xlsx); {SAVE_AS}"


def _looks_like_text(sample: bytes) -> bool:
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = sample.decode("utf-16")
        except UnicodeDecodeError:
            return False
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return bool(text) and printable / len(text) > 0.95


# ------------------------------------------------------------------------------------------------
# The ZIP container
# ------------------------------------------------------------------------------------------------


def _open_zip(data: bytes, source: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, struct.error) as error:
        raise _fail(source, f"the file is damaged or not a workbook (broken ZIP container: {error})") from None
    except (NotImplementedError, UnicodeDecodeError, KeyError, IndexError, OverflowError) as error:
        raise _fail(source, f"the file is damaged or not a workbook ({type(error).__name__})") from None


def _check_kind(names: list[str], source: str) -> None:
    """Recognise the ZIP-based formats that are not .xlsx and say what to do."""
    lower = {n.lower(): n for n in names}
    if any(posixpath.basename(n) == "vbaproject.bin" for n in lower):
        raise _fail(source, f"the workbook contains macros (vbaProject.bin), which are never accepted: {SAVE_AS}")
    if "mimetype" in lower and "content.xml" in lower:
        raise _fail(source, f"this is an OpenDocument spreadsheet (.ods): {SAVE_AS}")
    if "xl/workbook.bin" in lower:
        raise _fail(source, f"this is an Excel binary workbook (.xlsb): {SAVE_AS}")
    if "word/document.xml" in lower:
        raise _fail(source, "this is a Word document, not a workbook: expected an Excel workbook (.xlsx)")
    if "ppt/presentation.xml" in lower:
        raise _fail(source, "this is a PowerPoint presentation, not a workbook: expected an Excel workbook (.xlsx)")
    if "xl/workbook.xml" not in names:
        raise _fail(source, f"this ZIP archive is not an Excel workbook (no xl/workbook.xml): {SAVE_AS}")


def _check_entries(infos: list[zipfile.ZipInfo], source: str, limits: Limits) -> None:
    if len(infos) > limits.max_entries:
        raise _fail(source, f"the workbook has {len(infos)} parts (limit {limits.max_entries}): possible ZIP bomb")
    seen: set[str] = set()
    declared = 0
    for info in infos:
        if info.filename in seen:
            raise _fail(source, f"the ZIP container holds two parts named {info.filename!r}: damaged or crafted file")
        seen.add(info.filename)
        if info.flag_bits & 0x1:
            raise _fail(source, "the workbook is encrypted: remove the password, then save it as .xlsx")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _fail(source, f"part {info.filename!r} uses an unsupported compression method: {SAVE_AS}")
        declared += info.file_size
        if declared > limits.max_uncompressed_bytes:
            raise _fail(
                source,
                f"the workbook expands to more than {limits.max_uncompressed_bytes // 2**20} MB: possible ZIP bomb",
            )
        if info.file_size > limits.ratio_checked_above and info.file_size > limits.max_entry_ratio * max(
            info.compress_size, 1
        ):
            raise _fail(
                source, f"part {info.filename!r} is compressed more than {limits.max_entry_ratio:g}:1: ZIP bomb"
            )


class _Budget:
    """The real number of bytes inflated so far, across all parts (declared sizes may lie)."""

    def __init__(self, limits: Limits, source: str) -> None:
        self.left = limits.max_uncompressed_bytes
        self.limits = limits
        self.source = source

    def spend(self, amount: int) -> None:
        self.left -= amount
        if self.left < 0:
            limit = self.limits.max_uncompressed_bytes // 2**20
            raise _fail(self.source, f"the workbook expands to more than {limit} MB: possible ZIP bomb")


def _raw_member(data: bytes, info: zipfile.ZipInfo, source: str) -> bytes:
    """The compressed bytes of one part, read from its local header (which must agree with the directory)."""
    offset = info.header_offset
    header = data[offset : offset + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise _fail(source, f"part {info.filename!r} has no valid local header: damaged or crafted file")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    raw_name = data[offset + 30 : offset + 30 + name_length]
    encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
    if raw_name.decode(encoding, errors="replace") != info.orig_filename:
        raise _fail(source, f"part {info.filename!r} is named differently in its local header: crafted file")
    start = offset + 30 + name_length + extra_length
    end = start + info.compress_size
    if end > len(data):
        raise _fail(source, f"part {info.filename!r} is truncated: damaged file")
    return data[start:end]


def iter_member(data: bytes, info: zipfile.ZipInfo, budget: _Budget, source: str, limits: Limits) -> Iterator[bytes]:
    """Inflate one part chunk by chunk, counting real bytes and checking size, ratio and CRC."""
    raw = _raw_member(data, info, source)
    produced, crc = 0, 0
    if info.compress_type == zipfile.ZIP_STORED:
        pieces: Iterator[bytes] = (raw[i : i + CHUNK] for i in range(0, len(raw), CHUNK))
    else:
        pieces = _inflate(raw, info, source)
    for piece in pieces:
        produced += len(piece)
        if produced > info.file_size:
            raise _fail(
                source,
                f"part {info.filename!r} inflates to more than its declared {info.file_size:,} bytes: "
                "crafted file (possible ZIP bomb)",
            )
        budget.spend(len(piece))
        if produced > limits.ratio_checked_above and produced > limits.max_entry_ratio * max(info.compress_size, 1):
            raise _fail(
                source, f"part {info.filename!r} is compressed more than {limits.max_entry_ratio:g}:1: ZIP bomb"
            )
        crc = zlib.crc32(piece, crc)
        yield piece
    if produced != info.file_size or crc != info.CRC:
        raise _fail(source, f"part {info.filename!r} does not match its declared size or checksum: damaged file")


def _inflate(raw: bytes, info: zipfile.ZipInfo, source: str) -> Iterator[bytes]:
    inflater = zlib.decompressobj(-15)
    view = memoryview(raw)
    position = 0
    try:
        while not inflater.eof:
            if inflater.unconsumed_tail:
                piece = inflater.decompress(inflater.unconsumed_tail, CHUNK)
            elif position < len(raw):
                piece = inflater.decompress(view[position : position + CHUNK], CHUNK)
                position += CHUNK
            else:
                break
            if piece:
                yield piece
        if not inflater.eof:
            raise _fail(source, f"part {info.filename!r} is truncated: damaged file")
    except zlib.error as error:
        raise _fail(source, f"part {info.filename!r} cannot be decompressed ({error}): damaged file") from None


# ------------------------------------------------------------------------------------------------
# Sheet scanning: rows, columns and the cell facts calamine does not expose
# ------------------------------------------------------------------------------------------------

# A start tag, with its reference captured directly when ``r`` is the first attribute (as Excel,
# LibreOffice, Google Sheets and openpyxl all write it); other orders fall back to _REF.
_LEADING_REF = rb"""(?:\s+r\s*=\s*["']([A-Za-z]{0,4})(\d{1,8})["'])?"""
_PREFIX = rb"<(?:[A-Za-z_][\w.\-]*:)?"
_TOKEN = re.compile(_PREFIX + rb"(row|c|f|v)(?=[\s/>])" + _LEADING_REF + rb"([^>]*)>")
_ROW_OR_CELL = re.compile(_PREFIX + rb"(row|c)(?=[\s/>])" + _LEADING_REF + rb"([^>]*)>")
# Byte strings whose absence proves a piece has no formula and no error cell (plain ``in`` tests
# are far faster than a regex over a megabyte).
_DETAIL_MARKERS = (b"<f>", b"<f ", b"<f/", b":f>", b":f ", b":f/", b't="e"', b"t='e'", b't="e', b"t = ")
_REF = re.compile(rb"""(?:^|\s)r\s*=\s*["']\s*([A-Za-z]{1,4})(\d{1,8})\s*["']""")
_ROW_NUMBER = re.compile(rb"""(?:^|\s)r\s*=\s*["']\s*(\d{1,8})\s*["']""")
_STYLE = re.compile(rb"""(?:^|\s)s\s*=\s*["']\s*(\d{1,6})\s*["']""")
_TYPE = re.compile(rb"""(?:^|\s)t\s*=\s*["']\s*(\w+)\s*["']""")
_SHARED_STRING_MARKERS = (b"<si>", b"<si ", b"<si/", b":si>", b":si ", b":si/")
_DTD = (b"<!DOCTYPE", b"<!ENTITY", b"<!doctype", b"<!entity")


@dataclass
class SheetScan:
    """What streaming a sheet's XML found: its real extent and cell facts, keyed by 0-based (row, col)."""

    name: str
    path: str
    hidden: bool = False
    rows: int = 0
    columns: int = 0
    cells: int = 0
    percent_cells: set[tuple[int, int]] = field(default_factory=set)
    formula_cells: set[tuple[int, int]] = field(default_factory=set)
    error_cells: dict[tuple[int, int], str] = field(default_factory=dict)


class _CellScanner:
    """Streams a worksheet part and keeps its extent, stopping as soon as a limit is crossed.

    Written as one tight loop over start tags because it sees every cell of every sheet: a
    1,000-row portfolio has over 100,000 of them.
    """

    def __init__(self, scan: SheetScan, percent_styles: frozenset[int], limits: Limits, source: str) -> None:
        self.scan = scan
        self.percent_styles = percent_styles
        self.limits = limits
        self.source = source
        self.row = -1
        self.column = -1
        self.cell: tuple[int, int] | None = None
        self.cell_type = b""
        self.has_formula = False
        self.has_value = False
        self.value_text = b""
        self.columns_seen: dict[bytes, int] = {}

    def feed(self, text: bytes) -> None:
        """Scan a piece of the part that ends just before a ``<`` (so every tag in it is complete)."""
        # Formula and value tags matter only where a formula or an error cell can be: most pieces
        # have neither, and the fast loop skips their <v> tags.
        pending = self.has_formula or self.cell_type == b"e"
        if pending or any(marker in text for marker in _DETAIL_MARKERS):
            self._feed_detailed(text)
        else:
            self._feed_fast(text)

    def _feed_fast(self, text: bytes) -> None:
        scan, styles, columns_seen, max_cells = self.scan, self.percent_styles, self.columns_seen, self.limits.max_cells
        row, column, cells, rows_seen, columns_used = self.row, self.column, scan.cells, scan.rows, scan.columns
        for tag, letters, digits, attrs in _ROW_OR_CELL.findall(text):
            if tag == b"c":
                if not digits:
                    ref = _REF.search(attrs)
                    letters, digits = ref.groups() if ref else (b"", b"")
                if digits and letters:
                    column = columns_seen.get(letters)
                    if column is None:
                        column = columns_seen[letters] = column_index(letters.decode("ascii"))
                    row = int(digits) - 1
                else:
                    column += 1
                    row = max(row, 0)
                cells += 1
                if row >= rows_seen or column >= columns_used or cells > max_cells:
                    scan.cells = cells
                    self._grow(row, column)
                    rows_seen, columns_used = scan.rows, scan.columns
                if styles:
                    style = _STYLE.search(attrs)
                    if style and int(style.group(1)) in styles:
                        scan.percent_cells.add((row, column))
            else:
                if not digits and not letters:
                    number = _ROW_NUMBER.search(attrs)
                    digits = number.group(1) if number else b""
                row = int(digits) - 1 if digits and not letters else row + 1
                column = -1
                if row >= rows_seen:
                    self._grow(row, 0)
                    rows_seen = scan.rows
        self.row, self.column, scan.cells = row, column, cells
        self.cell = (row, column) if column >= 0 else None

    def _feed_detailed(self, text: bytes) -> None:
        scan, styles, columns_seen = self.scan, self.percent_styles, self.columns_seen
        for match in _TOKEN.finditer(text):
            tag, letters, digits, attrs = match.groups()
            if tag == b"c":
                self._close_cell()
                if not digits:
                    ref = _REF.search(attrs)
                    letters, digits = ref.groups() if ref else (b"", b"")
                if digits and letters:
                    column = columns_seen.get(letters)
                    if column is None:
                        column = columns_seen[letters] = column_index(letters.decode("ascii"))
                    self.column, self.row = column, int(digits) - 1
                else:
                    self.column += 1
                    self.row = max(self.row, 0)
                scan.cells += 1
                cell = self.cell = (self.row, self.column)
                self._grow(self.row, self.column)
                kind = _TYPE.search(attrs)
                self.cell_type = kind.group(1) if kind else b""
                if styles:
                    style = _STYLE.search(attrs)
                    if style and int(style.group(1)) in styles:
                        scan.percent_cells.add(cell)
            elif tag == b"row":
                self._close_cell()
                if not digits and not letters:
                    number = _ROW_NUMBER.search(attrs)
                    digits = number.group(1) if number else b""
                self.row = int(digits) - 1 if digits and not letters else self.row + 1
                self.column = -1
                self._grow(self.row, 0)
            elif self.cell is None:
                continue
            elif tag == b"f":
                self.has_formula = True
            elif not attrs.endswith(b"/"):
                end = text.find(b"<", match.end())
                value = text[match.end() : end if end >= 0 else len(text)]
                if value.strip():
                    self.has_value = True
                    self.value_text = value[:64]

    def finish(self) -> None:
        """Settle the last cell."""
        self._close_cell()

    def _close_cell(self) -> None:
        if self.cell is None:
            return
        if self.cell_type == b"e":
            self.scan.error_cells[self.cell] = self.value_text.decode("utf-8", "replace").strip() or "#ERROR"
        elif self.has_formula and not self.has_value and self.cell_type != b"str":
            self.scan.formula_cells.add(self.cell)
        self.cell = None
        self.cell_type = b""
        self.has_formula = self.has_value = False
        self.value_text = b""

    def _grow(self, row: int, column: int) -> None:
        scan, limits = self.scan, self.limits
        if row < 0 or column < 0:
            raise _fail(self.source, f"sheet {scan.name!r} has an invalid cell reference: damaged file")
        if row >= scan.rows:
            scan.rows = row + 1
            if scan.rows > limits.max_rows:
                raise _fail(
                    self.source,
                    f"sheet {scan.name!r} has more than {limits.max_rows:,} rows (row {row + 1:,} reached): "
                    "split it into smaller workbooks",
                )
        if column >= scan.columns:
            scan.columns = column + 1
            if scan.columns > limits.max_columns:
                raise _fail(
                    self.source,
                    f"sheet {scan.name!r} uses column {column_letter(column)} (more than {limits.max_columns:,} "
                    "columns): remove the stray cells far to the right",
                )
        if scan.rows * scan.columns > limits.max_cells or scan.cells > limits.max_cells:
            raise _fail(
                self.source,
                f"sheet {scan.name!r} spans more than {limits.max_cells:,} cells "
                f"({scan.rows:,} rows × {scan.columns:,} columns): remove stray cells or split the workbook",
            )


# ------------------------------------------------------------------------------------------------
# Workbook structure: sheets, their parts, and the percent styles
# ------------------------------------------------------------------------------------------------

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
BUILTIN_PERCENT_FORMATS = frozenset({9, 10})


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_xml(text: bytes, part: str, source: str) -> Element:
    """Parse a small XML part with defusedxml: no DTD, no entities, no external references."""
    try:
        return DefusedET.fromstring(text, forbid_dtd=True)
    except defusedxml.DefusedXmlException:
        raise _fail(source, f"part {part!r} declares XML entities or a DTD: refused (possible XML attack)") from None
    except (DefusedET.ParseError, ValueError, LookupError) as error:
        raise _fail(source, f"part {part!r} is not well-formed XML ({error}): damaged file") from None


def _sheet_parts(workbook: Element, rels: Element | None, source: str) -> list[tuple[str, str, bool]]:
    """(name, part path, hidden) for every worksheet, resolved like calamine resolves them."""
    targets: dict[str, str] = {}
    if rels is not None:
        for rel in rels:
            if _local(rel.tag) == "Relationship" and rel.get("Id"):
                targets[rel.get("Id", "")] = rel.get("Target", "")
    sheets = []
    for element in workbook.iter():
        if _local(element.tag) != "sheet":
            continue
        name = element.get("name", "")
        rel_id = element.get(f"{{{_REL_NS}}}id") or element.get("id") or ""
        target = targets.get(rel_id, "")
        if not name or not target:
            raise _fail(source, f"sheet {name!r} points to no part: damaged workbook")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        sheets.append((name, path, element.get("state", "visible") != "visible"))
    if not sheets:
        raise _fail(source, "the workbook has no sheets")
    return sheets


def is_percent_format(code: str) -> bool:
    """Whether a number format code displays a percentage (ignoring quoted text and escapes)."""
    stripped = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code)
    return "%" in stripped


def percent_styles(styles: Element | None) -> frozenset[int]:
    """Indexes of the cell styles (``s`` attribute) whose number format shows a percentage."""
    if styles is None:
        return frozenset()
    custom: dict[int, str] = {}
    xfs: list[int] = []
    for element in styles:
        name = _local(element.tag)
        if name == "numFmts":
            for fmt in element:
                if fmt.get("numFmtId", "").isdigit():
                    custom[int(fmt.get("numFmtId", "0"))] = fmt.get("formatCode", "")
        elif name == "cellXfs":
            for xf in element:
                number = xf.get("numFmtId", "0")
                xfs.append(int(number) if number.isdigit() else 0)
    percent = set()
    for index, fmt_id in enumerate(xfs):
        if fmt_id in BUILTIN_PERCENT_FORMATS or is_percent_format(custom.get(fmt_id, "")):
            percent.add(index)
    return frozenset(percent)


@dataclass
class ScannedWorkbook:
    """A workbook that passed every check, with what the scan learnt about each sheet (in workbook order)."""

    data: bytes
    source: str
    sheets: dict[str, SheetScan]
    percent_styles: frozenset[int]


def _is_xml_part(name: str) -> bool:
    return name.lower().endswith((".xml", ".rels", ".vml"))


def _check_xml_chunk(chunk: bytes, tail: bytes, name: str, first: bool, source: str) -> None:
    if first and chunk[:2] in (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<"):
        raise _fail(source, f"part {name!r} is not UTF-8 encoded XML: damaged or crafted file")
    window = tail + chunk
    if any(marker in window for marker in _DTD):
        raise _fail(source, f"part {name!r} declares a DTD or XML entities: refused (possible XML attack)")


def _read_small_part(
    data: bytes, zf: zipfile.ZipFile, name: str, budget: _Budget, source: str, limits: Limits
) -> bytes | None:
    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    if info.file_size > limits.max_xml_part_bytes:
        raise _fail(source, f"part {name!r} is larger than {limits.max_xml_part_bytes // 2**20} MB")
    parts, tail, first = [], b"", True
    for chunk in iter_member(data, info, budget, source, limits):
        _check_xml_chunk(chunk, tail, name, first, source)
        parts.append(chunk)
        tail, first = chunk[-16:], False
    return b"".join(parts)


def scan_workbook(data: bytes, source: str, limits: Limits = DEFAULT_LIMITS) -> ScannedWorkbook:
    """Check an untrusted .xlsx from its bytes; raise :class:`InvalidInput` naming the first problem found."""
    sniff(data, source, limits)
    zf = _open_zip(data, source)
    infos = zf.infolist()
    names = [i.filename for i in infos]
    _check_kind(names, source)
    _check_entries(infos, source, limits)
    budget = _Budget(limits, source)
    workbook_name = "xl/workbook.xml"
    small = {}
    for name in ("[Content_Types].xml", workbook_name, "xl/_rels/workbook.xml.rels", "xl/styles.xml"):
        small[name] = _read_small_part(data, zf, name, budget, source, limits)
    content_types = small["[Content_Types].xml"] or b""
    if b"macroenabled" in content_types.lower() or b"vbaproject" in content_types.lower():
        raise _fail(source, f"the workbook is macro-enabled (.xlsm), which is never accepted: {SAVE_AS}")
    workbook = parse_xml(small[workbook_name] or b"", workbook_name, source)
    rels_text = small["xl/_rels/workbook.xml.rels"]
    rels = parse_xml(rels_text, "xl/_rels/workbook.xml.rels", source) if rels_text else None
    styles_text = small["xl/styles.xml"]
    styles = percent_styles(parse_xml(styles_text, "xl/styles.xml", source) if styles_text else None)
    sheets: dict[str, SheetScan] = {}
    by_path: dict[str, SheetScan] = {}
    for name, path, hidden in _sheet_parts(workbook, rels, source):
        if name in sheets:
            raise _fail(source, f"two sheets are named {name!r}: damaged workbook")
        sheets[name] = SheetScan(name=name, path=path, hidden=hidden)
        by_path.setdefault(path, sheets[name])
    real_paths = {n.lower(): n for n in names}
    for scan in sheets.values():
        if scan.path not in names and scan.path.lower() not in real_paths:
            raise _fail(source, f"sheet {scan.name!r} points to a missing part {scan.path!r}: damaged workbook")
    for info in infos:
        if info.filename in small:
            continue
        if not _is_xml_part(info.filename):
            for _ in iter_member(data, info, budget, source, limits):
                pass
            continue
        # Every XML part is scanned for cells, not only the ones the workbook names as sheets: the
        # scan must hold for whatever part a parser might be led to, whatever the relationships say.
        owner = by_path.get(info.filename) or SheetScan(name=info.filename, path=info.filename)
        _scan_xml_part(data, info, owner, styles, budget, source, limits)
    return ScannedWorkbook(data=data, source=source, sheets=sheets, percent_styles=styles)


def _scan_xml_part(
    data: bytes,
    info: zipfile.ZipInfo,
    scan: SheetScan,
    styles: frozenset[int],
    budget: _Budget,
    source: str,
    limits: Limits,
) -> None:
    scanner = _CellScanner(scan, styles, limits, source)
    carry, tail, first = b"", b"", True
    strings = 0
    for chunk in iter_member(data, info, budget, source, limits):
        _check_xml_chunk(chunk, tail, info.filename, first, source)
        tail, first = chunk[-16:], False
        buffer = carry + chunk
        # Cut just before the last "<": every tag before the cut is complete, and so is the text
        # of a <v> element that precedes it.
        cut = buffer.rfind(b"<")
        if cut <= 0:
            carry = buffer
            if len(carry) > limits.max_xml_part_bytes:
                size = limits.max_xml_part_bytes // 2**20
                raise _fail(source, f"part {info.filename!r} holds more than {size} MB without markup: crafted file")
            continue
        piece = buffer[:cut]
        # Shared strings are held in memory by any reader: their number is bounded like cells are.
        strings += sum(piece.count(marker) for marker in _SHARED_STRING_MARKERS)
        if strings > limits.max_shared_strings:
            raise _fail(source, f"the workbook holds more than {limits.max_shared_strings:,} distinct texts")
        scanner.feed(piece)
        carry = buffer[cut:]
    if carry:
        scanner.feed(carry)
    scanner.finish()
