"""The what-if use case: project a plan of fixes on the stored portfolio, and save plans as named scenarios.

The one way the what-if page and ``readiness whatif`` ask for a projection: resolve the scope (every pilot, a
business unit, chosen pilots) on each pilot's latest snapshot in force (retracted snapshots are out, as
everywhere: :func:`readiness.store.portfolio_frame`), project the plan with :mod:`readiness.whatif`, and state
the portfolio before and after with the statistics of :mod:`readiness.service.portfolio`, each defined once,
so that a projection's "5 of 15 pilots are ready" reads as the Portfolio page would say it. Everything here is
a projection (:data:`~readiness.whatif.PROJECTION_LABEL`): nothing writes a snapshot.

Permissions (:mod:`readiness.service.access`): a projection and the saved scenarios need ``read`` (every role
reads the whole portfolio, as on the Portfolio page); saving a scenario needs ``assess``, and a contributor may
save one only when its scope covers every pilot the scenario applies to (the registry's team and business
unit decide, as for a write of an assessment).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from readiness import display
from readiness.assessment import MAX_NAME_LENGTH, name_key, normalise_name, text_problem
from readiness.errors import InvalidInput, Issue
from readiness.model import GAP_IDS, ReadinessModel, load_model
from readiness.service.access import (
    Identity,
    NotPermitted,
    PilotScope,
    ambient_identity,
    permits,
    refusal_issue,
    require,
    unrestricted,
)
from readiness.service.grants import written_by
from readiness.service.portfolio import (
    PortfolioStats,
    check_pilots,
    names_text,
    portfolio_stats,
    ready_sentence,
    verdict_summary,
)
from readiness.service.queries import latest_assessment_frame
from readiness.store.grants import pilot_scopes
from readiness.store.scenarios import ScenarioRecord, get_scenario, latest_scenarios
from readiness.store.scenarios import save_scenario as store_scenario
from readiness.whatif import (
    PROJECTION_LABEL,
    GreedyStep,
    Plan,
    PlanRank,
    Projection,
    next_best_fixes,
    one_row_per_pilot,
    parse_plan,
    project,
    rank_plans,
)

__all__ = [
    "PROJECTION_LABEL",
    "ScenarioRecord",
    "WhatIfResult",
    "WhatIfScope",
    "list_scenarios",
    "load_scenario",
    "project_frame",
    "project_portfolio",
    "ranked_gap_plans",
    "resolve_scope",
    "run_scenario",
    "save_scenario",
    "step_moves",
]

BLOCKED_REASON = "no latency budget reported: p95 latency has nothing to be green against"


# --------------------------------------------------------------------------------------------
# Scope
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WhatIfScope:
    """The pilots a plan applies to: one business unit, chosen pilots, or (neither) every pilot."""

    unit: str | None = None
    pilots: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.unit is not None and not self.unit.strip():
            object.__setattr__(self, "unit", None)
        if self.unit and self.pilots:
            message = "a plan applies to one business unit or to chosen pilots, not both"
            raise InvalidInput([Issue("error", "scope", message)])

    def describe(self) -> str:
        """``every pilot``, ``business unit Operations`` or ``chosen pilots`` (the result names them)."""
        if self.unit:
            return f"business unit {self.unit}"
        return "chosen pilots" if self.pilots else "every pilot"

    def to_json(self) -> dict[str, Any]:
        """The scope as a scenario stores it."""
        return {"unit": self.unit, "pilots": list(self.pilots)}

    @classmethod
    def from_json(cls, data: Any) -> WhatIfScope:
        """The scope a scenario stored (an unreadable one is :class:`InvalidInput`)."""
        if not isinstance(data, dict):
            raise InvalidInput([Issue("error", "scope", "expected an object with unit and pilots")])
        unit, pilots = data.get("unit"), data.get("pilots") or []
        if (unit is not None and not isinstance(unit, str)) or not all(isinstance(p, str) for p in pilots):
            raise InvalidInput([Issue("error", "scope", "unit is a name and pilots a list of names")])
        return cls(unit=unit, pilots=tuple(pilots))


def resolve_scope(latest: pd.DataFrame, scope: WhatIfScope) -> tuple[np.ndarray, list[str], WhatIfScope]:
    """The rows of a one-row-per-pilot frame in scope (a mask), their pilots' names in the frame's order, and
    the scope as the portfolio spells it (``operations`` is business unit ``Operations``).

    A business unit and pilot names match as people type them (case, accents' forms and runs of spaces do not
    matter); an unknown one is :class:`InvalidInput` naming the known ones.
    """
    names = latest["pilot"].astype(str)
    if scope.unit:
        units = latest["business_unit"].astype(object).where(latest["business_unit"].notna(), None)
        keys = units.map(lambda u: name_key(u) if isinstance(u, str) else None)
        mask = (keys == name_key(scope.unit)).to_numpy(dtype=bool)
        if not mask.any():
            known = sorted({u for u in units if isinstance(u, str)}, key=str.casefold)
            hint = ", ".join(repr(u) for u in known) or "none"
            raise InvalidInput([Issue("error", "unit", f"no pilot belongs to business unit {scope.unit!r} "
                                                        f"(known: {hint})")])  # fmt: skip
        scope = WhatIfScope(unit=str(units[mask].iloc[0]))
    elif scope.pilots:
        chosen = check_pilots(scope.pilots, names.tolist())
        mask = names.isin(set(chosen)).to_numpy(dtype=bool)
        scope = WhatIfScope(pilots=tuple(chosen))
    else:
        mask = np.ones(len(latest), dtype=bool)
    return mask, names[mask].tolist(), scope


# --------------------------------------------------------------------------------------------
# The projection and its statistics
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class WhatIfResult:
    """A plan projected on the portfolio: the projection itself, the portfolio's statistics before and after
    (``before``, ``after``: every pilot; ``scope_before``, ``scope_after``: the pilots in scope), and the greedy
    list of next best fixes after the plan. Labelled a projection on every surface (``label``)."""

    plan: Plan
    scope: WhatIfScope
    pilots_in_scope: tuple[str, ...]
    projection: Projection
    before: PortfolioStats
    after: PortfolioStats
    scope_before: PortfolioStats
    scope_after: PortfolioStats
    greedy: tuple[GreedyStep, ...]
    model: ReadinessModel
    scenario: ScenarioRecord | None = None
    label: str = field(default=PROJECTION_LABEL)

    @property
    def moved_to_ready(self) -> list[str]:
        """The pilots the plan makes ready."""
        return self.projection.moved_to_ready

    def sentences(self) -> list[str]:
        """The projection in words: the portfolio's ready sentence before and after, and who moves."""
        lines = [f"Before: {ready_sentence(self.before)}", f"After the plan: {ready_sentence(self.after)}"]
        ready = self.moved_to_ready
        lines.append(f"Moved to ready: {', '.join(ready)}." if ready else "No pilot becomes ready with this plan.")
        return lines

    def to_json_dict(self) -> dict[str, Any]:
        """The projection as JSON (``readiness whatif --json``), with stable keys."""
        model = self.model
        scenario = None
        if self.scenario is not None:
            s = self.scenario
            scenario = {
                "name": s.name,
                "version": s.version,
                "created_by": s.created_by,
                "created_at": s.created_at.isoformat(timespec="seconds"),
                "model_version": s.model_version,
            }
        return {
            "projection": True,
            "label": self.label,
            "model_version": model.version,
            "scenario": scenario,
            "scope": {
                **self.scope.to_json(),
                "description": self.scope.describe(),
                "pilots_in_scope": list(self.pilots_in_scope),
            },
            "plan": {
                **self.plan.model_dump(mode="json"),
                "items": list(self.plan.items(model)),
                "description": self.plan.describe(model),
            },
            "portfolio": {"before": _stats_json(self.before), "after": _stats_json(self.after)},
            "in_scope": {"before": _stats_json(self.scope_before), "after": _stats_json(self.scope_after)},
            "moved_to_ready": self.moved_to_ready,
            "movers": [
                {
                    "pilot": m.pilot,
                    "business_unit": m.business_unit,
                    "before": m.before,
                    "after": m.after,
                    "overall_before": display.floor_to(m.overall_before, 2),
                    "overall_after": display.floor_to(m.overall_after, 2),
                }
                for m in self.projection.movers
            ],
            "changed_cells": [
                {"pilot": pilot, "gap": gap, "before": display.floor_to(was, 2), "after": display.floor_to(now, 2)}
                for pilot, gap, was, now in self.projection.changed_cells.itertuples(index=False)
            ],
            "fixed_cells": self.projection.fixed_cells,
            "blocked": [{"pilot": p, "item": i, "reason": BLOCKED_REASON} for p, i in self.projection.blocked],
            "greedy": [
                {
                    "step": s.step,
                    "item": s.item,
                    "label": s.label,
                    "kind": s.kind,
                    "gap": s.gap,
                    "pilots_fixed": s.pilots_fixed,
                    "moved_to_ready": list(s.moved_to_ready),
                    "improved": s.improved,
                    "overall_gain": round(s.overall_gain, 2),
                    "ready": s.ready,
                    "ready_share": s.ready_share,
                    "ready_in_scope": s.ready_in_scope,
                }
                for s in self.greedy
            ],
        }


def _stats_json(stats: PortfolioStats) -> dict[str, Any]:
    return {
        "pilots": stats.pilots,
        "verdicts": dict(stats.by_verdict),
        "summary": verdict_summary(stats),
        "ready_share": stats.ready_share,
        "gartner_ready_share": stats.gartner_ready_share,
        "compound_risks": {
            "active": stats.active_compound_risks,
            "critical": stats.critical_compound_risks,
            "pilots": stats.pilots_with_compound_risk,
        },
        "sentence": ready_sentence(stats),
    }


def step_moves(step: GreedyStep, names: int | None = None) -> str | None:
    """What a next best fix moves, in the words every surface uses: ``+1 ready`` (with up to ``names`` of the
    pilots it makes ready: ``+1 ready (Parts demand sensing)``) or ``2 verdicts up``; None when no verdict moves
    (each surface then says what it shows instead)."""
    if step.moved_to_ready:
        named = f" ({names_text(step.moved_to_ready, names)})" if names else ""
        return f"+{len(step.moved_to_ready)} ready{named}"
    if step.improved:
        return f"{display.count_text(step.improved, 'verdict')} up"
    return None


def ranked_gap_plans(
    frame: pd.DataFrame, plan: Plan, scope: WhatIfScope | None = None, model: ReadinessModel | None = None
) -> list[PlanRank]:
    """``plan`` (when it fixes anything) and each single "close gap X" plan over the same scope, the best yield
    first: pilots moved to ready per item fixed (:func:`readiness.whatif.rank_plans`). ``frame``: the assessment
    frame of the latest snapshots (:func:`readiness.service.queries.latest_assessment_frame`)."""
    model = model or load_model()
    latest = one_row_per_pilot(frame)
    mask, _, _ = resolve_scope(latest, scope or WhatIfScope())
    singles = [Plan(close_gaps=(gap,)) for gap in GAP_IDS]
    plans = ([plan] if not plan.is_empty else []) + [single for single in singles if single != plan]
    return rank_plans(latest, plans, model, mask)


def project_frame(
    frame: pd.DataFrame,
    plan: Plan,
    scope: WhatIfScope | None = None,
    *,
    greedy_steps: int = 0,
    model: ReadinessModel | None = None,
    scenario: ScenarioRecord | None = None,
) -> WhatIfResult:
    """Project ``plan`` on an assessment frame already read (the page keeps the store's frame between reruns);
    the greedy list (``greedy_steps`` long) continues from the portfolio after the plan. No permission check:
    :func:`project_portfolio` is the use case; this is its computation."""
    model = model or load_model()
    scope = scope or WhatIfScope()
    latest = one_row_per_pilot(frame)
    mask, names, scope = resolve_scope(latest, scope)
    projection = project(latest, plan, model, mask)
    greedy = next_best_fixes(projection.frame_after, model, mask, greedy_steps) if greedy_steps > 0 else []
    return WhatIfResult(
        plan=plan,
        scope=scope,
        pilots_in_scope=tuple(names),
        projection=projection,
        before=portfolio_stats(projection.before, model),
        after=portfolio_stats(projection.after, model),
        scope_before=portfolio_stats(projection.before[mask].reset_index(drop=True), model),
        scope_after=portfolio_stats(projection.after[mask].reset_index(drop=True), model),
        greedy=tuple(greedy),
        model=model,
        scenario=scenario,
    )


def project_portfolio(
    engine: Engine,
    plan: Plan,
    scope: WhatIfScope | None = None,
    *,
    greedy_steps: int = 0,
    identity: Identity | None = None,
    model: ReadinessModel | None = None,
    frame: pd.DataFrame | None = None,
) -> WhatIfResult:
    """Project ``plan`` on each pilot's latest snapshot in force in the store (``frame``: that frame, when the
    caller holds it already). Refused unless ``identity`` (default: the ambient one) may ``read``;
    :class:`InvalidInput` for an empty store or an unknown unit or pilot."""
    require(identity or ambient_identity(), "read")
    model = model or load_model()
    frame = frame if frame is not None else latest_assessment_frame(engine, model)
    if frame.empty:
        raise InvalidInput([Issue("error", "", "the store holds no assessment to project (try `readiness demo`)")])
    return project_frame(frame, plan, scope, greedy_steps=greedy_steps, model=model)


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------


def scenario_name(text: str) -> str:
    """A scenario's name as typed, checked and normalised like a pilot's name (one line, at most 200)."""
    name = normalise_name(text or "")
    if not name:
        raise InvalidInput([Issue("error", "name", "name the scenario")])
    problem = text_problem(name)
    if problem:
        raise InvalidInput([Issue("error", "name", f"the name {problem}")])
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput([Issue("error", "name", f"longer than {MAX_NAME_LENGTH} characters")])
    return name


def _check_save(engine: Engine, identity: Identity, names: list[str]) -> None:
    """Refuse unless ``identity`` may ``assess`` every pilot in the scenario's scope (the registry's team and
    business unit decide, as for an assessment)."""
    if unrestricted(identity, "assess"):
        return
    require(identity, "assess")
    registered = pilot_scopes(engine, names)
    issues = []
    for name in names:
        unit, team = registered.get(name, (None, None))
        pilot = PilotScope(name, business_unit=unit, owning_team=team)
        if not permits(identity, "assess", pilot):
            issues.append(refusal_issue(identity, "assess", pilot))
    if issues:
        raise NotPermitted(issues)


def save_scenario(
    engine: Engine,
    name: str,
    plan: Plan,
    scope: WhatIfScope | None = None,
    *,
    identity: Identity | None = None,
    actor: str | None = None,
    model: ReadinessModel | None = None,
) -> ScenarioRecord:
    """Save ``plan`` over ``scope`` as the scenario ``name``: a new version when the name exists (matched as
    pilot names are), version 1 otherwise. Never changes a snapshot; audited as ``scenario.save``.

    Refused unless ``identity`` may ``assess`` the pilots in scope; :class:`InvalidInput` for a bad name, an
    empty plan, or an unknown unit or pilot. ``actor``: who the audit log names in local mode (default: the
    identity's label).
    """
    identity = identity or ambient_identity()
    model = model or load_model()
    clean = scenario_name(name)
    if plan.is_empty:
        raise InvalidInput([Issue("error", "plan", "the plan fixes nothing: choose questions, metrics or gaps")])
    scope = scope or WhatIfScope()
    latest = one_row_per_pilot(latest_assessment_frame(engine, model))
    names: list[str] = []
    if not latest.empty:
        _, names, scope = resolve_scope(latest, scope)
    _check_save(engine, identity, names)
    who = (actor if identity.source == "local" and actor else None) or identity.label
    return store_scenario(
        engine,
        clean,
        scope.to_json(),
        plan.model_dump(mode="json"),
        model.version,
        actor=who,
        written_by=written_by(identity),
    )


def list_scenarios(engine: Engine, identity: Identity | None = None) -> list[ScenarioRecord]:
    """The latest version of every saved scenario, by name; needs ``read``."""
    require(identity or ambient_identity(), "read")
    return latest_scenarios(engine)


def load_scenario(
    engine: Engine, name: str, identity: Identity | None = None, model: ReadinessModel | None = None
) -> tuple[ScenarioRecord, Plan, WhatIfScope]:
    """The latest version of the scenario ``name``, with its plan checked against the current model and its
    scope; needs ``read``. :class:`InvalidInput` for an unknown name, or a plan naming an item the model no
    longer has."""
    require(identity or ambient_identity(), "read")
    record = get_scenario(engine, name)
    if record is None:
        saved = [r.name for r in latest_scenarios(engine)]
        hint = ", ".join(repr(n) for n in saved[:5]) + (", ..." if len(saved) > 5 else "")
        raise InvalidInput([Issue("error", "scenario", f"no scenario named {name!r} (saved: {hint or 'none'})")])
    source = f"scenario {record.name!r}"
    plan = parse_plan(record.plan, model, source)
    try:
        scope = WhatIfScope.from_json(record.scope)
    except InvalidInput as problem:
        raise InvalidInput(problem.issues, source) from None
    return record, plan, scope


def run_scenario(
    engine: Engine,
    name: str,
    *,
    greedy_steps: int = 0,
    identity: Identity | None = None,
    model: ReadinessModel | None = None,
    frame: pd.DataFrame | None = None,
) -> WhatIfResult:
    """Project the saved scenario ``name`` on the portfolio as it stands now."""
    identity = identity or ambient_identity()
    model = model or load_model()
    record, plan, scope = load_scenario(engine, name, identity, model)
    result = project_portfolio(engine, plan, scope, greedy_steps=greedy_steps, identity=identity, model=model,
                               frame=frame)  # fmt: skip
    return replace(result, scenario=record)
