"""The path to the next verdict: its note says what the listed fixes do, or exactly what stops them.

Examples of each case; tests/test_properties.py holds the same rules for every generated assessment.
"""

from __future__ import annotations

from datetime import date

from readiness import display
from readiness.assessment import Assessment, PilotContext
from readiness.scoring import score_assessment
from tests.factories import build


def test_fixes_that_stop_short_say_what_they_raise_and_what_remains() -> None:
    # Seen in the app: two open answers, no metric reported. Fixing both cannot give the missing evidence.
    result = score_assessment(build(answers={"SCALE-2": "no", "GOV-3": "not_sure"}, metrics={}))
    fixed = score_assessment(build(metrics={}))  # both answered yes, self-reported, as the fixes assume
    path = result.path_to_next_verdict
    assert (result.verdict, path.target_verdict, path.reached) == ("conditional", "ready", False)
    assert path.items == ["SCALE-2", "GOV-3"]
    confidence = display.confidence_text(fixed.overall_confidence)
    assert path.remaining == [f"confidence stays at {confidence}, below the 60% that ready needs"]
    before, after = display.score_text(result.overall), display.score_text(fixed.overall)
    assert path.note.startswith(f"Fixing 2 items raises overall readiness from {before} to {after}, but confidence")
    assert "No answer or metric left" not in path.note


def test_nothing_left_to_fix_names_the_condition_with_its_number() -> None:
    result = score_assessment(build(metrics={}))
    path = result.path_to_next_verdict
    assert (path.items, path.reached) == ([], False)
    assert path.note.startswith(
        f"No answer or metric left to fix: confidence is at {display.confidence_text(result.overall_confidence)}, "
        "below the 60% that ready needs."
    )


def test_a_rule_no_fix_can_meet_is_named_with_its_numbers() -> None:
    # N/A on core questions is refused at validation; built directly, no fix can answer them.
    answers = {"DATA-1": "n_a", "DATA-2": "n_a", "MON-1": "n_a"}
    assessment = Assessment(pilot=PilotContext(name="Odd"), as_of=date(2026, 11, 1), answers=answers)
    path = score_assessment(assessment).path_to_next_verdict
    assert not path.reached and path.items
    assert path.note.startswith(f"Fixing {len(path.items)} items does not reach Conditional: ")
    assert "3 core questions not answered yes, more than the 2 allowed (DATA-1, DATA-2, MON-1)" in path.note
    assert "Data quality stays at 0, below the 40 that conditional needs" in path.note


def test_fixes_that_reach_the_next_verdict_say_so() -> None:
    path = score_assessment(build(answers={"DATA-1": "no", "SCALE-1": "no", "GOV-1": "no"})).path_to_next_verdict
    assert path.reached and path.target_verdict == "conditional" and not path.remaining
    assert path.note == f"Fixing {len(path.items)} item{'s' * (len(path.items) != 1)} moves the verdict to Conditional."
