"""The board pack: a PPTX deck with native charts, chart images (PNG, SVG) and an offline HTML report.

Build a :class:`BoardPack` once, then render it; nothing here imports Streamlit::

    pack = pack_from_store(engine, as_of=None, pilots=None, within=None)  # or pack_from_assessments(...)
    deck: bytes = build_deck(pack, progress=None)                # PPTX_MIME; 16:9, native editable charts
    slides: bytes = build_scenario_deck([what_if_result])        # what-if projections alone, tagged as such
    html: str = build_html(pack, progress=None)                  # HTML_MIME; one offline file
    if images_available():                                       # a Chromium is installed
        archive: bytes = images_zip(pack, ["png", "svg"])        # every chart, PNG at scale 2 and SVG
        png: bytes = figure_image(figure, "png")                 # one figure
    else:                                                        # the toolbar's camera still works:
        PLOTLY_CONFIG                                            # st.plotly_chart(..., config=PLOTLY_CONFIG)

``pilots`` chooses the pilot pages, shown by the board's decision: promote (ready), fix, stop or rethink
(``None``: every pilot of a portfolio of up to ``DEFAULT_PILOT_PAGES``, else that many taken in turn from
the three decisions, so ready pilots always get pages); ``pack.decisions`` holds the decisions slide's
lists and asks (:mod:`readiness.service.decisions`); ``within`` limits the portfolio to the pilots in view
(``None``: all); an unknown name or an ``as_of`` before the first snapshot raises
:class:`readiness.errors.InvalidInput`. ``progress``
is called with (fraction done, what is being drawn). Chart images raise :class:`ChromiumMissing` (a
one-sentence message) where no Chromium is installed.
"""

import importlib

# The public names load on first use (PEP 562): the CLI registers the board pack's export formats on
# every start, and python-pptx, plotly and kaleido should not slow down commands that never use them.
_LOCATIONS = {
    "BoardPack": "readiness.boardpack.data",
    "DEFAULT_PILOT_PAGES": "readiness.boardpack.data",
    "pack_from_assessments": "readiness.boardpack.data",
    "pack_from_scored": "readiness.boardpack.data",
    "pack_from_store": "readiness.boardpack.data",
    "PPTX_MIME": "readiness.boardpack.export",
    "bench_deck": "readiness.boardpack.deck",
    "build_deck": "readiness.boardpack.deck",
    "build_scenario_deck": "readiness.boardpack.deck",
    "all_figures": "readiness.boardpack.figures",
    "HTML_MIME": "readiness.boardpack.export",
    "build_html": "readiness.boardpack.html",
    "PLOTLY_CONFIG": "readiness.boardpack.images",
    "ChromiumMissing": "readiness.boardpack.images",
    "figure_image": "readiness.boardpack.images",
    "images_available": "readiness.boardpack.images",
    "images_zip": "readiness.boardpack.images",
    "write_images": "readiness.boardpack.images",
}


def __getattr__(name: str) -> object:
    if name in _LOCATIONS:
        return getattr(importlib.import_module(_LOCATIONS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_PILOT_PAGES",
    "HTML_MIME",
    "PLOTLY_CONFIG",
    "PPTX_MIME",
    "BoardPack",
    "ChromiumMissing",
    "all_figures",
    "bench_deck",
    "build_deck",
    "build_html",
    "build_scenario_deck",
    "figure_image",
    "images_available",
    "images_zip",
    "pack_from_assessments",
    "pack_from_scored",
    "pack_from_store",
    "write_images",
]
