"""The offline HTML report: one self-contained file, readable on a plane.

plotly.js is inlined once in the head; each chart is a ``div`` drawn by an inline script from the
figure's JSON. No script, stylesheet, font or image is fetched from anywhere: the fonts are the
reader's system fonts and the styles are inline. The charts are the dashboard's own
(:mod:`readiness.boardpack.figures`), the statistics and sentences those of
:mod:`readiness.service.portfolio`, the board's decisions those of :mod:`readiness.service.decisions`,
and every number is written with :mod:`readiness.display`, so the report shows exactly what the app and
the deck show.

Sections: portfolio at a glance (ending with the verdicts that depend on the method or sit close to a
threshold), decisions for the board, compound risks, one per chosen pilot (promote, then fix, then stop),
an appendix for analysts, and a section per what-if scenario, labelled a projection on its face. The
executive sections name items by short label and
compound risks by their chain of gaps; item IDs appear only in the appendix. The page never scrolls
sideways: the navigation wraps, and a wide table scrolls inside its own box.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import plotly.io as pio
from plotly.offline import get_plotlyjs

from readiness import display
from readiness.boardpack.data import BoardPack
from readiness.boardpack.deck import (
    DECISION_COLORS,
    DECISION_EMPTY,
    footer_text,
    long_date,
    pilot_context,
    pilot_decision,
)
from readiness.boardpack.figures import pilot_figures, portfolio_figures, slug
from readiness.boardpack.images import PLOTLY_CONFIG
from readiness.boardpack.scenario import (
    PROJECTION_TAG,
    blocked_line,
    fixes_line,
    greedy_detail,
    in_scope_line,
    mover_overall,
    scenario_subtitle,
    scenario_title,
    scope_line,
    stat_rows,
)
from readiness.boardpack.style import cell_text_color
from readiness.charts import INK, MUTED, VERDICT_COLORS, gap_labels, short_gap_labels
from readiness.scoring import VERDICT_LABELS, ScoreResult
from readiness.service.decisions import action_text, plain_text
from readiness.service.portfolio import (
    key_messages,
    measured_sources,
    names_text,
    overall_change_text,
    overall_explained,
    portfolio_stats,
    top_actions,
    verdict_summary,
    what_changed,
)
from readiness.service.sensitivity import (
    band_count_sentence,
    band_line,
    band_rules_text,
    method_count_sentence,
    method_line,
)
from readiness.service.whatif import WhatIfResult

# The report's own charts keep the camera button (high-resolution PNG, made by the reader's browser).
_CONFIG = {**PLOTLY_CONFIG, "responsive": True}
RISK_NAMES = 20  # pilots named per compound risk; the rest are counted ("and 312 more")

_CSS = f"""
:root {{ --ink: {INK}; --muted: {MUTED}; --rule: #e5e7eb; --panel: #f6f7f9; }}
* {{ box-sizing: border-box; }}
body {{ margin: 0; font-family: "Segoe UI", "Helvetica Neue", Arial, sans-serif; color: var(--ink);
        background: white; line-height: 1.45; }}
header {{ background: #14213d; color: white; padding: 28px 48px; }}
header h1 {{ margin: 0 0 4px; font-size: 28px; }}
header p {{ margin: 0; color: #c9d3e3; }}
nav {{ padding: 12px 48px; border-bottom: 1px solid var(--rule); font-size: 14px; display: flex;
       flex-wrap: wrap; gap: 6px 16px; }}
nav a {{ color: #0072B2; text-decoration: none; white-space: nowrap; }}
main {{ padding: 8px 48px 48px; max-width: 1280px; }}
main, section, .chart, .two > *, .cards > * {{ min-width: 0; }}
.chart {{ max-width: 100%; overflow: hidden; }}
.scroll {{ max-width: 100%; overflow-x: auto; }}
section {{ border-bottom: 1px solid var(--rule); padding: 12px 0 24px; }}
h2 {{ font-size: 22px; margin: 24px 0 8px; }}
h3 {{ font-size: 16px; margin: 18px 0 6px; }}
.sub {{ color: var(--muted); margin: 0 0 12px; }}
.tiles {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px;
          margin: 12px 0 16px; }}
.tile {{ background: var(--panel); padding: 14px 16px; }}
.tile .label {{ font-size: 11px; font-weight: 700; letter-spacing: .04em; color: var(--muted);
               text-transform: uppercase; }}
.tile .value {{ font-size: 32px; font-weight: 700; }}
.tile .note {{ font-size: 13px; color: var(--muted); }}
.chart {{ margin: 8px 0 16px; }}
.two {{ display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 16px; }}
.cards {{ display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1.4fr) minmax(0, 1fr); gap: 12px;
          margin: 12px 0; }}
.card {{ background: var(--panel); }}
.card h3 {{ margin: 0; padding: 8px 12px; font-size: 15px; }}
.card ul {{ list-style: none; margin: 0; padding: 4px 12px 10px; }}
.card li {{ margin: 8px 0; overflow-wrap: anywhere; }}
.card .detail {{ display: block; font-size: 13px; }}
.card .team, .card .more {{ color: var(--muted); }}
.decision {{ color: var(--muted); }}
.explained {{ margin: 4px 0 8px; }}
details summary {{ cursor: pointer; color: var(--muted); }}
code {{ font-size: 13px; }}
.badge {{ display: inline-block; color: white; font-weight: 700; padding: 4px 12px; border-radius: 4px;
          margin-right: 10px; }}
.projection {{ background: #0072B2; }}
.projected {{ background: var(--panel); border-left: 4px solid #0072B2; padding: 8px 14px; margin: 8px 0 12px; }}
table {{ border-collapse: collapse; font-size: 14px; margin: 8px 0; }}
th, td {{ text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--rule); vertical-align: top; }}
th {{ color: var(--muted); font-weight: 600; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
footer {{ color: var(--muted); font-size: 12px; padding: 16px 48px; }}
@media (max-width: 900px) {{ .cards, .two {{ grid-template-columns: minmax(0, 1fr); }} }}
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
        f'<td class="num">{n}</td><td class="num">{c}</td><td>{escape(names_text(names, RISK_NAMES)) or "—"}</td></tr>'
        for n, c, e, names in rows
    )
    return (
        '<div class="scroll"><table><thead><tr><th>Interaction</th><th>What happens</th><th>Active</th>'
        f"<th>Critical</th><th>Pilots affected</th></tr></thead><tbody>{body}</tbody></table></div>"
    )


def _sensitivity(pack: BoardPack) -> str:
    """The verdicts that depend on the method (each pilot with its sentence) and those close to a threshold (each
    with the verdict it would take), at most ``RISK_NAMES`` pilots each, the rest counted."""
    found = pack.sensitivity
    points = found.band.points

    def listed(lines: list[str]) -> str:
        items = "".join(f"<li>{escape(line)}</li>" for line in lines[:RISK_NAMES])
        more = f'<li class="more">and {len(lines) - RISK_NAMES} more</li>' if len(lines) > RISK_NAMES else ""
        return f"<ul>{items}{more}</ul>" if items else ""

    return (
        '<div id="sensitivity"><h3>How much the verdicts depend on the method and the thresholds</h3>'
        f"<p>{escape(method_count_sentence(found))}</p>{listed([method_line(p) for p in found.sensitive])}"
        f"<p>{escape(band_count_sentence(found))}</p>"
        f"{f'<p class=sub>{escape(band_rules_text(found))}</p>' if found.close else ''}"
        f"{listed([band_line(p, points) for p in found.close])}</div>"
    )


def _decisions(pack: BoardPack) -> str:
    """The board's three lists and its asks (:attr:`BoardPack.decisions`, as on the deck's decisions slide)."""
    chosen = pack.decisions
    stalled = display.threshold_text(pack.model.scoring.stalled_after_months)
    cards = []
    for group in chosen.groups:
        color = DECISION_COLORS[group.decision]
        items = []
        for item in group.shown:
            team = f' <span class="team">· {escape(item.owning_team)}</span>' if item.owning_team else ""
            items.append(
                f'<li data-pilot="{escape(item.pilot)}"><b>{escape(item.pilot)}</b>{team}'
                f'<span class="detail">{escape(item.note)}</span></li>'
            )
        if group.more:
            items.append(f'<li class="more">and {group.more} more (see the heatmap)</li>')
        body = "".join(items) or f'<li class="more">{escape(DECISION_EMPTY[group.decision])}</li>'
        cards.append(
            f'<div class="card" data-decision="{group.decision}"><h3 style="background:{color};'
            f'color:{cell_text_color(color)}">{escape(group.label)} · {group.total}</h3><ul>{body}</ul></div>'
        )
    asks = "".join(f"<li>{escape(ask)}</li>" for ask in chosen.asks) or "<li>Nothing to decide.</li>"
    return (
        '<section id="decisions"><h2>Decisions for the board</h2>'
        f"<p class='sub'>Promote: ready · Fix: conditional, or not ready and still moving (top action, its gain in "
        f"overall readiness, the owning team) · Stop or rethink: not ready and in pilot for more than {stalled} "
        f'months</p><div class="cards">{"".join(cards)}</div>'
        f'<h3>The board\'s asks</h3><ol class="asks">{asks}</ol></section>'
    )


def _pilot_section(pack: BoardPack, pilot: str, anchor: str) -> str:
    latest, previous = pack.pilot_results[pilot]
    model = pack.model
    figures = pilot_figures(pack, pilot)
    labels = gap_labels(model)
    verdict = latest.verdict
    since = overall_change_text(latest, previous)
    change = f" ({since})" if since else ""
    reasons = "".join(f"<li>{escape(r)}</li>" for r in latest.plain_reasons)
    flags = "".join(f"<li>{escape(f.message)}</li>" for f in latest.flags)
    chains = "".join(f"<li>{escape(c.text)} ({'critical' if c.critical else 'active'})</li>" for c in latest.chains)
    chain_list = f"<h3>Compound risks</h3><ul>{chains}</ul>" if chains else ""
    actions = "".join(
        f"<li><b>{display.gain_text(a.gain)}</b> {escape(action_text(a, model))}</li>" for a in top_actions(latest, 5)
    )
    heading = "Still worth doing" if verdict == "ready" else "Top actions"
    path = latest.path_to_next_verdict
    path_text = f"<p class='sub'>{escape(plain_text(path.note, model))}</p>" if path.target_verdict else ""
    measured = "".join(f"<li>{escape(line)}</li>" for line in measured_sources(latest, model))
    measured = f"<h3>Measured evidence</h3><ul>{measured}</ul>" if measured else ""
    charts = list(figures.items())
    decision = pilot_decision(pack, pilot)
    return (
        f'<section id="{anchor}"><h2>{escape(pilot)}</h2>'
        f"<p class='sub'><b class='decision'>Board decision: {escape(decision)}</b> · "
        f"{escape(_context(pack, pilot, latest))}</p>"
        f'<p><span class="badge" style="background:{VERDICT_COLORS[verdict]}">{VERDICT_LABELS[verdict]}</span>'
        f"Overall <b>{display.score_text(latest.overall)}</b> / 100{escape(change)} · confidence "
        f"{display.confidence_text(latest.overall_confidence)}"
        f" · weakest gap: {escape(labels[latest.weakest_gap])}</p>"
        f'<p class="explained">{escape(overall_explained(latest, model))}</p>'
        f"{_gap_table(latest, previous, pack)}"
        f"<h3>Why</h3><ul>{reasons}{flags}</ul>{chain_list}"
        f"<h3>{heading} (gain in overall readiness)</h3><ul>{actions or '<li>Nothing left to fix.</li>'}</ul>"
        f"{path_text}{measured}"
        f'<div class="two">{"".join(_chart(fig, name) for name, fig in charts[:2])}</div>'
        f"{''.join(_chart(fig, name) for name, fig in charts[2:])}</section>"
    )


def _appendix(pack: BoardPack, anchors: dict[str, str]) -> str:
    """For analysts: each pilot page's reasons and actions with the model's item and compound-risk IDs."""
    parts = []
    for pilot in pack.pilots:
        latest, _ = pack.pilot_results[pilot]
        reasons = "".join(f"<li>{escape(r)}</li>" for r in latest.reasons)
        actions = "".join(
            f"<li><code>{escape(a.item)}</code> {escape(a.label)} ({escape(a.current)} → {escape(a.target)}), "
            f"{display.gain_text(a.gain)}</li>"
            for a in top_actions(latest, 5)
        )
        risks = ", ".join(f"{r.id} {r.state}" for r in latest.compound_risks if r.state != "inactive")
        parts.append(
            f'<details data-pilot="{escape(pilot)}"><summary>{escape(pilot)}</summary>'
            f"<ul>{reasons}</ul><ul>{actions}</ul>"
            f"{f'<p class=sub>Compound risks: {escape(risks)}</p>' if risks else ''}"
            f'<p class="sub"><a href="#{anchors[pilot]}">Back to the pilot</a></p></details>'
        )
    return (
        '<section id="appendix"><h2>Appendix: item IDs for analysts</h2>'
        "<p class='sub'>The reasons and actions of each pilot section with the model's item IDs, as in the "
        f"Score JSON.</p>{''.join(parts)}</section>"
    )


SCENARIO_MOVERS = 20  # pilots whose verdict moves listed in a scenario's section; the rest counted


def _scenario_section(result: WhatIfResult, anchor: str) -> str:
    """A what-if projection: labelled one first (badge and label), the use case's sentences, the plan and its
    scope, the portfolio before → after, the pilots whose verdict moves, and the next best fixes."""
    model = result.model
    plan = "".join(f"<li>{escape(line)}</li>" for line in result.plan.describe(model)) or "<li>No fix</li>"
    notes = [fixes_line(result), blocked_line(result), in_scope_line(result)]
    sentences = "".join(f"<p>{escape(line)}</p>" for line in result.sentences()[:2])
    rows = "".join(
        f"<tr><td><b>{escape(row.label)}</b></td><td class='num'>{escape(row.before_text)}</td>"
        f"<td class='num'><b>{escape(row.after_text)}</b></td><td class='num'>{escape(row.change)}</td></tr>"
        for row in stat_rows(result.before, result.after)
    )
    movers = result.projection.movers
    moved = "".join(
        f"<tr data-pilot='{escape(m.pilot)}'><td><b>{escape(m.pilot)}</b></td><td>{escape(m.business_unit or '')}</td>"
        f"<td>{VERDICT_LABELS[m.before]} → {VERDICT_LABELS[m.after]}</td>"
        f"<td class='num'>{escape(mover_overall(m.overall_before, m.overall_after))}</td></tr>"
        for m in movers[:SCENARIO_MOVERS]
    )
    more = f"<p class='sub'>and {len(movers) - SCENARIO_MOVERS} more</p>" if len(movers) > SCENARIO_MOVERS else ""
    movers_html = (
        "<div class='scroll'><table><thead><tr><th>Pilot</th><th>Business unit</th><th>Verdict</th><th>Overall</th>"
        f"</tr></thead><tbody>{moved}</tbody></table></div>{more}"
        if movers
        else "<p class='sub'>No pilot's verdict changes with this plan.</p>"
    )
    fixes = "".join(
        f"<li><b>{escape(step.label)}</b> {escape(greedy_detail(step, result.after.pilots, 4))}</li>"
        for step in result.greedy
    )
    greedy = f"<h3>Next best fixes after the plan</h3><ol>{fixes}</ol>" if fixes else ""
    return (
        f'<section id="{anchor}" data-projection="true"><h2>{escape(scenario_title(result))}</h2>'
        f'<p><span class="badge projection">{PROJECTION_TAG}</span>{escape(scenario_subtitle(result))}</p>'
        f'<div class="projected">{sentences}</div>'
        f"<h3>The plan</h3><ul>{plan}</ul>"
        f"<p>Applied to {escape(scope_line(result, RISK_NAMES))}.</p>"
        f"{''.join(f'<p class=sub>{escape(note)}</p>' for note in notes if note)}"
        "<div class='scroll'><table><thead><tr><th>Portfolio · "
        f"{escape(display.count_text(result.before.pilots, 'pilot'))}</th><th>Before</th><th>After</th>"
        f"<th>Change</th></tr></thead><tbody>{rows}</tbody></table></div>"
        f"<h3>Verdicts that move</h3>{movers_html}{greedy}</section>"
    )


def _context(pack: BoardPack, pilot: str, latest: ScoreResult) -> str:
    return " · ".join(pilot_context(pack, pilot, latest))


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
    return f"<div class='scroll'><table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"


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
        f"{''.join(_chart(fig, name) for name, fig in portfolio.items())}{_sensitivity(pack)}</section>",
        _decisions(pack),
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
    if pack.pilots:
        sections.append(_appendix(pack, anchors))
    # Projections come last, after the portfolio as it stands, each labelled a projection.
    scenario_anchors = [f"scenario-{k}" for k in range(1, len(pack.scenarios) + 1)]
    sections += [_scenario_section(r, a) for r, a in zip(pack.scenarios, scenario_anchors, strict=True)]
    links = ['<a href="#portfolio">Portfolio</a>', '<a href="#decisions">Decisions</a>',
             '<a href="#compound-risks">Compound risks</a>']  # fmt: skip
    links += [f'<a href="#{anchors[p]}">{escape(p)}</a>' for p in pack.pilots]
    links += ['<a href="#appendix">Appendix</a>'] if pack.pilots else []
    links += [f'<a href="#{a}">{escape(scenario_title(r))}</a>' for r, a in zip(pack.scenarios, scenario_anchors,
                                                                                  strict=True)]  # fmt: skip
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
