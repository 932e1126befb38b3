"""The board pack: a PPTX deck with native charts, chart images (PNG, SVG) and an offline HTML report.

Build a :class:`BoardPack` once (:func:`pack_from_assessments`, :func:`pack_from_store`, or
:func:`pack_from_scored` when the data is already scored), then render it with :func:`build_deck`,
:func:`build_html` or :func:`write_images`. Nothing here imports Streamlit.
"""

from readiness.boardpack.data import BoardPack, pack_from_assessments, pack_from_scored
from readiness.boardpack.deck import PPTX_MIME, bench_deck, build_deck

__all__ = [
    "PPTX_MIME",
    "BoardPack",
    "bench_deck",
    "build_deck",
    "pack_from_assessments",
    "pack_from_scored",
]
