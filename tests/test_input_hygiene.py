"""Input hygiene: invisible and control characters, one pilot per name whatever its spelling, look-alike
names, assessment dates, and JSON that tries to break the parser; one bad file never blocks the others."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import unicodedata
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from readiness.assessment import (
    STORED,
    PilotContext,
    check_against_model,
    match_name,
    name_key,
    normalise_name,
    parse_assessment,
    text_problem,
)
from readiness.cli.main import cli
from readiness.errors import InvalidInput
from readiness.model import load_model
from readiness.service.access import Grant, Identity, NotPermitted, Role, Scope
from readiness.service.intake import (
    MAX_JSON_DEPTH,
    import_report,
    import_reports,
    json_depth,
    validate_file,
)
from readiness.service.portfolio import check_pilots
from readiness.store import add_assessment, add_assessments, count_rows, get_pilot, list_pilots, pilot_history
from readiness.store.grants import pilot_scopes
from tests.factories import assessment_data, build

READINESS = shutil.which("readiness", path=str(Path(sys.executable).parent)) or "readiness"
APP = Path(__file__).resolve().parents[1] / "app.py"
MODEL = load_model()

RLO = "\u202e"
ZERO_WIDTH_SPACE = "\u200b"
DEEP = "[" * 100_000 + "]" * 100_000
LONG_NUMBER = '{"pilot": {"name": "Claims triage"}, "as_of": "2026-11-01", "metrics": {"x": ' + "9" * 5000 + "}}"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The console script, as a user runs it."""
    return subprocess.run([READINESS, *args], capture_output=True, text=True, timeout=120, check=False)


def invoke(*args: str) -> Result:
    """A command in this process (quicker than the console script)."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def refusal(data: dict[str, Any]) -> InvalidInput:
    with pytest.raises(InvalidInput) as problem:
        parse_assessment(data, "a.json")
    return problem.value


def locations(problem: InvalidInput) -> list[str]:
    return [i.location for i in problem.issues]


def write_json(path: Path, data: Any) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


# --------------------------------------------------------------------------------------------
# Control, bidirectional-control and zero-width characters
# --------------------------------------------------------------------------------------------


def test_a_unit_separator_in_the_business_unit_is_refused_naming_the_field() -> None:
    problem = refusal(assessment_data(business_unit="Opera\x1ftions"))
    assert locations(problem) == ["pilot.business_unit"]
    assert "control character (U+001F)" in problem.issues[0].message
    # Even where whitespace stripping would have hidden it.
    assert locations(refusal(assessment_data(business_unit="Operations\x1f"))) == ["pilot.business_unit"]


def test_a_unit_separator_in_the_business_unit_exits_2_naming_the_field(tmp_path: Path) -> None:
    path = write_json(tmp_path / "unit.json", assessment_data(business_unit="Opera\x1ftions"))
    result = run("score", str(path))
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: unit.json: pilot.business_unit: contains a control character (U+001F)")
    assert "Traceback" not in result.stderr


def test_a_control_character_in_a_name_is_refused() -> None:
    problem = refusal(assessment_data(name="Claims\x01triage"))
    assert locations(problem) == ["pilot.name"]
    assert "U+0001" in problem.issues[0].message


@pytest.mark.parametrize("char", [RLO, ZERO_WIDTH_SPACE, "\u2066", "\u061c", "\ufeff", "\u200d", "\x7f", "\x85"])
@pytest.mark.parametrize(
    ("field", "where"),
    [
        ("name", "pilot.name"),
        ("owning_team", "pilot.owning_team"),
        ("executive_sponsor", "pilot.executive_sponsor"),
        ("submitted_by", "submitted_by"),
    ],
)
def test_bidi_controls_and_zero_width_characters_are_refused(char: str, field: str, where: str) -> None:
    data = assessment_data()
    part = data if field == "submitted_by" else data["pilot"]
    part[field] = f"abc{char}def"
    problem = refusal(data)
    assert locations(problem) == [where]
    assert f"U+{ord(char):04X}" in problem.issues[0].message


def test_evidence_notes_keep_line_breaks_and_tabs_but_nothing_else_invisible() -> None:
    data = assessment_data()
    data["evidence"]["DATA-1"] = "eval report Q3\r\n- 2M records\n\tsee page 4"
    assert parse_assessment(data).evidence["DATA-1"].endswith("see page 4")
    for bad in (RLO, ZERO_WIDTH_SPACE, "\x1b", "\r", "\x0b"):
        data["evidence"]["DATA-1"] = f"eval report{bad} Q3"
        assert locations(refusal(data)) == ["evidence.DATA-1"], repr(bad)


def test_text_read_back_from_the_store_is_kept_as_stored() -> None:
    """Rows written before these rules must still be readable: the store validates with STORED."""
    context = PilotContext.model_validate({"name": "Old\x01 name", "business_unit": f"x{RLO}"}, context=STORED)
    assert (context.name, context.business_unit) == ("Old\x01 name", f"x{RLO}")


# --------------------------------------------------------------------------------------------
# One pilot per name, whatever its spelling
# --------------------------------------------------------------------------------------------

SPELLINGS = ["Claims triage", "claims  triage", "Claims\u00a0triage", " CLAIMS TRIAGE ", "Ｃｌａｉｍｓ triage"]


def test_names_are_normalised() -> None:
    assert build(name=" Claims\u00a0\u00a0triage\u2003").pilot.name == "Claims triage"
    assert build(name="Cafe\u0301 bot").pilot.name == "Café bot"  # NFD in, NFC out
    assert build(name="Ｃｌａｉｍｓ").pilot.name == "Claims"  # full-width (NFKC)
    assert len({name_key(s) for s in SPELLINGS}) == 1
    assert name_key("Cafe\u0301") == name_key("Café") == name_key("CAFÉ")


def test_spellings_of_one_name_are_one_pilot_under_its_first_name(engine: Engine) -> None:
    add_assessment(engine, build(name="Claims triage").model_copy(update={"as_of": date(2026, 10, 1)}))
    for day, spelling in enumerate(SPELLINGS[1:], start=2):
        result = add_assessment(engine, build(name=spelling).model_copy(update={"as_of": date(2026, 10, day)}))
        assert result.created
    assert [p.context.name for p in list_pilots(engine)] == ["Claims triage"]
    history = pilot_history(engine, "CLAIMS   triage")
    assert len(history) == len(SPELLINGS)
    assert {s.assessment.pilot.name for s in history} == {"Claims triage"}
    record = get_pilot(engine, "claims\u00a0triage")
    assert record is not None and record.context.name == "Claims triage"
    assert pilot_scopes(engine, ["claims  TRIAGE"]) == {"claims  TRIAGE": ("Operations", "Claims AI")}
    # The same content under another spelling is the same snapshot: a re-import stays a no-op.
    again = add_assessment(engine, build(name="claims triage").model_copy(update={"as_of": date(2026, 10, 1)}))
    assert not again.created


def test_nfd_and_nfc_spellings_in_one_batch_are_one_pilot(engine: Engine) -> None:
    nfd, nfc = "Cafe\u0301 orders", "Café orders"
    assert nfd != nfc
    batch = [
        build(name=nfd).model_copy(update={"as_of": date(2026, 9, 1)}),
        build(name=nfc).model_copy(update={"as_of": date(2026, 10, 1)}),
        build(name="CAFÉ ORDERS").model_copy(update={"as_of": date(2026, 11, 1)}),
    ]
    add_assessments(engine, batch)
    assert [p.context.name for p in list_pilots(engine)] == [nfc]
    assert len(pilot_history(engine, nfd)) == 3


def test_import_of_another_spelling_attaches_to_the_registered_pilot(sqlite_engine: Engine, tmp_path: Path) -> None:
    url = url_of(sqlite_engine)
    first = write_json(tmp_path / "first.json", assessment_data(name="Claims triage"))
    second = write_json(tmp_path / "second.json", {**assessment_data(name="claims  triage"), "as_of": "2026-11-02"})
    result = invoke("import", str(first), str(second), "--db", url)
    assert result.exit_code == 0, result.output
    assert [p.context.name for p in list_pilots(sqlite_engine)] == ["Claims triage"]
    assert len(pilot_history(sqlite_engine, "Claims triage")) == 2
    # --pilot finds it under any spelling.
    out = tmp_path / "prefilled.xlsx"
    done = invoke("template", str(out), "--pilot", "CLAIMS\u00a0TRIAGE", "--db", url)
    assert done.exit_code == 0, done.output
    assert "prefilled with 'Claims triage'" in done.output


def test_another_spelling_cannot_reach_another_teams_pilot(sqlite_engine: Engine) -> None:
    """The access check sees the pilot the write attaches to: a contributor of another team cannot add a
    snapshot to ``Claims triage`` by spelling it ``claims  triage`` and claiming their own team."""
    add_assessment(sqlite_engine, build(name="Claims triage"))
    intruder = Identity("u9", "eve@example.com", grants=(Grant(Role.CONTRIBUTOR, Scope("team", "Fraud AI")),))
    data = assessment_data(name="claims  triage", owning_team="Fraud AI")
    report = validate_file("sneaky.json", json.dumps({**data, "as_of": "2026-11-02"}).encode())
    assert report.ok
    with pytest.raises(NotPermitted, match="Claims triage"):
        import_report(sqlite_engine, report, interface="cli", identity=intruder)
    assert count_rows(sqlite_engine)["snapshot"] == 1


def test_pilot_lists_match_any_spelling() -> None:
    assert check_pilots(["claims  TRIAGE", "Fraud alerts"], ["Claims triage", "Fraud alerts"]) == [
        "Claims triage",
        "Fraud alerts",
    ]
    assert match_name("claims\u00a0triage", ["Fraud alerts", "Claims triage"]) == "Claims triage"
    assert match_name("Claims", ["Claims triage"]) is None
    with pytest.raises(InvalidInput, match="no pilot named 'Claims'"):
        check_pilots(["Claims"], ["Claims triage"])


def test_a_link_with_another_spelling_opens_the_pilot(demo_database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READINESS_DATABASE_URL", demo_database_url)
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params["pilot"] = "claims  TRIAGE"
    at.run()
    at.switch_page("screens/pilot.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Claims triage"]
    assert not at.warning


@pytest.mark.parametrize(
    ("name", "mixed"),
    [
        ("Clаims triage", "Cyrillic"),  # a Cyrillic "а" (U+0430)
        ("Claims triаge", "Cyrillic"),
        ("Fraud αlerts", "Greek"),
    ],
)
def test_a_name_mixing_latin_with_cyrillic_or_greek_is_refused(name: str, mixed: str) -> None:
    problem = refusal(assessment_data(name=name))
    assert locations(problem) == ["pilot.name"]
    assert f"mixes Latin and {mixed} letters" in problem.issues[0].message
    assert "one script" in problem.issues[0].message


def test_a_name_in_one_script_is_accepted() -> None:
    assert build(name="Сортировка заявок 2").pilot.name == "Сортировка заявок 2"
    assert build(name="Ελέγχος τιμολογίων").pilot.name == "Ελέγχος τιμολογίων"
    assert build(name="Claims triage (v2) – EU").pilot.name == "Claims triage (v2) – EU"


# Properties of the name key.

NAMES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


@given(NAMES)
def test_name_key_is_idempotent(text: str) -> None:
    assert name_key(name_key(text)) == name_key(text)


@given(NAMES)
def test_name_key_ignores_spacing_and_unicode_form(text: str) -> None:
    key = name_key(text)
    assert name_key(f"\u00a0 {text}  ") == key
    assert name_key(text.replace(" ", " \u00a0 ")) == key
    assert name_key(unicodedata.normalize("NFD", text)) == key
    assert name_key(unicodedata.normalize("NFKC", text)) == key
    assert name_key(normalise_name(text)) == key


ACCEPTED_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs")), min_size=1, max_size=30)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=ACCEPTED_TEXT)
def test_any_accepted_name_round_trips(sqlite_engine: Engine, text: str) -> None:
    try:
        context = PilotContext(name=text)
    except ValueError:
        return  # a blank or mixed-script name: refused with a message, tested above
    assert PilotContext(name=context.name).name == context.name, "normalising a stored name changes nothing"
    assert name_key(context.name) == name_key(text)
    assessment = build(name=text)
    add_assessment(sqlite_engine, assessment)
    (found,) = {s.assessment.pilot.name for s in pilot_history(sqlite_engine, text)}
    assert name_key(found) == name_key(text)
    assert found == context.name or found in {p.context.name for p in list_pilots(sqlite_engine)}


@given(st.text(max_size=20), st.sampled_from([RLO, ZERO_WIDTH_SPACE, "\x00", "\x1f", "\u2069", "\ufeff"]), st.data())
def test_a_forbidden_character_anywhere_is_found(text: str, char: str, data: st.DataObject) -> None:
    at = data.draw(st.integers(0, len(text)))
    assert text_problem(text[:at] + char + text[at:]) is not None
    assert text_problem(text[:at] + char + text[at:], multiline=True) is not None


# --------------------------------------------------------------------------------------------
# Assessment dates
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "fragment"),
    [
        ("9999-12-31", "is in the future"),
        ("0001-01-01", "is before 1990-01-01"),
        ((date.today() + timedelta(days=2)).isoformat(), "is in the future"),
        ("2026-02-01", "is before the pilot's start date 2026-03-01"),
    ],
)
def test_an_assessment_date_out_of_bounds_is_refused_naming_the_field(as_of: str, fragment: str) -> None:
    problem = refusal({**assessment_data(), "as_of": as_of})
    assert locations(problem) == ["as_of"]
    assert fragment in problem.issues[0].message


def test_the_bounds_of_the_assessment_date() -> None:
    today = date(2026, 6, 10)
    ok = build().model_copy(update={"as_of": date(2026, 6, 11)})
    assert not check_against_model(ok, MODEL, today=today)[1]
    late = ok.model_copy(update={"as_of": date(2026, 6, 12)})
    assert [i.location for i in check_against_model(late, MODEL, today=today)[1]] == ["as_of"]
    assert parse_assessment({**assessment_data(start_date=None), "as_of": "1990-01-01"}).as_of == date(1990, 1, 1)


def test_a_future_assessment_exits_2_naming_the_field(tmp_path: Path) -> None:
    path = write_json(tmp_path / "future.json", {**assessment_data(), "as_of": "9999-12-31"})
    result = run("score", str(path))
    assert result.returncode == 2
    assert result.stderr.startswith("error: future.json: as_of: assessment date 9999-12-31 is in the future")


def test_the_store_refuses_a_future_assessment(sqlite_engine: Engine) -> None:
    with pytest.raises(InvalidInput, match="in the future"):
        add_assessment(sqlite_engine, build().model_copy(update={"as_of": date(9999, 12, 31)}))
    assert count_rows(sqlite_engine)["snapshot"] == 0


# --------------------------------------------------------------------------------------------
# JSON that tries to break the parser
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (DEEP, f"nested more than {MAX_JSON_DEPTH} levels deep"),
        (LONG_NUMBER, "a number 5,000 characters long"),
        ('{"pilot": {"name": "A"}, "as_of": "2026-11-01", "as_of": "2026-11-02"}', "the key 'as_of' appears twice"),
        ('{"pilot": {"name": "A", "stage": "pilot", "name": "B"}, "as_of": "2026-11-01"}', "key 'name' appears twice"),
    ],
    ids=["deep", "long-number", "duplicate-key", "duplicate-nested-key"],
)
def test_hostile_json_exits_2_naming_the_file(tmp_path: Path, content: str, fragment: str) -> None:
    path = write_json(tmp_path / "hostile.json", content)
    result = run("score", str(path))
    assert result.returncode == 2, result.stderr[-500:]
    assert result.stderr.startswith("error: hostile.json: ")
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    report = validate_file("hostile.json", content.encode())
    assert not report.ok and fragment in report.errors[0].message


def test_the_depth_bound() -> None:
    def nested(depth: int) -> str:
        return '{"a": ' * (depth - 1) + "[1]" + "}" * (depth - 1)

    assert json_depth(nested(MAX_JSON_DEPTH)) == MAX_JSON_DEPTH
    assert json_depth('["[[[[", {"x": "}}]]\\"[["}]') == 2, "brackets inside strings do not count"
    assert "nested" not in str(validate_file("ok.json", nested(MAX_JSON_DEPTH).encode()).issues)
    assert "nested more than" in validate_file("deep.json", nested(MAX_JSON_DEPTH + 1).encode()).errors[0].message
    assert "characters long" not in str(validate_file("n.json", ("[" + "9" * 100 + "]").encode()).issues)


# --------------------------------------------------------------------------------------------
# One bad file never blocks the others
# --------------------------------------------------------------------------------------------


def test_a_batch_imports_the_valid_file_beside_hostile_ones(sqlite_engine: Engine, tmp_path: Path) -> None:
    deep = write_json(tmp_path / "deep.json", DEEP)
    long = write_json(tmp_path / "long.json", LONG_NUMBER)
    good = write_json(tmp_path / "good.json", assessment_data(name="Fraud alerts", start_date="2026-01-01"))
    result = invoke("import", str(deep), str(good), str(long), "--db", url_of(sqlite_engine))
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"rejected: {deep}: arrays and objects nested more than {MAX_JSON_DEPTH} levels deep")
    assert lines[1] == f"imported: {good} (1 snapshot, 1 pilot)"
    assert lines[2].startswith(f"rejected: {long}: a number 5,000 characters long")
    assert [p.context.name for p in list_pilots(sqlite_engine)] == ["Fraud alerts"]
    assert count_rows(sqlite_engine)["snapshot"] == 1


def test_the_upload_service_reports_the_hostile_file_and_imports_the_other(sqlite_engine: Engine) -> None:
    reports = [
        validate_file("deep.json", DEEP.encode()),
        validate_file("good.json", json.dumps(assessment_data(name="claims  triage")).encode()),
    ]
    assert [r.ok for r in reports] == [False, True]
    outcomes, failures = import_reports(sqlite_engine, reports, interface="app", actor="tester")
    assert [(o.name, o.created, o.pilot_names) for o in outcomes] == [("good.json", 1, ("claims triage",))]
    assert failures == []
    assert count_rows(sqlite_engine)["snapshot"] == 1


def test_the_upload_page_reports_the_hostile_file_and_imports_the_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'upload.db'}"
    monkeypatch.setenv("READINESS_DATABASE_URL", url)
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.switch_page("screens/upload.py").run()
    files = [
        ("deep.json", DEEP.encode(), "application/json"),
        ("good.json", json.dumps(assessment_data(name="Upload pilot")).encode(), "application/json"),
    ]
    at.file_uploader(key="upload.files").set_value(files).run()
    assert not at.exception, [e.value for e in at.exception]
    issues = next(d.value for d in at.dataframe if "message" in d.value.columns)
    assert "nested more than" in issues["message"][0]
    confirm = at.button(key="upload.confirm")
    assert confirm.label == "Import 1 valid file (1 assessment)"
    confirm.click().run()
    assert not at.exception, [e.value for e in at.exception]
    from readiness.store import make_engine

    engine = make_engine(url)
    try:
        assert [p.context.name for p in list_pilots(engine)] == ["Upload pilot"]
    finally:
        engine.dispose()
