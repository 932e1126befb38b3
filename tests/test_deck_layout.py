"""The deck lays out in LibreOffice as it was built: no word leaves its shape, no word breaks inside.

Every slide of the demo deck (16 pilots), of a deck of long names (with what-if scenario slides: a long
scenario name, a plan of many items that moves many verdicts) and of a deck of one unsaved projection is
rendered through LibreOffice
(``soffice --headless --convert-to pdf``); ``pdftotext -bbox-layout`` gives the box of every word on every
page. The shapes' EMU rectangles are mapped to PDF points (slide width in EMU → page width in points), and
every word must lie inside a shape whose text holds that word (a table cell, for tables; a chart's frame
for a chart's labels). A word that is not a word of any shape on its slide was broken across lines
("Governanc" / "e") or run together, and fails too.

LibreOffice stands in for Arial with Liberation Sans, which has Arial's metrics (Debian package
``fonts-liberation2``): the PDF must use it, or the check would measure another font's widths. In CI
(``CI`` set) these tests always run; locally they skip without LibreOffice and poppler-utils.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pptx import Presentation

from readiness.assessment import Assessment
from readiness.boardpack import build_deck, pack_from_assessments
from readiness.boardpack.deck import build_scenario_deck
from readiness.demo import demo_assessments
from readiness.model import GAP_IDS, load_model
from readiness.portfolio import assessments_to_frame
from readiness.service.whatif import WhatIfResult, WhatIfScope, project_frame
from readiness.store.scenarios import ScenarioRecord
from readiness.whatif import Plan

IN_CI = bool(os.environ.get("CI"))
pytestmark = pytest.mark.skipif(
    (shutil.which("soffice") is None or shutil.which("pdftotext") is None) and not IN_CI,
    reason="rendering the deck needs LibreOffice and poppler-utils (in CI these tests always run)",
)
TOLERANCE = 2.0  # points: a glyph box may touch its shape's edge
XHTML = "{http://www.w3.org/1999/xhtml}"
NUMBER = re.compile(r"^[−+-]?[\d.,]+%?$")
LONG_NAME = "Enterprise-wide generative assistant for regulatory correspondence triage and drafting"
LONG_UNIT = "Group Operations, Shared Services & Transformation Office"
LONG_TEAM = "Intelligent Automation Centre of Excellence (Platform Engineering)"


@dataclass(frozen=True)
class Region:
    """A rectangle of a slide in PDF points and the words its text holds."""

    name: str
    left: float
    top: float
    right: float
    bottom: float
    words: frozenset[str]
    chart: bool = False

    def holds(self, box: tuple[float, float, float, float]) -> bool:
        x0, y0, x1, y1 = box
        return (
            x0 >= self.left - TOLERANCE
            and x1 <= self.right + TOLERANCE
            and y0 >= self.top - TOLERANCE
            and y1 <= self.bottom + TOLERANCE
        )


@dataclass(frozen=True)
class Word:
    text: str
    box: tuple[float, float, float, float]
    line: int  # index of the pdftotext line, to tell a word that ends a line


def normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def tokens(text: str) -> set[str]:
    return {normal(w) for w in text.split()}


def regions_of(slide, scale: float) -> list[Region]:
    """Every shape of a slide that shows text, as regions; a table gives one region per cell."""
    regions: list[Region] = []
    for shape in slide.shapes:
        left, top = shape.left * scale, shape.top * scale
        right, bottom = left + shape.width * scale, top + shape.height * scale
        if shape.has_text_frame and shape.text_frame.text.strip():
            regions.append(Region(shape.name, left, top, right, bottom, frozenset(tokens(shape.text_frame.text))))
        elif getattr(shape, "has_table", False) and shape.has_table:
            table = shape.table
            y = top
            for r, row in enumerate(table.rows):
                x = left
                for c, column in enumerate(table.columns):
                    cell = table.cell(r, c)
                    x_end, y_end = x + column.width * scale, y + row.height * scale
                    regions.append(Region(f"{shape.name}[{r},{c}]", x, y, x_end, y_end, frozenset(tokens(cell.text))))
                    x = x_end
                y += row.height * scale
        elif getattr(shape, "has_chart", False) and shape.has_chart:
            chart = shape.chart
            words: set[str] = set()
            for plot in chart.plots:
                for category in plot.categories:
                    words |= tokens(str(category))
                for series in plot.series:
                    words |= tokens(series.name)
            if chart.has_title:
                words |= tokens(chart.chart_title.text_frame.text)
            regions.append(Region(shape.name, left, top, right, bottom, frozenset(words), chart=True))
    return regions


def words_of(page: ET.Element) -> list[Word]:
    out = []
    for n, line in enumerate(page.iter(f"{XHTML}line")):
        for word in line.iter(f"{XHTML}word"):
            box = tuple(float(word.get(k)) for k in ("xMin", "yMin", "xMax", "yMax"))
            out.append(Word(normal(word.text or ""), box, n))  # type: ignore[arg-type]
    return out


def layout_problems(pptx: bytes, pdf: Path, tmp_path: Path) -> list[str]:
    """What is wrong with the rendered deck: words outside their shape, words broken or unknown."""
    layout = tmp_path / f"{pdf.stem}.html"
    subprocess.run(["pdftotext", "-bbox-layout", str(pdf), str(layout)], check=True, timeout=120)
    pages = list(ET.parse(layout).getroot().iter(f"{XHTML}page"))
    presentation = Presentation(io.BytesIO(pptx))
    assert len(pages) == len(presentation.slides), "one PDF page per slide"
    problems = []
    for number, (slide, page) in enumerate(zip(presentation.slides, pages, strict=True), start=1):
        scale = float(page.get("width")) / presentation.slide_width
        assert float(page.get("height")) == pytest.approx(presentation.slide_height * scale, rel=1e-3)
        regions = regions_of(slide, scale)
        words = words_of(page)
        for k, word in enumerate(words):
            owners = [r for r in regions if word.text in r.words or (r.chart and NUMBER.match(word.text))]
            where = f"slide {number}: {word.text!r} at {tuple(round(v) for v in word.box)}"
            if not owners:
                after = words[k + 1] if k + 1 < len(words) else None
                joined = word.text + after.text if after is not None else ""
                if after is not None and after.line != word.line and any(joined in r.words for r in regions):
                    problems.append(f"{where}: broken across lines ({word.text!r} / {after.text!r})")
                else:
                    problems.append(f"{where}: not a word of any shape on the slide (broken or run together)")
            elif not any(r.holds(word.box) for r in owners):
                nearest = ", ".join(sorted({r.name for r in owners}))
                problems.append(f"{where}: outside its shape ({nearest})")
    return problems


def render(decks: dict[str, bytes], tmp_path: Path) -> dict[str, Path]:
    """Each deck as a PDF rendered by LibreOffice (one soffice run for all)."""
    paths = []
    for name, blob in decks.items():
        path = tmp_path / f"{name}.pptx"
        path.write_bytes(blob)
        paths.append(str(path))
    profile = f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}"
    subprocess.run(
        ["soffice", profile, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), *paths],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return {name: tmp_path / f"{name}.pdf" for name in decks}


def long_named(assessments: list[Assessment]) -> list[Assessment]:
    """The demo with its least ready pilot (a pilot page) and the first pilot to fix (on the decisions
    slide) renamed to very long names, in a long unit and team."""
    names = {"Policy Q&A assistant": LONG_NAME, "Agent knowledge search": f"{LONG_NAME} (second wave)"}

    def renamed(a: Assessment) -> Assessment:
        if a.pilot.name not in names:
            return a
        update = {"name": names[a.pilot.name], "business_unit": LONG_UNIT, "owning_team": LONG_TEAM}
        return a.model_copy(update={"pilot": a.pilot.model_copy(update=update)})

    return [renamed(a) for a in assessments]


LONG_SCENARIO = "Q4 push: close every data and monitoring gap across the group before the board's review"


def scenarios(assessments: list[Assessment]) -> list[WhatIfResult]:
    """Projections on a portfolio of long names: a long-named scenario on the long unit, and a plan of many items
    on every pilot."""
    model = load_model()
    frame = assessments_to_frame(assessments, model)
    saved = ScenarioRecord(1, LONG_SCENARIO, 12, {}, {}, model.version, "a.very.long.address@group-operations.example",
                           datetime(2026, 11, 27, tzinfo=UTC), None)  # fmt: skip
    # Every gap closed: more verdicts move than the slide lists, more fixes than it states, one latency blocked.
    many = Plan(close_gaps=GAP_IDS, answer_yes=("SCALE-1", "GOV-1"))
    return [
        project_frame(frame, Plan(close_gaps=("data", "trust")), WhatIfScope(unit=LONG_UNIT), greedy_steps=5,
                      model=model, scenario=saved),
        project_frame(frame, many, greedy_steps=5, model=model, scenario=replace(saved, name="Everything")),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[bytes, Path, Path]]:
    tmp_path = tmp_path_factory.mktemp("deck-layout")
    demo = demo_assessments()
    long_pack = pack_from_assessments(
        long_named(demo),
        pilots=[LONG_NAME, "Invoice matching", "Demand forecasting"],
        title="Group AI pilot portfolio: production readiness review, Q4 board cycle",
    )
    model = load_model()
    unsaved = project_frame(assessments_to_frame(demo, model), Plan(answer_yes=("TRUST-1",)),
                            WhatIfScope(pilots=("Claims triage",)), greedy_steps=5, model=model)  # fmt: skip
    decks = {
        "demo": build_deck(pack_from_assessments(demo)),
        "long-names": build_deck(replace(long_pack, scenarios=tuple(scenarios(long_named(demo))))),
        "what-if": build_scenario_deck([unsaved]),
    }
    pdfs = render(decks, tmp_path)
    return {name: (decks[name], pdfs[name], tmp_path) for name in decks}


def test_the_pdf_uses_a_font_with_arials_metrics(rendered) -> None:
    _, pdf, _ = rendered["demo"]
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
    names = [line.split()[0].split("+")[-1] for line in fonts.splitlines()[2:] if line.strip()]
    assert names, fonts
    assert all(name.startswith("LiberationSans") for name in names), (
        f"LibreOffice replaced Arial with {names}: install fonts-liberation2 (Liberation Sans has Arial's metrics)"
    )


@pytest.mark.parametrize("deck", ["demo", "long-names", "what-if"])
def test_no_word_leaves_its_shape_or_breaks(rendered, deck: str) -> None:
    pptx, pdf, tmp_path = rendered[deck]
    problems = layout_problems(pptx, pdf, tmp_path)
    assert not problems, f"{len(problems)} layout problems:\n" + "\n".join(problems[:40])


def test_the_check_catches_a_word_outside_its_shape(rendered) -> None:
    """The checker itself: shrink the score labels of the pilot pages to a sliver and it reports them."""
    pptx, pdf, tmp_path = rendered["demo"]
    presentation = Presentation(io.BytesIO(pptx))
    for slide in presentation.slides:
        for shape in slide.shapes:
            if shape.name.startswith("Label "):
                shape.height = 12700  # one point: every word of the label now sticks out
    buffer = io.BytesIO()
    presentation.save(buffer)
    problems = layout_problems(buffer.getvalue(), pdf, tmp_path)
    assert any("outside its shape (Label" in p for p in problems)
