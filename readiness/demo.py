"""A deterministic demo portfolio that tells the stories the source article describes.

Fifteen pilots in five business units, six to twelve monthly snapshots each. Each pilot has a
*trajectory*: for every month, how mature each of the six gaps is (0 = the seed's pilot-stage symptom,
1 = the seed's fix in place). Answers and metrics are drawn from that maturity with a random
generator seeded by the pilot's name, so the portfolio is the same on every machine and every run,
and every number in it is produced by the real scoring model, not written by hand.

The stories: one pilot ready for production; two stalled longer than eight months; one caught in the
data → trust chain; one in ownership → scale → trust; one improving steadily; one regressing after
its owner left.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Engine

from readiness.assessment import Assessment, PilotContext, Stage
from readiness.curves import green_value
from readiness.model import GAP_IDS, BandCurve, BoolCurve, LinearCurve, Metric, RatioCurve, ReadinessModel, load_model

DEMO_AS_OF = date(2026, 11, 1)
Maturity = dict[str, float]
Trajectory = Callable[[float], Maturity]  # progress 0..1 through the pilot's snapshots → maturity per gap


def flat(**levels: float) -> Trajectory:
    """The same maturity every month (``default`` for gaps not named)."""
    default = levels.pop("default", 0.7)
    return lambda _t: {g: levels.get(g, default) for g in GAP_IDS}


def ramp(start: Maturity, end: Maturity) -> Trajectory:
    """Maturity moving linearly from ``start`` to ``end`` over the snapshots."""
    return lambda t: {g: start[g] + (end[g] - start[g]) * t for g in GAP_IDS}


def owner_left(before: float, cliff: float) -> Trajectory:
    """Healthy until the owner leaves at ``cliff``; ownership collapses, monitoring decays after it."""

    def maturity(t: float) -> Maturity:
        levels = dict.fromkeys(GAP_IDS, before)
        if t >= cliff:
            decay = (t - cliff) / (1 - cliff)
            levels["ownership"] = 0.2
            levels["monitoring"] = before - 0.6 * decay
            levels["scale"] = before - 0.35 * decay
        return levels

    return maturity


@dataclass(frozen=True)
class DemoPilot:
    """A demo pilot: its context, how many monthly snapshots, and its maturity trajectory."""

    name: str
    business_unit: str
    owning_team: str
    sponsor: str
    stage: Stage
    start: date
    snapshots: int
    trajectory: Trajectory
    annual_value: float
    monthly_cost: float
    peak_users: int
    metrics_reported: float = 1.0  # share of metrics the team measures
    deeper_answered: bool = True
    last_as_of: date = DEMO_AS_OF
    notes: dict[str, str] = field(default_factory=dict)


PILOTS: tuple[DemoPilot, ...] = (
    DemoPilot("Invoice matching", "Finance", "Finance Automation", "CFO", "scaling", date(2025, 12, 1), 11,
              ramp(dict.fromkeys(GAP_IDS, 0.75), dict.fromkeys(GAP_IDS, 1.0)), 2_400_000, 38_000, 400),
    DemoPilot("Fraud alerts", "Finance", "Risk Analytics", "CRO", "scaling", date(2026, 1, 1), 11,
              ramp(dict.fromkeys(GAP_IDS, 0.25), dict.fromkeys(GAP_IDS, 0.88)), 5_100_000, 52_000, 150),
    DemoPilot("Cash-flow forecasting", "Finance", "Treasury Data", "CFO", "pilot", date(2026, 5, 1), 7,
              flat(default=0.72, monitoring=0.55, trust=0.6), 900_000, 12_000, 40),
    DemoPilot("Claims triage", "Operations", "Claims AI", "COO", "pilot", date(2026, 4, 1), 8,
              flat(default=0.75, data=0.18, trust=0.2), 3_200_000, 45_000, 600),
    DemoPilot("Maintenance prediction", "Operations", "Plant Reliability", "COO", "production", date(2025, 11, 1),
              12, ramp(dict.fromkeys(GAP_IDS, 0.85), dict.fromkeys(GAP_IDS, 1.0)), 1_800_000, 21_000, 120),
    DemoPilot("Shift scheduling", "Operations", "Workforce Tech", "CHRO", "paused", date(2026, 2, 1), 6,
              flat(default=0.45, ownership=0.2, trust=0.35), 600_000, 9_000, 900, metrics_reported=0.6,
              last_as_of=date(2026, 7, 1)),
    # Strong in every gap but data quality: the pilot a data-quality programme for Operations would carry to
    # production (the what-if planner's example).
    DemoPilot("Parts demand sensing", "Operations", "Plant Reliability", "COO", "pilot", date(2026, 3, 1), 9,
              flat(default=0.82, data=0.3), 1_500_000, 14_000, 80),
    DemoPilot("Customer service copilot", "Customer Service", "CX Innovation Lab", "CCO", "pilot", date(2026, 4, 1),
              8, flat(default=0.72, ownership=0.12, scale=0.2, trust=0.26), 4_500_000, 60_000, 1_500),
    DemoPilot("Agent knowledge search", "Customer Service", "CX Platform", "CCO", "scaling", date(2026, 1, 1), 8,
              flat(default=0.8, trust=0.55, governance=0.68), 1_100_000, 15_000, 800),
    DemoPilot("Email intent routing", "Customer Service", "CX Platform", "CCO", "pilot", date(2026, 4, 1), 8,
              ramp(dict.fromkeys(GAP_IDS, 0.5), dict.fromkeys(GAP_IDS, 0.76)), 700_000, 6_000, 300),
    DemoPilot("Demand forecasting", "Supply Chain", "Planning Analytics", "CSCO", "pilot", date(2025, 11, 1), 12,
              flat(default=0.6, governance=0.45, ownership=0.5), 2_700_000, 30_000, 90),
    DemoPilot("Route optimisation", "Supply Chain", "Logistics AI", "CSCO", "scaling", date(2025, 12, 1), 12,
              owner_left(0.9, 0.5), 3_600_000, 41_000, 250),
    DemoPilot("Supplier risk scoring", "Supply Chain", "Procurement Data", "CPO", "pilot", date(2026, 6, 1), 6,
              flat(default=0.45, data=0.35, monitoring=0.4), 800_000, 8_000, 60, metrics_reported=0.7),
    DemoPilot("Contract clause extraction", "Legal & Compliance", "Legal Ops", "General Counsel", "pilot",
              date(2025, 12, 1), 12, flat(default=0.62, governance=0.42, trust=0.5), 1_300_000, 17_000, 120),
    DemoPilot("KYC document checks", "Legal & Compliance", "Compliance Engineering", "CCO Compliance", "pilot",
              date(2026, 4, 1), 8, flat(default=0.75, governance=0.92, scale=0.3), 2_000_000, 26_000, 700),
    DemoPilot("Policy Q&A assistant", "Legal & Compliance", "Legal Ops", "General Counsel", "pilot",
              date(2026, 6, 1), 6, ramp(dict.fromkeys(GAP_IDS, 0.4), dict.fromkeys(GAP_IDS, 0.6)), 400_000, 4_000, 200,
              metrics_reported=0.0, deeper_answered=False),
)  # fmt: skip

EVIDENCE_SOURCES = (
    "report",
    "runbook",
    "dashboard",
    "review minutes",
    "test results",
)
METRIC_SOURCES = ("from the monitoring dashboard", "from the quarterly report", "from the test report")


def _month(day: date, back: int) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def _answer(rng: random.Random, maturity: float, threshold: float) -> str:
    """Yes when the gap is mature enough for this item; not sure near the threshold; no below it."""
    noisy = maturity + rng.gauss(0, 0.05)
    if noisy >= threshold:
        return "yes"
    return "not_sure" if noisy >= threshold - 0.12 else "no"


def _metric_value(metric: Metric, rng: random.Random, maturity: float, model: ReadinessModel) -> bool | float:
    """A believable measurement for a gap of this maturity."""
    level = min(1.0, max(0.0, maturity + rng.gauss(0, 0.06)))
    curve = metric.curve
    match curve:
        case BoolCurve():
            return level >= 0.5
        case BandCurve():
            # Immature pilots sit outside the band: blind trust (no overrides) or no trust (many).
            if level >= 0.6:
                return round(rng.uniform(curve.green_low, curve.green_high), 1)
            return round(rng.uniform(0, curve.green_low) if level < 0.3 else rng.uniform(30, 55), 1)
        case RatioCurve():
            budget = 3.0
            ratio = curve.red + (curve.green - curve.red) * level
            return round(budget * max(ratio, 0.5) * rng.uniform(0.85, 1.0), 2)
        case LinearCurve():
            value = curve.red + (curve.green - curve.red) * level
            low, high = metric.bounds
            value = max(low if low is not None else value, min(high if high is not None else value, value))
            return round(value) if metric.kind == "count" else round(value, 1)
    return green_value(curve) if curve else 3.0


def _thresholds(pilot: DemoPilot, model: ReadinessModel) -> dict[str, float]:
    """Per item, the maturity at which this pilot's team would answer yes (fixed over time)."""
    rng = random.Random(zlib.crc32(f"thresholds:{pilot.name}".encode()))
    return {q.id: rng.uniform(0.35, 0.8) for q in model.questions}


def pilot_assessments(pilot: DemoPilot, model: ReadinessModel | None = None) -> list[Assessment]:
    """The monthly snapshots of one demo pilot, oldest first."""
    model = model or load_model()
    thresholds = _thresholds(pilot, model)
    reported_rng = random.Random(zlib.crc32(f"reported:{pilot.name}".encode()))
    reported = {m.id for m in model.metrics if reported_rng.random() < pilot.metrics_reported}
    if "scale.p95_latency_s" in reported:
        reported.add("scale.latency_budget_s")
    context = PilotContext(
        name=pilot.name, business_unit=pilot.business_unit, owning_team=pilot.owning_team,
        executive_sponsor=pilot.sponsor, stage=pilot.stage, start_date=pilot.start,
        expected_annual_value=pilot.annual_value, monthly_run_cost=pilot.monthly_cost,
        peak_concurrent_users=pilot.peak_users,
    )  # fmt: skip
    snapshots = []
    for n in range(pilot.snapshots):
        as_of = _month(pilot.last_as_of, pilot.snapshots - 1 - n)
        progress = n / max(1, pilot.snapshots - 1)
        maturity = pilot.trajectory(progress)
        rng = random.Random(zlib.crc32(f"{pilot.name}:{as_of}".encode()))
        answers, evidence, metrics = {}, {}, {}
        for question in model.questions:
            if not question.core and not pilot.deeper_answered:
                continue
            answer = _answer(rng, maturity[question.gap], thresholds[question.id])
            answers[question.id] = answer
            if answer == "yes" and rng.random() < maturity[question.gap]:
                source = EVIDENCE_SOURCES[zlib.crc32(question.id.encode()) % len(EVIDENCE_SOURCES)]
                evidence[question.id] = f"{question.gap.capitalize()} {source}, {as_of:%b %Y}"
        # A separate stream, so that adding metric references left every answer and value as it was.
        references = random.Random(zlib.crc32(f"metric-evidence:{pilot.name}:{as_of}".encode()))
        for metric in model.metrics:
            if metric.id not in reported:
                continue
            if metric.curve is None:
                metrics[metric.id] = 3.0
            else:
                metrics[metric.id] = _metric_value(metric, rng, maturity[metric.gap], model)
            if references.random() < 0.3 + 0.7 * maturity[metric.gap]:
                source = METRIC_SOURCES[zlib.crc32(metric.id.encode()) % len(METRIC_SOURCES)]
                evidence[metric.id] = f"{metric.short} {source}, {as_of:%b %Y}"
        stage: Stage = pilot.stage
        snapshots.append(
            Assessment(
                pilot=context.model_copy(update={"stage": stage}), as_of=as_of,
                submitted_by=f"{pilot.owning_team.lower().replace(' ', '.')}@example.com",
                answers=answers, evidence=evidence, metrics=metrics,
            )
        )  # fmt: skip
    return snapshots


def demo_assessments(model: ReadinessModel | None = None) -> list[Assessment]:
    """Every snapshot of the demo portfolio, pilot by pilot, oldest first."""
    model = model or load_model()
    return [a for pilot in PILOTS for a in pilot_assessments(pilot, model)]


BUSINESS_UNITS = ("Finance", "Operations", "Customer Service", "Supply Chain", "Legal & Compliance")
STAGES_BY_WEIGHT = ("pilot", "pilot", "pilot", "scaling", "production", "paused")


def synthetic_pilots(n_pilots: int, n_snapshots: int, seed: int = 7) -> list[DemoPilot]:
    """``n_pilots`` pilots with random but plausible trajectories, for load tests and benchmarks."""
    rng = random.Random(seed)
    pilots = []
    for number in range(n_pilots):
        start_levels = {g: rng.uniform(0.1, 0.8) for g in GAP_IDS}
        end_levels = {g: min(1.0, max(0.0, level + rng.uniform(-0.2, 0.5))) for g, level in start_levels.items()}
        start = _month(DEMO_AS_OF, n_snapshots - 1 + rng.randint(0, 6))
        pilots.append(
            DemoPilot(
                name=f"Pilot {number + 1:04d}", business_unit=rng.choice(BUSINESS_UNITS),
                owning_team=f"Team {rng.randint(1, 60):02d}", sponsor=rng.choice(("CFO", "COO", "CIO", "CDO")),
                stage=rng.choice(STAGES_BY_WEIGHT), start=start, snapshots=n_snapshots,
                trajectory=ramp(start_levels, end_levels), annual_value=round(rng.uniform(0.2, 6) * 1e6, -4),
                monthly_cost=round(rng.uniform(2, 80) * 1e3, -2), peak_users=rng.randint(10, 2000),
                metrics_reported=rng.choice((0.0, 0.5, 0.8, 1.0)), deeper_answered=rng.random() < 0.7,
            )
        )  # fmt: skip
    return pilots


def synthetic_assessments(n_pilots: int = 1000, n_snapshots: int = 24, seed: int = 7) -> list[Assessment]:
    """A large deterministic portfolio (1,000 pilots × 24 monthly snapshots by default)."""
    model = load_model()
    return [a for pilot in synthetic_pilots(n_pilots, n_snapshots, seed) for a in pilot_assessments(pilot, model)]


@dataclass(frozen=True)
class DemoLoad:
    """What loading the demo did: snapshots written, already present, and pilots."""

    created: int
    already_present: int
    pilots: int


def load_demo(engine: Engine, actor: str, source: str) -> DemoLoad:
    """Store the demo portfolio (the app's "Load the demo" and ``readiness demo`` both call this)."""
    from readiness.store import add_assessments

    assessments = demo_assessments()
    results = add_assessments(engine, assessments, source=source, actor=actor)
    created = sum(r.created for r in results)
    return DemoLoad(created, len(results) - created, len({a.pilot.name for a in assessments}))
