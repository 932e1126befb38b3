"""What the board is asked to decide: which pilots to promote, which to fix, which to stop or rethink.

The deck's decisions slide, the HTML report's decisions section and the order of the pilot pages all come
from here, so every surface sorts a pilot into the same decision and asks the board the same questions.

Definitions:

- **Promote now**: the verdict is ready.
- **Fix**: the verdict is conditional, or not ready while the pilot is not stalled; the top action is the
  first of :func:`readiness.service.portfolio.top_actions`, named by its short label, with its gain in
  overall readiness and the owning team.
- **Stop or rethink**: not ready and stalled (in the pilot stage for longer than the model allows).

The decision of every pilot is one vectorized pass over the portfolio frame (:func:`decision_of`); only
the pilots whose top action is shown need an explained score, and they are bounded (``limit`` per list,
then "and K more"), so a portfolio of a thousand pilots costs a handful of explained scores.

Also here: the text helpers that keep executive surfaces in plain words (:func:`plain_text` replaces item
and compound-risk IDs with labels; :func:`action_text` writes an action as "short label: now → target").
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import pandas as pd

from readiness import display
from readiness.model import BandCurve, BoolCurve, LinearCurve, RatioCurve, ReadinessModel, load_model
from readiness.scoring import VERDICT_ORDER, Action, ScoreResult
from readiness.service.portfolio import names_text, top_actions

DECISIONS = ("promote", "fix", "stop")
DECISION_LABELS = {"promote": "Promote now", "fix": "Fix", "stop": "Stop or rethink"}
DECISION_NOTES = {
    "promote": "Ready for production",
    "fix": "Conditional, or not ready but not stalled",
    "stop": "Not ready and stalled in pilot",
}
DECISION_LIMIT = 5  # pilots named per list on the decisions slide and section; the rest are counted
ASK_NAMES = 3  # pilots (and owners) named in one of the board's asks


# --------------------------------------------------------------------------------------------
# The decision of every pilot (vectorized) and the page order
# --------------------------------------------------------------------------------------------


def decision_of(latest: pd.DataFrame) -> pd.Series:
    """The decision of each row of a portfolio frame: ``promote``, ``fix`` or ``stop`` (same index)."""
    if latest.empty:
        return pd.Series([], index=latest.index, dtype=object)
    verdict = latest["verdict"].astype(str)
    stalled = latest["stalled"].fillna(False).astype(bool) if "stalled" in latest else False
    out = pd.Series("fix", index=latest.index, dtype=object)
    out[verdict == "ready"] = "promote"
    out[(verdict == "not_ready") & stalled] = "stop"
    return out


def _ordered(latest: pd.DataFrame) -> pd.DataFrame:
    """The frame in decision order: promote (highest overall first), fix (conditional before not ready,
    highest overall first: closest to production first), stop (longest in pilot first)."""
    decision = decision_of(latest)
    rank = latest["verdict"].map({v: k for k, v in enumerate(VERDICT_ORDER)}).fillna(0)
    months = latest["months_in_pilot"].astype(float).fillna(0) if "months_in_pilot" in latest else 0.0
    keyed = latest.assign(
        _decision=decision.map({d: k for k, d in enumerate(DECISIONS)}),
        _verdict=-rank,
        # within stop: the longest in pilot first; elsewhere the highest overall first
        _first=(-months).where(decision == "stop", -latest["overall"].astype(float)),
        _overall=-latest["overall"].astype(float),
    )
    keyed = keyed.sort_values(["_decision", "_verdict", "_first", "_overall", "pilot"], kind="stable")
    return keyed.drop(columns=["_decision", "_verdict", "_first", "_overall"]).reset_index(drop=True)


def decision_order(latest: pd.DataFrame) -> list[str]:
    """Every pilot in decision order (promote, fix, stop; see :func:`_ordered` within each)."""
    return [] if latest.empty else _ordered(latest)["pilot"].astype(str).tolist()


def order_by_decision(pilots: Sequence[str], latest: pd.DataFrame) -> list[str]:
    """Chosen pilots grouped by decision (promote, fix, stop), each group in the order given."""
    decisions = dict(zip(latest["pilot"].astype(str), decision_of(latest), strict=True)) if len(latest) else {}
    rank = {d: k for k, d in enumerate(DECISIONS)}
    unique = list(dict.fromkeys(pilots))
    return sorted(unique, key=lambda p: rank.get(decisions.get(p, "fix"), 1))


def default_pilot_pages(latest: pd.DataFrame, limit: int) -> list[str]:
    """A bounded default of pilot pages that shows every decision: up to ``limit`` pilots taken in turn
    from promote, fix and stop (each list in decision order), returned in decision order. With fewer
    pilots than ``limit`` every pilot gets a page."""
    ordered = _ordered(latest) if len(latest) else latest
    if limit <= 0 or ordered.empty:
        return []
    groups = {d: ordered.loc[decision_of(ordered) == d, "pilot"].astype(str).tolist() for d in DECISIONS}
    picked: set[str] = set()
    depth = 0
    while len(picked) < min(limit, len(ordered)):
        for d in DECISIONS:
            if depth < len(groups[d]) and len(picked) < limit:
                picked.add(groups[d][depth])
        depth += 1
    return [p for p in ordered["pilot"].astype(str) if p in picked]


def pilots_needing_scores(latest: pd.DataFrame, limit: int = DECISION_LIMIT) -> list[str]:
    """The pilots whose explained score :func:`decisions` needs: the first ``limit`` of the fix list
    (their top action is shown)."""
    if latest.empty:
        return []
    ordered = _ordered(latest)
    return ordered.loc[decision_of(ordered) == "fix", "pilot"].astype(str).tolist()[:limit]


# --------------------------------------------------------------------------------------------
# Plain words: labels instead of IDs
# --------------------------------------------------------------------------------------------


_PATTERNS: dict[int, tuple[ReadinessModel, re.Pattern[str], dict[str, str]]] = {}


def _id_pattern(model: ReadinessModel) -> tuple[re.Pattern[str], dict[str, str]]:
    """The regular expression of every ID of ``model`` (longest first) and what each one reads as."""
    cached = _PATTERNS.get(id(model))
    if cached is not None and cached[0] is model:
        return cached[1], cached[2]
    names = {q.id: q.short for q in model.questions}
    names.update({m.id: m.short for m in model.metrics})
    labels = {g.id: g.label for g in model.gaps}
    for edge in model.edges:
        names[f"compound risk {edge.id}"] = f"the compound risk {labels[edge.source]} → {labels[edge.target]}"
        names[f"Compound risk {edge.id}"] = f"The compound risk {labels[edge.source]} → {labels[edge.target]}"
    keys = sorted(names, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w.-])(" + "|".join(re.escape(k) for k in keys) + r")(?![\w-])")
    _PATTERNS[id(model)] = (model, pattern, names)
    return pattern, names


def plain_text(text: str, model: ReadinessModel | None = None) -> str:
    """``text`` with every item ID replaced by its short label and every compound-risk ID by its chain of
    gaps (``compound risk C3`` → ``the compound risk Organizational ownership → Latency & scale``)."""
    model = model or load_model()
    pattern, names = _id_pattern(model)
    return pattern.sub(lambda m: names[m.group(1)], text)


def _number(value: float, unit: str) -> str:
    spacer = "" if unit in {"%", "×", ""} else " "
    return f"{value:g}{spacer}{unit}"


def target_words(action: Action, model: ReadinessModel | None = None) -> str:
    """An action's target in words: ``yes``, ``at least 80%``, ``at most 1%``, ``between 2 and 25%``."""
    model = model or load_model()
    metric = model.metric_by_id.get(action.item)
    if metric is None:
        return "yes"
    unit = "" if metric.unit in {"yes/no", "ratio"} else metric.unit
    curve = metric.curve
    if isinstance(curve, BoolCurve):
        return "yes"
    if isinstance(curve, BandCurve):
        return f"between {curve.green_low:g} and {_number(curve.green_high, unit)}"
    if isinstance(curve, RatioCurve):
        word = "at least" if curve.green > curve.red else "at most"
        return f"{word} {curve.green:g}× {_lower_first(model.item_label(curve.denominator))}"
    if isinstance(curve, LinearCurve):
        word = "at least" if curve.green > curve.red else "at most"
        return f"{word} {_number(curve.green, unit)}"
    return action.target


def _lower_first(text: str) -> str:
    """``Latency budget`` → ``latency budget``; an acronym (``PII``) stays as it is."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def action_text(action: Action, model: ReadinessModel | None = None) -> str:
    """An action in plain words: ``Named operating team: no → yes``, ``Duplicate rate: 3% → at most 1%``."""
    model = model or load_model()
    now = action.current.lower() if action.item in model.question_by_id else action.current
    return f"{model.item_label(action.item)}: {now} → {target_words(action, model)}"


# --------------------------------------------------------------------------------------------
# The decisions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PilotDecision:
    """One pilot in one of the board's lists, with what the list shows about it."""

    pilot: str
    decision: str
    verdict: str
    overall: float
    business_unit: str
    owning_team: str
    months_in_pilot: float | None
    weakest_gap: str
    weakest_score: float
    note: str  # one line in words: why this list (promote, stop) or the top action (fix)
    action: Action | None = None
    action_text: str = ""  # the top action as "short label: now → target" ("" when none)
    gain: str = ""  # the top action's gain in overall readiness (display.gain_text)


@dataclass(frozen=True)
class DecisionGroup:
    """One list of the decisions: the first pilots of it, and how many it holds."""

    decision: str
    label: str
    shown: list[PilotDecision]
    total: int

    @property
    def more(self) -> int:
        """How many pilots of the list are not shown."""
        return self.total - len(self.shown)

    @property
    def names(self) -> list[str]:
        return [d.pilot for d in self.shown]


@dataclass(frozen=True)
class Decisions:
    """The board's three lists and its asks, one sentence each."""

    promote: DecisionGroup
    fix: DecisionGroup
    stop: DecisionGroup
    asks: list[str]

    @property
    def groups(self) -> list[DecisionGroup]:
        return [self.promote, self.fix, self.stop]

    def of(self, decision: str) -> DecisionGroup:
        return {"promote": self.promote, "fix": self.fix, "stop": self.stop}[decision]


def _text_of(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _months(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def decisions(
    latest: pd.DataFrame,
    results: Mapping[str, ScoreResult],
    model: ReadinessModel | None = None,
    limit: int = DECISION_LIMIT,
) -> Decisions:
    """The board's decisions on the portfolio ``latest`` (one :func:`~readiness.portfolio.score_frame` row
    per pilot): who to promote, fix (with the top action, its gain and the owner) and stop or rethink.

    ``results`` maps pilots to their explained latest score; the top action of each of the first ``limit``
    pilots to fix comes from it (:func:`pilots_needing_scores` says which; a pilot missing from it is
    listed without an action). Each list names at most ``limit`` pilots and counts the rest.
    """
    model = model or load_model()
    ordered = _ordered(latest) if len(latest) else latest
    decided = decision_of(ordered)
    labels = {g.id: g.label for g in model.gaps}
    stalled_after = display.threshold_text(model.scoring.stalled_after_months)
    groups: dict[str, DecisionGroup] = {}
    every: dict[str, list[str]] = {}
    for decision in DECISIONS:
        rows = ordered.loc[decided == decision] if len(ordered) else ordered
        every[decision] = rows["pilot"].astype(str).tolist() if len(rows) else []
        shown = []
        for _, row in rows.head(limit).iterrows():
            pilot = str(row["pilot"])
            overall = float(row["overall"])
            weakest = str(row["weakest_gap"])
            months = _months(row.get("months_in_pilot"))
            weakest_text = f"{labels.get(weakest, weakest)} {display.score_text(float(row[f'score.{weakest}']))}"
            item = PilotDecision(
                pilot=pilot,
                decision=decision,
                verdict=str(row["verdict"]),
                overall=overall,
                business_unit=_text_of(row.get("business_unit")),
                owning_team=_text_of(row.get("owning_team")),
                months_in_pilot=months,
                weakest_gap=weakest,
                weakest_score=float(row[f"score.{weakest}"]),
                note="",
            )
            if decision == "promote":
                note = f"Overall {display.score_text(overall)}; lowest gap {weakest_text}"
            elif decision == "stop":
                note = (
                    f"{display.months_text(months)} months in pilot (benchmark {stalled_after}); "
                    f"overall {display.score_text(overall)}; weakest {weakest_text}"
                )
            else:
                result = results.get(pilot)
                actions = top_actions(result, 1) if result is not None else []
                if actions:
                    action = actions[0]
                    words = action_text(action, model)
                    gain = display.gain_text(action.gain)
                    item = _replace(item, action=action, action_text=words, gain=gain)
                    note = f"{words} ({gain})"
                else:
                    note = f"Overall {display.score_text(overall)}; weakest {weakest_text}"
            shown.append(_replace(item, note=note))
        groups[decision] = DecisionGroup(decision, DECISION_LABELS[decision], shown, len(every[decision]))
    asks = []
    if every["promote"]:
        asks.append(f"Approve production launch for {names_text(every['promote'], ASK_NAMES)}.")
    if every["fix"]:
        owners = list(dict.fromkeys(d.owning_team for d in groups["fix"].shown if d.owning_team))
        owned = f" (owners: {names_text(owners, ASK_NAMES)})" if owners else ""
        asks.append(f"Fund the fixes for {names_text(every['fix'], ASK_NAMES)}{owned}.")
    if every["stop"]:
        asks.append(f"Decide whether to stop or rethink {names_text(every['stop'], ASK_NAMES)}.")
    return Decisions(groups["promote"], groups["fix"], groups["stop"], asks)


def _replace(item: PilotDecision, **changes: object) -> PilotDecision:
    return replace(item, **changes)  # type: ignore[arg-type]


__all__ = [
    "DECISIONS",
    "DECISION_LABELS",
    "DECISION_LIMIT",
    "DecisionGroup",
    "Decisions",
    "PilotDecision",
    "action_text",
    "decision_of",
    "decision_order",
    "decisions",
    "default_pilot_pages",
    "order_by_decision",
    "pilots_needing_scores",
    "plain_text",
    "target_words",
]
