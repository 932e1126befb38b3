"""The offline HTML report: one self-contained file, readable on a plane.

plotly.js is inlined once in the head; each chart is a ``div`` drawn by an inline script from the
figure's JSON. No script, stylesheet, font or image is fetched from anywhere: the fonts are the
reader's system fonts and the styles are inline. The charts are the dashboard's own
(:mod:`readiness.boardpack.figures`), the statistics and sentences those of
:mod:`readiness.service.portfolio`, and every number is written with :mod:`readiness.display`, so the
report shows exactly what the app and the deck show.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import plotly.io as pio
from plotly.offline import get_plotlyjs

from readiness import display
from readiness.boardpack.data import BoardPack
from readiness.boardpack.deck import footer_text, long_date
from readiness.boardpack.figures import pilot_figures, portfolio_figures, slug
from readiness.boardpack.images import PLOTLY_CONFIG
from readiness.charts import INK, MUTED, VERDICT_COLORS, gap_labels, short_gap_labels
from readiness.scoring import VERDICT_LABELS, ScoreResult
from readiness.service.portfolio import (
    key_messages,
    overall_change_text,
    portfolio_stats,
    top_actions,
    verdict_summary,
    what_changed,
)

# The report's own charts keep the camera button (high-resolution PNG, made by the reader's browser).
_CONFIG = {**PLOTLY_CONFIG, "responsive": True}

_CSS = f"""
:root {{ --ink: {INK}; --muted: {MUTED}; --rule: #e5e7eb; --panel: #f6f7f9; }}
* {{ box-sizing: border-box; }}
body {{ margin: 0; font-family: "Segoe UI", "Helvetica Neue", Arial, sans-serif; color: var(--ink);
        background: white; line-height: 1.45; }}
header {{ background: #14213d; color: white; padding: 28px 48px; }}
header h1 {{ margin: 0 0 4px; font-size: 28px; }}
header p {{ margin: 0; color: #c9d3e3; }}
nav {{ padding: 12px 48px; border-bottom: 1px solid var(--rule); font-size: 14px; }}
nav a {{ color: #0072B2; text-decoration: none; margin-right: 14px; white-space: nowrap; }}
main {{ padding: 8px 48px 48px; max-width: 1280px; }}
section {{ border-bottom: 1px solid var(--rule); padding: 12px 0 24px; }}
h2 {{ font-size: 22px; margin: 24px 0 8px; }}
h3 {{ font-size: 16px; margin: 18px 0 6px; }}
.sub {{ color: var(--muted); margin: 0 0 12px; }}
.tiles {{ display: grid; grid-template-columns: repeat(5, 1fr); gap: 12px; margin: 12px 0 16px; }}
.tile {{ background: var(--panel); padding: 14px 16px; }}
.tile .label {{ font-size: 11px; font-weight: 700; letter-spacing: .04em; color: var(--muted);
               text-transform: uppercase; }}
.tile .value {{ font-size: 32px; font-weight: 700; }}
.tile .note {{ font-size: 13px; color: var(--muted); }}
.chart {{ margin: 8px 0 16px; }}
.two {{ display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }}
.badge {{ display: inline-block; color: white; font-weight: 700; padding: 4px 12px; border-radius: 4px;
          margin-right: 10px; }}
table {{ border-collapse: collapse; font-size: 14px; margin: 8px 0; }}
th, td {{ text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--rule); vertical-align: top; }}
th {{ color: var(--muted); font-weight: 600; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
footer {{ color: var(--muted); font-size: 12px; padding: 16px 48px; }}
@media print {{ nav {{ display: none; }} section {{ break-inside: avoid-page; }} }}
"""


def _chart(figure: object, name: str) -> str:
    """One figure as a div and the inline script that draws it (plotly.js is already on the page)."""
    div = pio.to_html(figure, include_plotlyjs=False, full_html=False, config=_CONFIG, div_id=f"chart-{name}",
                      default_width="100%")  # fmt: skip
    return f'<div class="chart" data-chart="{escape(name)}">{div}</div>'


def _tiles(pack: BoardPack) -> str:
    stats = portfolio_stats(pack.latest, pack.model)
    benchmark = display.threshold_text(stats.stalled_after_months)
    with_risk = display.count_text(stats.pilots_with_compound_risk, "pilot")
    tiles = [
        ("Pilots", str(stats.pilots), verdict_summary(stats)),
        ("Ready for production", display.percent_text(stats.ready_share),
         f"Gartner benchmark: {display.threshold_text(stats.gartner_ready_share)}%"),
        ("Median months in pilot", display.months_text(stats.median_months_in_pilot), f"Benchmark: {benchmark} months"),
        ("Active compound risks", str(stats.active_compound_risks),
         f"{stats.critical_compound_risks} critical, in {with_risk}"),
        ("Stalled pilots", str(len(stats.stalled)), f"In pilot longer than {benchmark} months"),
    ]  # fmt: skip
    cells = "".join(
        f'<div class="tile"><div class="label">{escape(label)}</div><div class="value">{escape(value)}</div>'
        f'<div class="note">{escape(note)}</div></div>'
        for label, value, note in tiles
    )
    return f'<div class="tiles">{cells}</div>'


def _risk_table(pack: BoardPack) -> str:
    latest, model = pack.latest, pack.model
    shorts = short_gap_labels(model)
    rows = []
    for edge in model.edges:
        states = latest[f"state.{edge.id}"] if len(latest) else []
        affected = sorted(latest.loc[states != "inactive", "pilot"]) if len(latest) else []
        critical = int((states == "critical").sum()) if len(latest) else 0
        rows.append((len(affected), critical, edge, affected))
    rows.sort(key=lambda r: (-r[0], -r[1], r[2].id))
    body = "".join(
        f"<tr><td><b>{escape(shorts[e.source])} → {escape(shorts[e.target])}</b></td><td>{escape(e.chain)}</td>"
        f'<td class="num">{n}</td><td class="num">{c}</td><td>{escape(", ".join(names)) or "—"}</td></tr>'
        for n, c, e, names in rows
    )
    return (
        "<table><thead><tr><th>Interaction</th><th>What happens</th><th>Active</th><th>Critical</th>"
        f"<th>Pilots affected</th></tr></thead><tbody>{body}</tbody></table>"
    )


def _pilot_section(pack: BoardPack, pilot: str, anchor: str) -> str:
    latest, previous = pack.pilot_results[pilot]
    figures = pilot_figures(pack, pilot)
    labels = gap_labels(pack.model)
    verdict = latest.verdict
    since = overall_change_text(latest, previous)
    change = f" ({since})" if since else ""
    reasons = "".join(f"<li>{escape(r)}</li>" for r in latest.reasons)
    flags = "".join(f"<li>{escape(f.message)}</li>" for f in latest.flags)
    actions = "".join(
        f"<li><b>{display.gain_text(a.gain)}</b> {escape(a.item)}: {escape(a.label)} "
        f"({escape(a.current)} → {escape(a.target)})</li>"
        for a in top_actions(latest, 5)
    )
    path = latest.path_to_next_verdict
    path_text = f"<p class='sub'>{escape(path.note)}</p>" if path.target_verdict else ""
    charts = list(figures.items())
    return (
        f'<section id="{anchor}"><h2>{escape(pilot)}</h2>'
        f"<p class='sub'>{escape(_context(pack, pilot, latest))}</p>"
        f'<p><span class="badge" style="background:{VERDICT_COLORS[verdict]}">{VERDICT_LABELS[verdict]}</span>'
        f"Overall <b>{display.score_text(latest.overall)}</b> / 100{escape(change)} · confidence "
        f"{display.confidence_text(latest.overall_confidence)}"
        f" · weakest gap: {escape(labels[latest.weakest_gap])}</p>"
        f"{_gap_table(latest, previous, pack)}"
        f"<h3>Why</h3><ul>{reasons}{flags}</ul>"
        f"<h3>Top actions (gain in overall readiness)</h3><ul>{actions or '<li>Nothing left to fix.</li>'}</ul>"
        f"{path_text}"
        f'<div class="two">{"".join(_chart(fig, name) for name, fig in charts[:2])}</div>'
        f"{''.join(_chart(fig, name) for name, fig in charts[2:])}</section>"
    )


def _context(pack: BoardPack, pilot: str, latest: ScoreResult) -> str:
    row = pack.latest.loc[pack.latest["pilot"] == pilot]
    bits = [str(row.iloc[0][c] or "") for c in ("business_unit", "owning_team", "stage")] if len(row) else []
    if latest.months_in_pilot is not None:
        bits.append(f"{display.months_text(latest.months_in_pilot)} months since start")
    bits.append(f"assessed {long_date(latest.as_of)}")
    return " · ".join(b for b in bits if b)


def _gap_table(latest: ScoreResult, previous: ScoreResult | None, pack: BoardPack) -> str:
    """Each gap's score and confidence, and with a previous snapshot its score then and the change (the
    difference of the shown scores, as on the deck's pilot page)."""
    head = "<th>Gap</th><th>Score</th><th>Confidence</th>" + ("<th>Previous</th><th>Change</th>" if previous else "")
    rows = []
    for change in what_changed(latest, previous, pack.model):
        if change.key == "overall":
            continue
        before = (
            f'<td class="num">{display.score_text(change.before)}</td><td class="num">{escape(change.arrow)}</td>'
            if previous
            else ""
        )
        rows.append(
            f'<tr data-gap="{change.key}"><td>{escape(change.label)}</td>'
            f'<td class="num"><b>{display.score_text(change.after)}</b></td>'
            f'<td class="num">{display.confidence_text(latest.gaps[change.key].confidence)}</td>{before}</tr>'
        )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def build_html(pack: BoardPack, progress: Callable[[float, str], None] | None = None) -> str:
    """The report of ``pack`` as one self-contained HTML document (plotly.js inlined, no network request)."""
    anchors: dict[str, str] = {}
    for pilot in pack.pilots:
        anchor, n = f"pilot-{slug(pilot)}", 2
        while anchor in anchors.values():
            anchor, n = f"pilot-{slug(pilot)}-{n}", n + 1
        anchors[pilot] = anchor
    if progress:
        progress(0.0, "portfolio")
    portfolio = portfolio_figures(pack)
    messages = "".join(f"<li>{escape(m)}</li>" for m in key_messages(pack.latest, pack.history, pack.model))
    sections = [
        '<section id="portfolio"><h2>Portfolio at a glance</h2>'
        f"<p class='sub'>{display.count_text(len(pack.latest), 'pilot')} assessed on the six production gaps</p>"
        f"{_tiles(pack)}<h3>What the board should know</h3><ul>{messages}</ul>"
        f"{''.join(_chart(fig, name) for name, fig in portfolio.items())}</section>",
        '<section id="compound-risks"><h2>Compound risks across the portfolio</h2>'
        f"<p class='sub'>Two weak gaps amplify each other: active when both score below "
        f"{display.threshold_text(pack.model.compound.active_below)}, critical below "
        f"{display.threshold_text(pack.model.compound.critical_below)}</p>"
        f"{_risk_table(pack)}</section>",
    ]
    for k, pilot in enumerate(pack.pilots):
        if progress:
            progress((k + 1) / (len(pack.pilots) + 1), pilot)
        sections.append(_pilot_section(pack, pilot, anchors[pilot]))
    links = ['<a href="#portfolio">Portfolio</a>', '<a href="#compound-risks">Compound risks</a>']
    links += [f'<a href="#{anchors[p]}">{escape(p)}</a>' for p in pack.pilots]
    title = f"{pack.title} — readiness report, as of {pack.as_of.isoformat()}"
    if progress:
        progress(1.0, "done")
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_CSS}</style>"
        f'<script type="text/javascript">window.PlotlyConfig = {{MathJaxConfig: "local"}};</script>'
        f'<script type="text/javascript">{get_plotlyjs()}</script></head><body>'
        f"<header><h1>{escape(pack.title)}</h1><p>Production readiness report · As of {long_date(pack.as_of)}"
        f" · Readiness model {escape(pack.model_version)}</p></header>"
        f"<nav>{''.join(links)}</nav><main>{''.join(sections)}</main>"
        f"<footer>{escape(footer_text(pack))}</footer></body></html>\n"
    )
