"""A hostile corpus of would-be workbooks, generated cheaply: each must give a clear error or a safe import.

``corpus()`` returns name → (bytes, what the answer must say). An expected text of ``None`` means a safe
import (the file is odd but legitimate, and must be read correctly).
"""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

from excel_helpers import minimal_parts, raw_xlsx, raw_zip, simple_sheet

from readiness.excel.export import portfolio_headers

FIXTURES = Path(__file__).parent / "fixtures" / "excel"
INJECTIONS = (
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    '=DDE("cmd";"/C calc";"!A0")',
)


def portfolio_rows(count: int = 2, text: str = "Pilot") -> list[list[object]]:
    """A small valid Portfolio sheet (header and rows) as a grid of values."""
    headers = portfolio_headers()
    rows: list[list[object]] = [headers]
    for index in range(count):
        row: list[object] = [None] * len(headers)
        row[headers.index("Pilot name")] = f"{text} {index}"
        row[headers.index("Assessment date")] = "2026-10-01"
        row[headers.index("DATA-1")] = "Yes"
        row[headers.index("trust.adoption_rate")] = 40
        rows.append(row)
    return rows


@cache
def valid_portfolio() -> bytes:
    sheet, strings = simple_sheet(portfolio_rows())
    return raw_xlsx({"Portfolio": sheet}, strings)


def _with_part(data: bytes, name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr(name, content)
    return buffer.getvalue()


def _replace_part(data: bytes, name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, content if item.filename == name else source.read(item.filename))
    return buffer.getvalue()


def zip_bomb() -> bytes:
    """A valid workbook carrying a 300 MB part of zeros that compresses about 1000:1."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(valid_portfolio())) as source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename), zipfile.ZIP_DEFLATED)
        bomb = zipfile.ZipInfo("xl/media/image1.png")
        bomb.compress_type = zipfile.ZIP_DEFLATED
        with target.open(bomb, "w", force_zip64=True) as stream:
            zeros = b"\0" * 2**20
            for _ in range(300):
                stream.write(zeros)
    return buffer.getvalue()


def lying_bomb() -> bytes:
    """A sheet part whose headers declare 2 kB but whose data inflates to 40 MB."""
    sheet = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    sheet += b" " * (40 * 2**20) + b"</sheetData></worksheet>"
    parts = minimal_parts(sheet)
    parts = [(n, p, 2048 if n.endswith("sheet1.xml") else None, None) for n, p, _, _ in parts]
    return raw_zip(parts)


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + ']><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
    "<si><t>&lol9;</t></si></sst>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE workbook [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="&xxe;" sheetId="1" r:id="rId4"/></sheets></workbook>'
)


def lying_dimension() -> bytes:
    """A small valid Portfolio sheet whose <dimension> claims the whole grid: read, not trusted."""
    sheet, strings = simple_sheet(portfolio_rows())
    sheet = sheet.replace("<sheetViews>", '<dimension ref="A1:XFD1048576"/><sheetViews>', 1)
    return raw_xlsx({"Portfolio": sheet}, strings)


def far_cell(ref: str = "XFD1048576") -> bytes:
    """One stray cell far away: a parser that allocates the rectangle up to XFD1048576 asks for half a terabyte."""
    sheet, strings = simple_sheet(portfolio_rows())
    row = "".join(ch for ch in ref if ch.isdigit())
    sheet = sheet.replace("</sheetData>", f'<row r="{row}"><c r="{ref}"><v>1</v></c></row></sheetData>')
    return raw_xlsx({"Portfolio": sheet}, strings)


@cache
def million_rows() -> bytes:
    """A Portfolio sheet of 1,000,000 rows, written as XML straight into the ZIP (about a second)."""
    block = b"".join(b"<row><c><v>%d</v></c><c><v>%d</v></c></row>" % (i, i * 7) for i in range(100_000))
    sheet = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        + block * 10
        + b"</sheetData></worksheet>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name, payload, _, _ in minimal_parts(b""):
            if not name.endswith("sheet1.xml"):
                target.writestr(name, payload, zipfile.ZIP_DEFLATED)
        target.writestr(zipfile.ZipInfo("xl/worksheets/sheet1.xml"), sheet, zipfile.ZIP_DEFLATED, compresslevel=1)
    return buffer.getvalue()


def long_text() -> bytes:
    rows = portfolio_rows()
    rows[1][portfolio_headers().index("DATA-1 evidence")] = "x" * 40_000
    sheet, strings = simple_sheet(rows)
    return raw_xlsx({"Portfolio": sheet}, strings)


def control_characters() -> bytes:
    """A pilot name holding a BEL character, escaped the way Excel writes it (_x0007_)."""
    sheet, strings = simple_sheet(portfolio_rows(text="Bell_x0007_pilot"))
    return raw_xlsx({"Portfolio": sheet}, strings)


def injection_everywhere() -> bytes:
    """Formula-injection strings in every text field of two pilots: a safe import, as text."""
    headers = portfolio_headers()
    rows = portfolio_rows()
    text_columns = ["Pilot name", "Business unit", "Owning team", "Executive sponsor", "Submitted by"]
    text_columns += [h for h in headers if h.endswith(" evidence")]
    for index, row in enumerate(rows[1:]):
        for offset, column in enumerate(text_columns):
            row[headers.index(column)] = INJECTIONS[(offset + index) % len(INJECTIONS)] + (
                f" #{index}" if column == "Pilot name" else ""
            )
    sheet, strings = simple_sheet(rows)
    return raw_xlsx({"Portfolio": sheet}, strings)


def utf16_part() -> bytes:
    text = '<?xml version="1.0" encoding="UTF-16"?><sst xmlns="x"/>'.encode("utf-16")
    return _replace_part(valid_portfolio(), "xl/sharedStrings.xml", text)


def duplicate_parts() -> bytes:
    parts = minimal_parts(simple_sheet(portfolio_rows())[0], simple_sheet(portfolio_rows())[1])
    return raw_zip([*parts, parts[-1]])


def local_name_mismatch() -> bytes:
    sheet, strings = simple_sheet(portfolio_rows())
    parts = minimal_parts(sheet, strings)
    parts[-1] = (parts[-1][0], parts[-1][1], None, "xl/worksheets/other.xml")
    return raw_zip(parts)


def _ods() -> bytes:
    ods = io.BytesIO()
    with zipfile.ZipFile(ods, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<office:document-content/>")
    return ods.getvalue()


def _random_bytes() -> bytes:
    rng = random.Random(20261101)
    return bytes(rng.randrange(256) for _ in range(50_000))


def _macro_content_type() -> bytes:
    sheet, strings = simple_sheet(portfolio_rows())
    return raw_xlsx({"Portfolio": sheet}, strings, macro=True)


ENCRYPTED = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 64

# name → (how to build the file, a fragment its error message must contain). Builders, not bytes: the
# names parametrize tests at collection, and the files (a 300 MB zip bomb among them) are built once, later.
CORPUS_BUILDERS: dict[str, tuple[Callable[[], bytes], str | None]] = {
    "zip_bomb.xlsx": (zip_bomb, "ZIP bomb"),
    "lying_bomb.xlsx": (lying_bomb, "ZIP bomb"),
    "billion_laughs.xlsx": (
        lambda: _replace_part(valid_portfolio(), "xl/sharedStrings.xml", BILLION_LAUGHS.encode()),
        "DTD",
    ),
    "external_entity.xlsx": (
        lambda: _replace_part(valid_portfolio(), "xl/workbook.xml", EXTERNAL_ENTITY.encode()),
        "DTD",
    ),
    "renamed_xls.xlsx": (lambda: (FIXTURES / "legacy.xls").read_bytes(), "legacy Excel 97-2003"),
    "random_bytes.xlsx": (_random_bytes, "not a spreadsheet"),
    "empty.xlsx": (lambda: b"", "empty"),
    "macro.xlsx": (lambda: _with_part(valid_portfolio(), "xl/vbaProject.bin", b"\xcc" * 2048), "macros"),
    "macro_content_type.xlsx": (_macro_content_type, "macro-enabled"),
    "lying_dimension.xlsx": (lying_dimension, None),
    "far_cell.xlsx": (far_cell, "more than 50,000 rows"),
    "far_column.xlsx": (lambda: far_cell("XFD3"), "column XFD"),
    "far_row.xlsx": (lambda: far_cell("A1048576"), "more than 50,000 rows"),
    "wide_and_long.xlsx": (lambda: far_cell("AMJ40000"), "cells"),
    "million_rows.xlsx": (million_rows, "more than 50,000 rows"),
    "long_text.xlsx": (long_text, "40,000 characters"),
    "control_characters.xlsx": (control_characters, "control characters"),
    "injection.xlsx": (injection_everywhere, None),
    "ods_renamed.xlsx": (_ods, "OpenDocument"),
    "xlsb_renamed.xlsx": (lambda: _with_part(valid_portfolio(), "xl/workbook.bin", b"\x83\x01\x00"), ".xlsb"),
    "csv_renamed.xlsx": (lambda: b"Pilot name,Assessment date\nClaims,2026-10-01\n", "CSV"),
    "html_renamed.xlsx": (lambda: b"<html><body><table><tr><td>1</td></tr></table></body></html>", "web page"),
    "encrypted.xlsx": (lambda: ENCRYPTED, "password"),
    "utf16_part.xlsx": (utf16_part, "not UTF-8"),
    "duplicate_parts.xlsx": (duplicate_parts, "two parts named"),
    "local_name_mismatch.xlsx": (local_name_mismatch, "named differently"),
    "truncated.xlsx": (lambda: valid_portfolio()[: len(valid_portfolio()) // 2], "damaged"),
    "bad_deflate.xlsx": (lambda: _corrupt_deflate(valid_portfolio()), "damaged"),
    "no_workbook_part.xlsx": (lambda: _zip_of({"hello.txt": b"hi"}), "not an Excel workbook"),
}


def corpus_names() -> list[str]:
    """The names of the hostile files, without building them (for parametrizing at collection)."""
    return sorted(CORPUS_BUILDERS)


@cache
def corpus() -> dict[str, tuple[bytes, str | None]]:
    """Every hostile file, with a fragment its error message must contain (``None``: a safe import).

    Built once per process, on first use.
    """
    return {name: (build(), expected) for name, (build, expected) in CORPUS_BUILDERS.items()}


def _zip_of(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in parts.items():
            zf.writestr(name, content)
    return buffer.getvalue()


def _corrupt_deflate(data: bytes) -> bytes:
    """The same workbook with garbage in the middle of the compressed sheet (the directory intact)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 2
    broken = bytearray(data)
    broken[middle : middle + 16] = bytes(range(240, 256))
    return bytes(broken)
