"""The board pack: a PPTX deck with native charts, chart images (PNG, SVG) and an offline HTML report.

Build a :class:`BoardPack` once, then render it; nothing here imports Streamlit::

    pack = pack_from_store(engine, as_of=None, pilots=None)     # or pack_from_assessments(assessments, ...)
    deck: bytes = build_deck(pack, progress=None)                # PPTX_MIME; 16:9, native editable charts
    html: str = build_html(pack, progress=None)                  # HTML_MIME; one offline file
    if images_available():                                       # a Chromium is installed
        archive: bytes = images_zip(pack, ["png", "svg"])        # every chart, PNG at scale 2 and SVG
        png: bytes = figure_image(figure, "png")                 # one figure
    else:                                                        # the toolbar's camera still works:
        PLOTLY_CONFIG                                            # st.plotly_chart(..., config=PLOTLY_CONFIG)

``pilots`` chooses the pilot pages and their order (``None``: every pilot, least ready first); an unknown
name or an ``as_of`` before the first snapshot raises :class:`readiness.errors.InvalidInput`. ``progress``
is called with (fraction done, what is being drawn). Chart images raise :class:`ChromiumMissing` (a
one-sentence message) where no Chromium is installed.
"""

from readiness.boardpack.data import BoardPack, pack_from_assessments, pack_from_scored, pack_from_store
from readiness.boardpack.deck import PPTX_MIME, bench_deck, build_deck
from readiness.boardpack.figures import all_figures
from readiness.boardpack.html import HTML_MIME, build_html
from readiness.boardpack.images import (
    PLOTLY_CONFIG,
    ChromiumMissing,
    figure_image,
    images_available,
    images_zip,
    write_images,
)

__all__ = [
    "HTML_MIME",
    "PLOTLY_CONFIG",
    "PPTX_MIME",
    "BoardPack",
    "ChromiumMissing",
    "all_figures",
    "bench_deck",
    "build_deck",
    "build_html",
    "figure_image",
    "images_available",
    "images_zip",
    "pack_from_assessments",
    "pack_from_scored",
    "pack_from_store",
    "write_images",
]
