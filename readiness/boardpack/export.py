"""The board pack's formats in the export registry: ``deck``, ``html``, ``png`` and ``svg``.

Importing this module registers them with :mod:`readiness.exporters`, so ``readiness export FORMAT OUT``
and any page that dispatches through the registry offer them. The request's assessments are every
snapshot up to ``--as-of``: the portfolio is each pilot's latest, trends and previous radars use the rest.

Conventions for OUT: ``deck`` writes a ``.pptx`` file, ``html`` a ``.html`` file; ``png`` and ``svg``
write one file per chart (``portfolio-heatmap.png``, ``claims-triage-radar.svg``, ...) into the
directory OUT, created if missing, or into one ZIP archive when OUT ends in ``.zip``. Every output is
written whole or not at all.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from readiness.errors import InvalidInput, Issue
from readiness.exporters import ExportFormat, ExportRequest, register_exporter

if TYPE_CHECKING:
    from readiness.boardpack.data import BoardPack

# The renderers (python-pptx, plotly, kaleido) are imported inside the writers: registering the formats
# happens on every CLI start and must stay cheap.


def _require_suffix(out: Path, suffixes: tuple[str, ...], what: str) -> None:
    if out.suffix.lower() not in suffixes:
        expected = " or ".join(suffixes)
        message = f"the {what} is written to a {expected} file, not {out.suffix or 'a path without suffix'}"
        raise InvalidInput([Issue("error", "OUT", message)])
    if out.is_dir():
        raise InvalidInput([Issue("error", "OUT", f"{out} is a directory; name the {what} file to write")])


def request_pack(request: ExportRequest) -> BoardPack:
    """The board pack of an export request: its snapshots, as-of date and chosen pilots."""
    from readiness.boardpack.data import pack_from_assessments

    return pack_from_assessments(request.assessments, request.as_of, request.pilots, request.model)


def write_deck(request: ExportRequest) -> None:
    """``export deck OUT.pptx``."""
    from readiness.boardpack.deck import build_deck
    from readiness.excel.export import write_atomically

    _require_suffix(request.out, (".pptx",), "deck")
    write_atomically(request.out, build_deck(request_pack(request)))


def write_html(request: ExportRequest) -> None:
    """``export html OUT.html``."""
    from readiness.boardpack.html import build_html
    from readiness.excel.export import write_atomically

    _require_suffix(request.out, (".html", ".htm"), "report")
    write_atomically(request.out, build_html(request_pack(request)).encode("utf-8"))


def write_chart_images(request: ExportRequest, fmt: Literal["png", "svg"]) -> None:
    """``export png|svg OUT``: one file per chart into the directory OUT, or one archive if OUT ends in .zip."""
    from readiness.boardpack.images import ChromiumMissing, images_zip, require_chromium, write_images
    from readiness.excel.export import write_atomically

    out = request.out
    if out.exists() and not out.is_dir() and out.suffix.lower() != ".zip":
        message = f"{out} is a file; give a directory (or a .zip path) for the charts"
        raise InvalidInput([Issue("error", "OUT", message)])
    try:
        require_chromium()  # before anything is created
        pack = request_pack(request)
        if out.suffix.lower() == ".zip":
            write_atomically(out, images_zip(pack, [fmt]))
            return
        out.mkdir(parents=True, exist_ok=True)
        # Render beside OUT, then move the finished files in: a failed render leaves OUT as it was.
        with tempfile.TemporaryDirectory(prefix=".charts-", dir=out) as scratch:
            for path in write_images(pack, Path(scratch), [fmt]):
                shutil.move(path, out / path.name)
    except ChromiumMissing as missing:
        raise InvalidInput([Issue("error", "chromium", str(missing))]) from None


register_exporter(
    ExportFormat(
        "deck",
        "board deck (.pptx, 16:9, native editable charts; --pilots picks the pilot pages)",
        ".pptx",
        write_deck,
    )
)
register_exporter(
    ExportFormat("html", "offline HTML report (.html: one file, plotly.js inlined, offline)", ".html", write_html)
)
register_exporter(
    ExportFormat(
        "png",
        "every chart as PNG (scale 2) into the directory OUT, or OUT.zip; needs Chromium",
        "",
        lambda request: write_chart_images(request, "png"),
    )
)
register_exporter(
    ExportFormat(
        "svg",
        "every chart as SVG into the directory OUT, or OUT.zip; needs Chromium",
        "",
        lambda request: write_chart_images(request, "svg"),
    )
)
