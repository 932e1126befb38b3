"""Bounded work: caps on what one file, one upload and the store may hold (readiness.limits), parsing in bounded
memory, summaries (not reports) in the session, and large portfolios that stay usable (search, top N)."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from readiness.assessment import Assessment
from readiness.boardpack.data import pack_from_assessments
from readiness.boardpack.deck import HEATMAP_ROWS_PER_SLIDE, slide_plan
from readiness.boardpack.figures import portfolio_figures
from readiness.cli.main import cli
from readiness.demo import synthetic_assessments
from readiness.excel.export import portfolio_workbook_bytes
from readiness.limits import Limits
from readiness.model import load_model
from readiness.service import intake
from readiness.service.intake import import_uploads, validate_file
from readiness.service.portfolio import MAX_SHOWN, SEARCH_ABOVE, search_names, search_portfolio
from readiness.store import add_assessments, count_rows, make_engine, migrate
from readiness.store.repository import list_pilots
from tests.input_files import sample_assessment

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TIMEOUT = 120
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CAPS = (
    "READINESS_MAX_FILE_MB",
    "READINESS_MAX_ASSESSMENTS_PER_FILE",
    "READINESS_MAX_FILES",
    "READINESS_MAX_NEW_PILOTS",
    "READINESS_MAX_PILOTS",
)


@pytest.fixture(autouse=True)
def default_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every cap at its default unless a test sets it."""
    for variable in CAPS:
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Engine]]:
    url = f"sqlite:///{tmp_path / 'bounded.db'}"
    monkeypatch.setenv("READINESS_DATABASE_URL", url)
    engine = make_engine(url)
    migrate(engine)
    yield url, engine
    engine.dispose()


def pilots(prefix: str, count: int, as_of: date = date(2026, 10, 1)) -> list[Assessment]:
    return [sample_assessment(f"{prefix} {k + 1}", as_of) for k in range(count)]


def json_file(assessments: list[Assessment]) -> bytes:
    return json.dumps([a.model_dump(mode="json") for a in assessments]).encode()


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def refuse(*_: Any, **__: Any) -> Any:
    raise AssertionError("the file was parsed although it is over the cap")


# --------------------------------------------------------------------------------------------
# Caps on one file, refused before parsing
# --------------------------------------------------------------------------------------------


def test_the_caps_are_read_from_the_environment_in_one_place() -> None:
    assert Limits.from_env({}) == Limits()
    assert Limits() == Limits(20 * 2**20, 2_000, 20, 500, 10_000)
    read = Limits.from_env({"READINESS_MAX_FILE_MB": "5", "READINESS_MAX_PILOTS": "20_000"})
    assert (read.max_file_bytes, read.max_pilots) == (5 * 2**20, 20_000)
    with pytest.raises(intake.InvalidInput, match="READINESS_MAX_FILES='many' is not a whole number"):
        Limits.from_env({"READINESS_MAX_FILES": "many"})


def test_a_json_with_more_assessments_than_the_cap_is_refused_before_parsing_and_writes_nothing(
    store: tuple[str, Engine], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, engine = store
    monkeypatch.setenv("READINESS_MAX_ASSESSMENTS_PER_FILE", "3")
    data = json_file(pilots("Capped", 4))
    monkeypatch.setattr(intake.json, "loads", refuse)  # refused on the text: never parsed, no model built
    monkeypatch.setattr(intake, "parse_assessment", refuse)
    report = validate_file("four.json", data)
    [message] = [issue.message for issue in report.errors]
    assert message.startswith("the file holds 4 assessments, more than the 3 assessments one file may hold")
    assert "READINESS_MAX_ASSESSMENTS_PER_FILE" in message
    (tmp_path / "four.json").write_bytes(data)
    result = invoke("import", str(tmp_path / "four.json"), "--db", url)
    assert result.exit_code == 2
    assert "more than the 3 assessments one file may hold" in result.output
    assert count_rows(engine)["snapshot"] == 0 and count_rows(engine)["pilot"] == 0


def test_a_portfolio_sheet_with_more_rows_than_the_cap_is_refused_before_its_rows_are_validated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from readiness.excel import reader

    data = portfolio_workbook_bytes(pilots("Row", 4))
    monkeypatch.setenv("READINESS_MAX_ASSESSMENTS_PER_FILE", "4")
    assert validate_file("four.xlsx", data).ok
    monkeypatch.setenv("READINESS_MAX_ASSESSMENTS_PER_FILE", "3")
    monkeypatch.setattr(reader, "_draft_from_row", refuse)
    report = validate_file("four.xlsx", data)
    [error] = report.errors
    assert error.location == "Portfolio"
    assert error.message.startswith("the file holds 4 pilot rows, more than the 3 assessments one file may hold")
    assert "READINESS_MAX_ASSESSMENTS_PER_FILE" in error.message


def test_a_mapping_larger_than_any_assessment_is_one_problem_not_one_per_entry() -> None:
    record = sample_assessment().model_dump(mode="json")
    record["answers"] = {f"DATA-{k}": "yes" for k in range(100_000)}
    report = validate_file("wide.json", json.dumps(record).encode())
    questions = len(load_model().questions)
    message = f"answers has 100,000 entries, more than the {questions} questions an assessment can have"
    assert [(i.location, i.message) for i in report.errors] == [("answers", message)]


def test_a_file_over_the_size_cap_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READINESS_MAX_FILE_MB", "1")
    [message] = [i.message for i in validate_file("big.json", b" " * (2**20 + 1)).errors]
    assert message == (
        "the file is 1.1 MB, larger than the 1 MB one file may be: split it, or raise the limit with "
        "READINESS_MAX_FILE_MB"
    )


def test_a_batch_imports_the_valid_file_beside_one_over_the_cap(
    store: tuple[str, Engine], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, engine = store
    monkeypatch.setenv("READINESS_MAX_ASSESSMENTS_PER_FILE", "2")
    (tmp_path / "big.json").write_bytes(json_file(pilots("Big", 3)))
    (tmp_path / "good.json").write_bytes(json_file(pilots("Good", 2)))
    result = invoke("import", str(tmp_path / "big.json"), str(tmp_path / "good.json"), "--db", url)
    assert result.exit_code == 2
    assert "rejected:" in result.output and "READINESS_MAX_ASSESSMENTS_PER_FILE" in result.output
    assert f"imported: {tmp_path / 'good.json'} (2 snapshots, 2 pilots)" in result.output
    assert sorted(p.context.name for p in list_pilots(engine)) == ["Good 1", "Good 2"]


# --------------------------------------------------------------------------------------------
# Caps on a batch and on the store
# --------------------------------------------------------------------------------------------


def test_the_cli_refuses_more_files_than_the_cap_and_imports_none(
    store: tuple[str, Engine], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, engine = store
    monkeypatch.setenv("READINESS_MAX_FILES", "2")
    paths = []
    for k in range(3):
        paths.append(tmp_path / f"f{k}.json")
        paths[-1].write_bytes(json_file(pilots(f"File {k}", 1)))
    result = invoke("import", *map(str, paths), "--db", url)
    assert result.exit_code == 2
    assert "3 files at once, more than the 2 files one upload or import may take" in result.output
    assert "READINESS_MAX_FILES" in result.output
    assert count_rows(engine)["snapshot"] == 0
    assert invoke("import", *map(str, paths[:2]), "--db", url).exit_code == 0


def test_new_pilots_over_the_cap_are_refused_counted_over_the_batch(
    store: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, engine = store
    monkeypatch.setenv("READINESS_MAX_NEW_PILOTS", "3")
    files = [("a.json", json_file(pilots("A", 2))), ("b.json", json_file(pilots("B", 2)))]
    outcomes, failures = import_uploads(engine, files, interface="app")
    assert [o.name for o in outcomes] == ["a.json"]
    [(name, reason)] = failures
    assert name == "b.json"
    assert "the file adds 2 new pilots to the 2 the files before it added, more than the 3 new pilots" in reason
    assert "READINESS_MAX_NEW_PILOTS" in reason
    assert sorted(p.context.name for p in list_pilots(engine)) == ["A 1", "A 2"]
    # A new call is a new batch; pilots already stored are not new.
    later = pilots("A", 2, date(2026, 11, 1))
    outcomes, failures = import_uploads(engine, [("again.json", json_file([*later, *pilots("C", 3)]))],
                                        interface="app")  # fmt: skip
    assert failures == [] and outcomes[0].created == 5


def test_the_store_refuses_pilots_beyond_its_cap(store: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch) -> None:
    _, engine = store
    monkeypatch.setenv("READINESS_MAX_PILOTS", "3")
    outcomes, failures = import_uploads(engine, [("two.json", json_file(pilots("S", 2)))], interface="cli")
    assert outcomes and not failures
    outcomes, failures = import_uploads(engine, [("more.json", json_file(pilots("T", 2)))], interface="cli")
    assert not outcomes
    [(_, reason)] = failures
    assert "the file adds 2 new pilots to the 2 the store holds, more than the 3 pilots the store may hold" in reason
    assert "READINESS_MAX_PILOTS" in reason
    assert count_rows(engine)["pilot"] == 2


# --------------------------------------------------------------------------------------------
# Bounded memory: a 50,000-pilot JSON
# --------------------------------------------------------------------------------------------

PEAK_MEMORY = """
import sys
from readiness.cli.main import cli
from tests.peak_memory import own_peak_mb
try:
    code = cli.main(sys.argv[1:], prog_name="readiness", standalone_mode=False) or 0
except SystemExit as stop:
    code = stop.code
print(code, own_peak_mb())
"""


def test_a_50000_pilot_json_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    item = '{{"pilot": {{"name": "Flood {k:05d}", "stage": "pilot"}}, "as_of": "2026-10-01", "answers": {{}}}}'
    path = tmp_path / "flood.json"
    path.write_text("[" + ", ".join(item.format(k=k) for k in range(50_000)) + "]")
    assert 4 * 2**20 < path.stat().st_size < 20 * 2**20
    env = {k: v for k, v in os.environ.items() if k not in CAPS}
    for command in (["score", str(path)], ["import", str(path), "--db", f"sqlite:///{tmp_path / 'flood.db'}"]):
        done = subprocess.run([sys.executable, "-c", PEAK_MEMORY, *command], capture_output=True, text=True,
                              timeout=120, env=env, cwd=ROOT, check=False)  # fmt: skip
        code, peak_mb = done.stdout.split()[-2:]
        assert code == "2", done.stdout + done.stderr
        assert "the file holds 50,000 assessments, more than the 2,000 assessments one file may hold" in (
            done.stdout + done.stderr
        )
        assert "READINESS_MAX_ASSESSMENTS_PER_FILE" in done.stdout + done.stderr
        assert float(peak_mb) < 500, f"{command[0]}: peak memory {float(peak_mb):.0f} MB"


# --------------------------------------------------------------------------------------------
# Search and top N: pure functions
# --------------------------------------------------------------------------------------------


def test_search_finds_names_case_insensitively_best_first_and_caps_the_results() -> None:
    names = ["Fraud alerts", "Claims TRIAGE bot", "Triage", "Email triage", "Invoice matching"]
    # The name itself first, then names starting with the text, then the others, each in the order given.
    assert search_names(names, "triage") == ["Triage", "Claims TRIAGE bot", "Email triage"]
    assert search_names(names, "e") == ["Email triage", "Fraud alerts", "Claims TRIAGE bot", "Triage",
                                        "Invoice matching"]  # fmt: skip
    assert search_names(names, "  TRIAGE ") == search_names(names, "triage")
    assert search_names(names, "claims  triage") == ["Claims TRIAGE bot"]  # runs of spaces do not matter
    assert search_names(names, "nothing") == []
    assert search_names(names, "") == names and search_names(names, "", limit=2) == names[:2]
    many = [f"Pilot {k:05d}" for k in range(10_000)]
    assert len(search_names(many, "pilot")) == MAX_SHOWN
    assert search_names(many, "PILOT 0999", limit=5) == ["Pilot 09990", "Pilot 09991", "Pilot 09992",
                                                          "Pilot 09993", "Pilot 09994"]  # fmt: skip
    frame = pd.DataFrame({"pilot": names, "overall": range(5)})
    assert search_portfolio(frame, "TRIAGE")["pilot"].tolist() == ["Claims TRIAGE bot", "Triage", "Email triage"]
    assert search_portfolio(frame, "") is frame


def test_export_heatmaps_show_the_least_ready_of_a_large_portfolio() -> None:
    pack = pack_from_assessments(synthetic_assessments(2_000, 1))
    figures = portfolio_figures(pack)
    heatmap = figures["portfolio-heatmap"]
    assert len(heatmap.data[0].y) == MAX_SHOWN
    assert "Showing the 200 least ready of 2,000 pilots." in heatmap.layout.title.text
    assert sum(len(trace.x) for trace in figures["value-matrix"].data if trace.x is not None) <= MAX_SHOWN
    assert slide_plan(pack).count("heatmap") == math.ceil(MAX_SHOWN / HEATMAP_ROWS_PER_SLIDE)


# --------------------------------------------------------------------------------------------
# The pages: upload caps, summaries in the session, a large portfolio
# --------------------------------------------------------------------------------------------


def open_upload_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page("screens/upload.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_upload_page_refuses_more_files_than_the_cap(
    store: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READINESS_MAX_FILES", "2")
    at = open_upload_page()
    files = [(f"f{k}.json", json_file(pilots(f"Upload {k}", 1)), "application/json") for k in range(3)]
    at.file_uploader(key="upload.files").set_value(files).run()
    assert not at.exception
    [error] = [e.value for e in at.error]
    assert "3 files at once, more than the 2 files one upload or import may take" in error.replace("\\", "")
    assert "READINESS_MAX_FILES" in error.replace("\\", "")
    assert not [b for b in at.button if b.key == "upload.confirm"]
    assert "upload.reports" not in at.session_state


def assessments_in(value: Any, seen: set[int] | None = None) -> list[Assessment]:
    """Every Assessment reachable from a session-state value (containers, dataclasses, objects' fields)."""
    seen = set() if seen is None else seen
    if id(value) in seen or isinstance(value, str | bytes | int | float | bool | type(None) | pd.DataFrame):
        return []
    seen.add(id(value))
    if isinstance(value, Assessment):
        return [value]
    if isinstance(value, dict):
        children = [*value.keys(), *value.values()]
    elif isinstance(value, list | tuple | set | frozenset):
        children = list(value)
    elif dataclasses.is_dataclass(value):
        children = [getattr(value, f.name) for f in dataclasses.fields(value)]
    else:
        children = list(getattr(value, "__dict__", {}).values())
    return [found for child in children for found in assessments_in(child, seen)]


def test_session_state_keeps_summaries_not_assessments_and_the_import_still_works(
    store: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, engine = store
    monkeypatch.setenv("READINESS_MAX_ASSESSMENTS_PER_FILE", "3")
    at = open_upload_page()
    files = [("three.json", json_file(pilots("Kept", 3)), "application/json"),
             ("four.json", json_file(pilots("Over", 4)), "application/json")]  # fmt: skip
    at.file_uploader(key="upload.files").set_value(files).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "upload.reports" in at.session_state
    assert [found for _, value in at.session_state.items() for found in assessments_in(value)] == []
    preview = next(d.value for d in at.dataframe if "verdict" in d.value.columns)
    assert len(preview) == 3
    issues = next(d.value for d in at.dataframe if "message" in d.value.columns)
    assert "READINESS_MAX_ASSESSMENTS_PER_FILE" in issues["message"][0]
    confirm = at.button(key="upload.confirm")
    assert confirm.label == "Import 1 valid file (3 assessments)"
    confirm.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert sorted(p.context.name for p in list_pilots(engine)) == ["Kept 1", "Kept 2", "Kept 3"]
    assert [found for _, value in at.session_state.items() for found in assessments_in(value)] == []


@pytest.fixture(scope="module")
def large_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A store of 2,000 pilots (more than SEARCH_ABOVE and ten times MAX_SHOWN), one snapshot each."""
    assert 2_000 > SEARCH_ABOVE > MAX_SHOWN
    url = f"sqlite:///{tmp_path_factory.mktemp('large') / 'large.db'}"
    engine = make_engine(url)
    migrate(engine)
    add_assessments(engine, synthetic_assessments(2_000, 1), source="cli", actor="test")
    engine.dispose()
    return url


def heatmap_rows(at: AppTest) -> list[str]:
    """The pilots (rows) of the portfolio heatmap."""
    specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    spec = next(f for f in specs if any(t.get("name") == "cells" for t in f["data"]))
    return list(spec["data"][1]["y"])


def test_the_heatmap_of_a_2000_pilot_store_shows_at_most_the_cap_and_searches(
    large_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READINESS_DATABASE_URL", large_store)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    limit = at.selectbox(key="portfolio.limit")
    assert limit.options == ["40 pilots", "100 pilots", f"{MAX_SHOWN} pilots"]  # no "All pilots"
    limit.select(str(MAX_SHOWN)).run()
    assert len(heatmap_rows(at)) == MAX_SHOWN
    assert len(at.selectbox(key="portfolio.open").options) == MAX_SHOWN
    assert any("Showing the 200 least ready of 2,000 pilots." in c.value for c in at.caption)
    at.text_input(key="portfolio.search").input("pilot 01").run()
    shown = heatmap_rows(at)
    assert 0 < len(shown) <= MAX_SHOWN and all("Pilot 01" in name for name in shown)
    assert len(shown) == 100  # Pilot 0100 ... Pilot 0199


def test_the_pilot_and_compare_pickers_offer_search_results_not_every_pilot(
    large_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READINESS_DATABASE_URL", large_store)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["pilot"] = "Pilot 1999"  # a pilot named in the URL is always selectable
    at.switch_page("screens/pilot.py").run()
    assert not at.exception, [e.value for e in at.exception]
    picker = at.selectbox(key="pilot")
    assert picker.value == "Pilot 1999"
    assert len(picker.options) <= MAX_SHOWN + 1 and "Pilot 1999" in picker.options
    at.text_input(key="pilot.search").input("PILOT 0042").run()
    assert at.selectbox(key="pilot").options == ["Pilot 1999", "Pilot 0042"]
    at.switch_page("screens/compare.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.multiselect(key="compare").options) <= MAX_SHOWN + 8
