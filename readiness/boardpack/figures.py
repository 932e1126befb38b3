"""The board pack's charts: the dashboard's own figures (:mod:`readiness.charts`), named for export.

The PNG/SVG export and the HTML report both draw from :func:`portfolio_figures` and
:func:`pilot_figures`, so every picture is exactly a chart of the app, with the app's template.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd
import plotly.graph_objects as go

from readiness.boardpack.data import BoardPack
from readiness.charts import (
    compound_risk_heatmap,
    gap_scores_of,
    has_value_data,
    pilot_radar,
    plain_text,
    portfolio_heatmap,
    portfolio_trend,
    trend_figure,
    value_readiness_matrix,
    verdict_distribution,
)
from readiness.service.portfolio import MAX_SHOWN, highest_value, least_ready, median_gap_scores, shown_note

HEATMAP_TITLE = "Readiness by pilot and gap"
VALUE_TITLE = "Value × readiness"


def slug(text: str) -> str:
    """A file-name-safe, lower-case ASCII form of ``text`` (``"Policy Q&A assistant"`` → ``policy-q-a-assistant``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "pilot"


def portfolio_figures(pack: BoardPack) -> dict[str, go.Figure]:
    """The portfolio's charts by export name: heatmap (at most ``MAX_SHOWN`` pilots, the least ready), verdict
    distribution, value matrix (when any pilot reports value and cost; at most ``MAX_SHOWN`` pilots, the
    highest values) and verdicts over time. A chart that shows part of a larger portfolio says so under its
    title (``Showing the 200 least ready of 10,000 pilots.``)."""
    shown = least_ready(pack.latest, MAX_SHOWN)
    figures = {
        "portfolio-heatmap": portfolio_heatmap(
            shown, pack.model, title=_titled(HEATMAP_TITLE, shown_note(len(shown), len(pack.latest)))
        ),
        "verdict-distribution": verdict_distribution(pack.latest),
    }
    if has_value_data(pack.latest):
        valued = highest_value(pack.latest, MAX_SHOWN)
        note = shown_note(len(valued), len(pack.latest), "value")
        figures["value-matrix"] = value_readiness_matrix(valued, pack.model, title=_titled(VALUE_TITLE, note))
    figures["portfolio-trend"] = portfolio_trend(pack.monthly)
    return figures


def _titled(title: str, note: str) -> str:
    """A chart title with its note as a smaller second line (Plotly titles read ``<br>`` and ``<sup>``)."""
    return f"{title}<br><sup>{note}</sup>" if note else title


def portfolio_median(pack: BoardPack) -> dict[str, float]:
    """The portfolio median of each gap on the as-of date (the radar's reference trace)."""
    return median_gap_scores(pack.latest)


def pilot_figures(pack: BoardPack, pilot: str) -> dict[str, go.Figure]:
    """One pilot's charts by export name: radar (latest, previous, portfolio median), compound risks, trend."""
    latest, previous = pack.pilot_results[pilot]
    history = pack.history[pack.history["pilot"] == pilot]
    key = slug(pilot)
    # The pilot's name is user text in a Plotly title, which reads <a>, <b>, <br>...: escaped, shown as typed.
    shown = plain_text(pilot)
    return {
        f"{key}-radar": pilot_radar(
            gap_scores_of(latest),
            gap_scores_of(previous) if previous is not None else None,
            portfolio_median(pack),
            pack.model,
            title=f"{shown}: the six gaps",
        ),
        f"{key}-compound-risks": compound_risk_heatmap(latest, pack.model, title=f"{shown}: compound risks"),
        f"{key}-trend": trend_figure(_sorted(history), pack.model, title=f"{shown}: readiness over time"),
    }


def _sorted(history: pd.DataFrame) -> pd.DataFrame:
    return history.sort_values("as_of").reset_index(drop=True)


def all_figures(pack: BoardPack) -> dict[str, go.Figure]:
    """Every chart of the pack: the portfolio's, then each selected pilot's, by unique export name."""
    figures = portfolio_figures(pack)
    for pilot in pack.pilots:
        for name, figure in pilot_figures(pack, pilot).items():
            unique, n = name, 2
            while unique in figures:  # two pilot names can share a slug ("Q&A" / "Q-A")
                unique, n = f"{name}-{n}", n + 1
            figures[unique] = figure
    return figures
