"""The board pack's formats in the export registry: ``deck``, ``html``, ``charts``, ``png`` and ``svg``.

Importing this module registers them with :mod:`readiness.service.exports`, so ``readiness export FORMAT
OUT`` and the Export page render them through the same request. The pack is the scope's portfolio (the
pilots in view, each pilot's latest snapshot up to the as-of date, trends from the earlier ones) with a
page for each chosen pilot, and (deck, html) a slide or section for each what-if scenario the scope names,
labelled a projection.

Conventions for OUT: ``deck`` writes a ``.pptx`` file, ``html`` a ``.html`` file, ``charts`` a ``.zip`` of
every chart as PNG and SVG; ``png`` and ``svg`` write one file per chart (``portfolio-heatmap.png``,
``claims-triage-radar.svg``, ...) into the directory OUT, created if missing, or into one ZIP archive when
OUT ends in ``.zip``. Every output is written whole or not at all.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Literal

from readiness.errors import InvalidInput, Issue
from readiness.service.exports import ExportFormat, ExportRequest, register_exporter

# The renderers (python-pptx, plotly, kaleido) are imported inside the functions: registering the formats
# happens on every CLI start and must stay cheap.
PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
HTML_MIME = "text/html"
ZIP_MIME = "application/zip"


def _progress(request: ExportRequest, start: float, share: float):
    """A progress callback for one stage of a longer job (None when nobody listens)."""
    if request.progress is None:
        return None
    report = request.progress
    return lambda done, what: report(min(1.0, start + share * done), what)


def render_deck(request: ExportRequest) -> bytes:
    """The board deck (.pptx)."""
    from readiness.boardpack.deck import build_deck

    return build_deck(request.pack(), progress=_progress(request, 0.0, 1.0))


def render_html(request: ExportRequest) -> bytes:
    """The offline HTML report."""
    from readiness.boardpack.html import build_html

    return build_html(request.pack(), progress=_progress(request, 0.0, 1.0)).encode("utf-8")


def render_charts(request: ExportRequest, formats: tuple[Literal["png", "svg"], ...] = ("png", "svg")) -> bytes:
    """Every chart of the pack as PNG and SVG in one ZIP archive; needs Chromium."""
    from readiness.boardpack.images import ChromiumMissing, images_zip, require_chromium

    try:
        require_chromium()  # before any work
        return images_zip(request.pack(), list(formats), progress=_progress(request, 0.0, 1.0))
    except ChromiumMissing as missing:
        raise InvalidInput([Issue("error", "chromium", str(missing))]) from None


def write_chart_images(request: ExportRequest, out: Path | str, fmt: Literal["png", "svg"]) -> None:
    """``export png|svg OUT``: one file per chart into the directory OUT, or one archive if OUT ends in .zip.

    Every file goes through :func:`readiness.outputs.write_output`: OUT (the archive, or each chart's file in
    the directory) must be new or a regular file, and never the database in use.
    """
    from readiness.boardpack.images import ChromiumMissing, require_chromium, write_images
    from readiness.outputs import check_output, write_output

    protected = request.database_files()
    if Path(out).suffix.lower() == ".zip" and str(out).strip():
        path = check_output(out, protected)
        write_output(path, render_charts(request, (fmt,)), protected)
        return
    folder = check_output(out, protected, folder=True)  # a file there: give a directory, or a .zip path
    try:
        require_chromium()  # before anything is created
        pack = request.pack()
        folder.mkdir(parents=True, exist_ok=True)
        # Render beside OUT, then put the finished files in: a failed render leaves OUT as it was.
        with tempfile.TemporaryDirectory(prefix=".charts-", dir=folder) as scratch:
            rendered = write_images(pack, Path(scratch), [fmt])
            for image in rendered:  # every name checked before any is written
                check_output(folder / image.name, protected)
            for image in rendered:
                write_output(folder / image.name, image.read_bytes(), protected)
    except ChromiumMissing as missing:
        raise InvalidInput([Issue("error", "chromium", str(missing))]) from None


register_exporter(
    ExportFormat(
        "deck",
        "board deck (.pptx, 16:9, native editable charts; --pilots picks the pilot pages; a slide per --scenario)",
        ".pptx",
        PPTX_MIME,
        render=render_deck,
        scenarios=True,
    )
)
register_exporter(
    ExportFormat(
        "html",
        "offline HTML report (.html: one file, plotly.js inlined, offline; a section per --scenario)",
        ".html",
        HTML_MIME,
        render=render_html,
        scenarios=True,
    )
)
register_exporter(
    ExportFormat(
        "charts",
        "every chart as PNG (scale 2) and SVG in one .zip; needs Chromium",
        ".zip",
        ZIP_MIME,
        render=render_charts,
    )
)
register_exporter(
    ExportFormat(
        "png",
        "every chart as PNG (scale 2) into the directory OUT, or OUT.zip; needs Chromium",
        "",
        ZIP_MIME,
        write_to=lambda request, out: write_chart_images(request, out, "png"),
    )
)
register_exporter(
    ExportFormat(
        "svg",
        "every chart as SVG into the directory OUT, or OUT.zip; needs Chromium",
        "",
        ZIP_MIME,
        write_to=lambda request, out: write_chart_images(request, out, "svg"),
    )
)
