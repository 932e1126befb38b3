"""Chart images: every board-pack chart as PNG (scale 2) and SVG, rendered by kaleido in the system Chromium.

kaleido ≥ 1 drives a Chromium through choreographer. We hand it the system browser explicitly (never a
downloaded one) and switch MathJax off, because its default is a CDN script: rendering must work with
the network off. All figures of one export share one browser session, which costs about as much as a
single figure.

Where no Chromium is present, :class:`ChromiumMissing` says so in one sentence; the dashboard's Plotly
toolbar still downloads a high-resolution PNG in the reader's own browser (:data:`PLOTLY_CONFIG`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Literal

import plotly.graph_objects as go

from readiness.boardpack.data import BoardPack
from readiness.boardpack.figures import all_figures

ImageFormat = Literal["png", "svg"]
FORMATS: tuple[ImageFormat, ...] = ("png", "svg")
SYSTEM_CHROMIUM = "/usr/bin/chromium"
PNG_SCALE = 2
DEFAULT_WIDTH = 1100
DEFAULT_HEIGHT = 500
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# For st.plotly_chart / Plotly.newPlot: the toolbar's camera button saves a PNG at twice the on-screen
# resolution, with no Plotly logo link; this is the in-browser fallback where Chromium is missing.
PLOTLY_CONFIG: dict[str, object] = {
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": PNG_SCALE, "filename": "readiness-chart"},
}


class ChromiumMissing(RuntimeError):
    """No Chromium to render chart images with; the message says where we looked and what to do."""


def chromium_path() -> str | None:
    """The Chromium to render with: ``BROWSER_PATH`` if set, else the system Chromium, else ``chromium`` on PATH
    (``None`` when there is none)."""
    explicit = os.environ.get("BROWSER_PATH")
    # A browser named explicitly is the only one tried: silently using another would hide the mistake.
    candidates = [explicit] if explicit else [SYSTEM_CHROMIUM, shutil.which("chromium")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def images_available() -> bool:
    """Whether chart images can be rendered here (a Chromium is installed)."""
    return chromium_path() is not None


def require_chromium() -> str:
    """The Chromium to render with, or :class:`ChromiumMissing` saying where we looked and what to do."""
    path = chromium_path()
    if path is None:
        where = os.environ.get("BROWSER_PATH") or SYSTEM_CHROMIUM
        raise ChromiumMissing(
            f"chart images need Chromium, and none was found at {where}: install it (apt-get install chromium) "
            "or set BROWSER_PATH; on the dashboard, the camera button of each chart's toolbar still downloads "
            "a high-resolution PNG"
        )
    return path


def _size(figure: go.Figure) -> tuple[int, int]:
    return int(figure.layout.width or DEFAULT_WIDTH), int(figure.layout.height or DEFAULT_HEIGHT)


def render_images(
    figures: Mapping[str, go.Figure],
    out_dir: Path,
    formats: Iterable[ImageFormat] = FORMATS,
    progress: Callable[[float, str], None] | None = None,
) -> list[Path]:
    """Render each figure into ``out_dir`` as ``<name>.<format>`` (PNG at scale 2); returns the paths written.

    Raises :class:`ChromiumMissing` before writing anything when no Chromium is installed.
    """
    import kaleido  # imported here: it starts nothing, but the deck and the HTML report never need it

    browser = require_chromium()
    formats = list(formats)
    out_dir.mkdir(parents=True, exist_ok=True)
    specs, paths = [], []
    for name, figure in figures.items():
        width, height = _size(figure)
        for fmt in formats:
            path = out_dir / f"{name}.{fmt}"
            opts = {"format": fmt, "width": width, "height": height, "scale": PNG_SCALE if fmt == "png" else 1}
            specs.append({"fig": figure.to_dict(), "path": path, "opts": opts})
            paths.append(path)
    if progress:
        progress(0.0, f"rendering {len(specs)} images in Chromium")
    kaleido.write_fig_from_object_sync(specs, kopts={"path": browser, "mathjax": False})
    if progress:
        progress(1.0, "done")
    return paths


def write_images(
    pack: BoardPack,
    out_dir: Path,
    formats: Iterable[ImageFormat] = FORMATS,
    progress: Callable[[float, str], None] | None = None,
) -> list[Path]:
    """Every chart of the pack (portfolio, then each selected pilot) as image files in ``out_dir``."""
    require_chromium()  # before drawing any figure
    return render_images(all_figures(pack), out_dir, formats, progress)


def figure_image(figure: go.Figure, fmt: ImageFormat = "png") -> bytes:
    """One figure as PNG (scale 2) or SVG bytes, e.g. for a download button."""
    with tempfile.TemporaryDirectory(prefix="readiness-chart-") as scratch:
        (path,) = render_images({"chart": figure}, Path(scratch), [fmt])
        return path.read_bytes()


def images_zip(pack: BoardPack, formats: Iterable[ImageFormat] = FORMATS,
               progress: Callable[[float, str], None] | None = None) -> bytes:  # fmt: skip
    """Every chart of the pack as one ZIP archive of PNG and/or SVG files (for a single download)."""
    import io
    import zipfile

    with tempfile.TemporaryDirectory(prefix="readiness-charts-") as scratch:
        paths = write_images(pack, Path(scratch), formats, progress)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in paths:
                archive.write(path, path.name)
        return buffer.getvalue()
