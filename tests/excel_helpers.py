"""Helpers of the Excel tests: fill the template the way a script would, and build raw .xlsx files.

``fill_template`` finds the Field, Answer, Evidence and Value columns by their headers (never by
position), as the acceptance check of the issue asks; a metric's evidence goes to the Metrics sheet's
Evidence column when the template has one. ``raw_xlsx`` writes a workbook's XML parts
directly into a ZIP, which is how the hostile corpus and the Google-Sheets-shaped fixture are made:
cheaply, and with exactly the bytes a hostile or foreign writer would produce.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape

import openpyxl

from readiness.assessment import Assessment, parse_assessment
from readiness.excel.layout import PILOT_FIELDS
from readiness.model import ANSWER_LABELS

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
PILOT_LABELS = {f.key: f.label for f in PILOT_FIELDS}


# A load test Readiness read itself: what a measured metric's provenance looks like in the store.
PROVENANCE = {
    "kind": "locust",
    "files": [{"name": "run_stats_history.csv", "size_bytes": 182_044, "sha256": "ab" * 32}],
    "tool": "Locust",
    "period_start": "2026-11-27T19:20:00Z",
    "period_end": "2026-11-27T19:25:00Z",
    "count": 48_210,
    "count_unit": "requests",
}
MEASURED_LINE = "measured from run_stats_history.csv, 2026-11-27 19:20–19:25 UTC, 48,210 requests"


def with_measurement(data: dict[str, Any], *metric_ids: str) -> Assessment:
    """Assessment JSON ``data`` with ``metric_ids`` (which must have values) measured from :data:`PROVENANCE`,
    as the evidence use case stores them."""
    method = "95th percentile of the response times, weighted by requests"
    measurements = {m: {"provenance": PROVENANCE, "method": method} for m in metric_ids}
    return parse_assessment(data | {"measurements": measurements}, measured=True)


def _columns(sheet: Any, *names: str) -> tuple[int, dict[str, int]]:
    """The header row (1-based) holding every name, and each name's column, found by reading the sheet."""
    for row in sheet.iter_rows(min_row=1, max_row=20):
        found = {str(c.value).strip().lower(): c.column for c in row if c.value is not None}
        if all(n.lower() in found for n in names):
            return row[0].row, {n: found[n.lower()] for n in names}
    raise AssertionError(f"no header row with {names} in sheet {sheet.title}")


def _text(cell: Any, value: Any) -> None:
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # what a person types stays text, even "=HYPERLINK(...)"


def fill_template(template: bytes, data: dict[str, Any], percent_formatted: tuple[str, ...] = ()) -> bytes:
    """The template filled with Assessment JSON ``data``, found by headers; ``percent_formatted`` metrics are
    entered as a fraction in a percent-formatted cell (0.35 shown as 35%), as Excel does when one types 35%."""
    book = openpyxl.load_workbook(io.BytesIO(template))
    pilot = book["Pilot"]
    header, cols = _columns(pilot, "Field", "Value")
    values = {PILOT_LABELS[k]: v for k, v in data["pilot"].items() if k in PILOT_LABELS and v is not None}
    values["Assessment date"] = data["as_of"]
    if data.get("submitted_by"):
        values["Submitted by"] = data["submitted_by"]
    for row in range(header + 1, pilot.max_row + 1):
        label = pilot.cell(row, cols["Field"]).value
        if label in values:
            value = values[label]
            if label in ("Pilot start date", "Assessment date"):
                value = date.fromisoformat(value) if isinstance(value, str) else value
            _text(pilot.cell(row, cols["Value"]), value)
    checklist = book["Checklist"]
    header, cols = _columns(checklist, "Question ID", "Answer", "Evidence")
    for row in range(header + 1, checklist.max_row + 1):
        question = checklist.cell(row, cols["Question ID"]).value
        if question in data.get("answers", {}):
            _text(checklist.cell(row, cols["Answer"]), ANSWER_LABELS[data["answers"][question]])
        if question in data.get("evidence", {}):
            _text(checklist.cell(row, cols["Evidence"]), data["evidence"][question])
    metrics = book["Metrics"]
    header, cols = _columns(metrics, "Metric ID", "Value")
    # Templates made before metric evidence existed have no Evidence column on Metrics.
    evidence_col = next((c.column for c in metrics[header] if c.value == "Evidence"), None)
    for row in range(header + 1, metrics.max_row + 1):
        metric = metrics.cell(row, cols["Metric ID"]).value
        if evidence_col is not None and metric in data.get("evidence", {}):
            _text(metrics.cell(row, evidence_col), data["evidence"][metric])
        if metric not in data.get("metrics", {}):
            continue
        value = data["metrics"][metric]
        cell = metrics.cell(row, cols["Value"])
        if isinstance(value, bool):
            _text(cell, "Yes" if value else "No")
        elif metric in percent_formatted:
            cell.value = value / 100
            cell.number_format = "0%"
        else:
            cell.value = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ------------------------------------------------------------------------------------------------
# Raw workbooks
# ------------------------------------------------------------------------------------------------


def content_types(sheets: int, extra: str = "", macro: bool = False) -> str:
    main = (
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
        if macro
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    )
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, sheets + 1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="{CT_NS}">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{main}"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        f"{overrides}{extra}</Types>"
    )


ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{PKG_REL_NS}">'
    f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)


def workbook_xml(names: list[str], hidden: tuple[str, ...] = ()) -> str:
    sheets = "".join(
        f'<sheet state="{"hidden" if n in hidden else "visible"}" name="{escape(n, {chr(34): "&quot;"})}" '
        f'sheetId="{i}" r:id="rId{i + 3}"/>'
        for i, n in enumerate(names, start=1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{NS}" xmlns:r="{REL_NS}">'
        f"<workbookPr/><sheets>{sheets}</sheets><definedNames/><calcPr/></workbook>"
    )


def workbook_rels(count: int) -> str:
    sheets = "".join(
        f'<Relationship Id="rId{i + 3}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, count + 1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{PKG_REL_NS}">'
        f'<Relationship Id="rId1" Type="{REL_NS}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId3" Type="{REL_NS}/sharedStrings" Target="sharedStrings.xml"/>'
        f"{sheets}</Relationships>"
    )


# Google Sheets writes a numFmt for every custom format, from id 164; cellXfs 0 is the default.
GOOGLE_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="{NS}" '
    'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" xmlns:mc="http://schemas.'
    'openxmlformats.org/markup-compatibility/2006"><numFmts count="2"><numFmt numFmtId="164" '
    'formatCode="yyyy-mm-dd"/><numFmt numFmtId="165" formatCode="0.0%"/></numFmts><fonts count="2">'
    '<font><sz val="10.0"/><color rgb="FF000000"/><name val="Arial"/><scheme val="minor"/></font><font><b/>'
    '<color theme="1"/><name val="Arial"/><scheme val="minor"/></font></fonts><fills count="2"><fill>'
    '<patternFill patternType="none"/></fill><fill><patternFill patternType="lightGray"/></fill></fills>'
    '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf borderId="0" fillId="0" fontId="0" '
    'numFmtId="0" applyAlignment="1" applyFont="1"/></cellStyleXfs><cellXfs count="4"><xf borderId="0" '
    'fillId="0" fontId="0" numFmtId="0" xfId="0" applyAlignment="1" applyFont="1"><alignment readingOrder="0" '
    'shrinkToFit="0" vertical="bottom" wrapText="0"/></xf><xf borderId="0" fillId="0" fontId="1" numFmtId="0" '
    'xfId="0" applyAlignment="1" applyFont="1"/><xf borderId="0" fillId="0" fontId="0" numFmtId="164" xfId="0" '
    'applyAlignment="1" applyFont="1" applyNumberFormat="1"/><xf borderId="0" fillId="0" fontId="0" '
    'numFmtId="165" xfId="0" applyAlignment="1" applyFont="1" applyNumberFormat="1"/></cellXfs><cellStyles '
    'count="1"><cellStyle xfId="0" name="Normal" builtinId="0"/></cellStyles><dxfs count="0"/></styleSheet>'
)
STYLE_BOLD, STYLE_DATE, STYLE_PERCENT = 1, 2, 3


class SheetBuilder:
    """Cells of one sheet in Google Sheets' shape: shared strings, t="b" booleans, styled numbers."""

    def __init__(self, strings: list[str]) -> None:
        self.strings = strings
        self.rows: dict[int, list[str]] = {}

    def _string(self, text: str) -> int:
        if text not in self.strings:
            self.strings.append(text)
        return self.strings.index(text)

    def cell(self, ref: str, value: Any, style: int = 0) -> None:
        row = int("".join(ch for ch in ref if ch.isdigit()))
        s = f' s="{style}"' if style else ""
        if value is None:
            xml = f'<c r="{ref}"{s}/>'
        elif isinstance(value, bool):
            xml = f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
        elif isinstance(value, int | float):
            xml = f'<c r="{ref}"{s}><v>{value!r}</v></c>'
        elif isinstance(value, datetime):
            serial = (value - datetime(1899, 12, 30)).total_seconds() / 86400
            xml = f'<c r="{ref}" s="{STYLE_DATE}"><v>{serial!r}</v></c>'
        elif isinstance(value, date):
            serial = (value - date(1899, 12, 30)).days
            xml = f'<c r="{ref}" s="{STYLE_DATE}"><v>{serial}</v></c>'
        else:
            xml = f'<c r="{ref}"{s} t="s"><v>{self._string(str(value))}</v></c>'
        self.rows.setdefault(row, []).append(xml)

    def xml(self, extra: str = "") -> str:
        rows = "".join(f'<row r="{r}">{"".join(cells)}</row>' for r, cells in sorted(self.rows.items()))
        return (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{NS}" xmlns:r="{REL_NS}" '
            'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><sheetPr><outlinePr '
            'summaryBelow="0" summaryRight="0"/></sheetPr><sheetViews><sheetView workbookViewId="0"/></sheetViews>'
            '<sheetFormatPr customHeight="1" defaultColWidth="12.63" defaultRowHeight="15.75"/>'
            f"<sheetData>{rows}</sheetData>{extra}</worksheet>"
        )


def shared_strings(strings: list[str]) -> str:
    items = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="{NS}" count="{len(strings)}" '
        f'uniqueCount="{len(strings)}">{items}</sst>'
    )


def raw_xlsx(
    sheets: dict[str, str],
    strings: list[str] | None = None,
    styles: str = GOOGLE_STYLES,
    hidden: tuple[str, ...] = (),
    extra_parts: dict[str, bytes | str] | None = None,
    macro: bool = False,
) -> bytes:
    """A workbook from sheet XML, written part by part (deflated) into a ZIP."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", content_types(len(sheets), macro=macro))
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("xl/workbook.xml", workbook_xml(list(sheets), hidden))
        zf.writestr("xl/_rels/workbook.xml.rels", workbook_rels(len(sheets)))
        zf.writestr("xl/styles.xml", styles)
        zf.writestr("xl/sharedStrings.xml", shared_strings(strings or []))
        for index, xml in enumerate(sheets.values(), start=1):
            zf.writestr(f"xl/worksheets/sheet{index}.xml", xml)
        for name, content in (extra_parts or {}).items():
            zf.writestr(name, content)
    return buffer.getvalue()


def simple_sheet(rows: list[list[Any]]) -> tuple[str, list[str]]:
    """Sheet XML (and its shared strings) of a grid of values, starting at A1."""
    strings: list[str] = []
    builder = SheetBuilder(strings)
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values):
            if value is not None:
                builder.cell(f"{openpyxl.utils.get_column_letter(c + 1)}{r}", value)
    return builder.xml(), strings


def raw_zip(parts: list[tuple[str, bytes, int | None, str | None]]) -> bytes:
    """A ZIP written byte by byte, so that its headers can lie.

    Each part is (name, payload, declared uncompressed size or None for the truth, local-header name
    or None for the same name).
    """
    body, directory = b"", b""
    for name, payload, declared, local_name in parts:
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        raw = compressor.compress(payload) + compressor.flush()
        crc = zlib.crc32(payload)
        size = len(payload) if declared is None else declared
        local = (local_name or name).encode()
        offset = len(body)
        header = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(raw), size, len(local), 0)
        body += header + local + raw
        directory += (
            struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                20,
                20,
                0,
                8,
                0,
                0,
                crc,
                len(raw),
                size,
                len(name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + name.encode()
        )
    count = len(parts)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(directory), len(body), 0)
    return body + directory + end


def minimal_parts(sheet_xml: bytes | str, strings: list[str] | None = None) -> list[tuple[str, bytes, None, None]]:
    """The parts of a one-sheet workbook named ``Portfolio``, for :func:`raw_zip`."""
    parts = {
        "[Content_Types].xml": content_types(1),
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": workbook_xml(["Portfolio"]),
        "xl/_rels/workbook.xml.rels": workbook_rels(1),
        "xl/styles.xml": GOOGLE_STYLES,
        "xl/sharedStrings.xml": shared_strings(strings or []),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    return [(n, v.encode() if isinstance(v, str) else v, None, None) for n, v in parts.items()]
