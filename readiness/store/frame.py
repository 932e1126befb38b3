"""The portfolio as a frame, read straight from the tables: the fast path of every portfolio view.

Three set-based queries (snapshots, answers, metric values) in one read transaction, then numpy places
each long row into its (snapshot, item) cell. No object per row: 24,000 snapshots with 60 items each
load in about a second. The result is the frame of :func:`readiness.portfolio.assessments_to_frame`,
which :func:`readiness.portfolio.score_frame` re-scores with the current model.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, Select, func, select
from sqlalchemy.engine import Connection

from readiness.assessment import CONTEXT_FIELDS
from readiness.model import ReadinessModel, load_model
from readiness.portfolio import (
    CONTEXT_COLUMNS,
    assessments_to_frame,
    documented_column,
    frame_columns,
    measured_column,
)
from readiness.store.repository import in_force, latest_snapshot_ids
from readiness.store.tables import ANSWER, METRIC_VALUE, RETRACTION, SNAPSHOT

EXTRA_COLUMNS = ["snapshot_id", "model_version"]


def portfolio_frame(
    engine: Engine,
    as_of: date | None = None,
    history: bool = False,
    model: ReadinessModel | None = None,
    snapshot_ids: Collection[int] | None = None,
) -> pd.DataFrame:
    """The stored snapshots as the portfolio frame, one row per snapshot, ordered by pilot then date.

    By default each pilot's latest snapshot on or before ``as_of``; with ``history`` every snapshot on
    or before it; with ``snapshot_ids`` exactly those snapshots (the ones written since a cache last
    looked). Besides the columns of :func:`readiness.portfolio.frame_columns` the frame carries
    ``snapshot_id`` and ``model_version`` (the model that issued the stored score), so that a view can
    link a row to its snapshot and say when history was issued under another model.
    """
    model = model or load_model()
    if snapshot_ids is not None:
        chosen = select(SNAPSHOT.c.id).where(SNAPSHOT.c.id.in_(sorted(int(i) for i in snapshot_ids)), in_force())
    elif history:
        chosen = select(SNAPSHOT.c.id).where(in_force())
        if as_of is not None:
            chosen = chosen.where(SNAPSHOT.c.as_of <= as_of)
    else:
        chosen = latest_snapshot_ids(as_of)
    ids = chosen.subquery("chosen")
    with _consistent_read(engine) as connection:
        snapshots = connection.execute(
            select(
                SNAPSHOT.c.id,
                SNAPSHOT.c.name,
                *(SNAPSHOT.c[f] for f in CONTEXT_FIELDS),
                SNAPSHOT.c.as_of,
                SNAPSHOT.c.submitted_by,
                SNAPSHOT.c.model_version,
            ).join(ids, ids.c.id == SNAPSHOT.c.id)
        ).all()
        if not snapshots:
            return _empty(model)
        ordered = sorted(snapshots, key=lambda s: (s.name, s.as_of, s.id))
        row_of = pd.Index([s.id for s in ordered])
        answers = _answer_grid(
            _fetch_raw(
                connection,
                select(ANSWER.c.snapshot_id, ANSWER.c.question_id, ANSWER.c.answer, ANSWER.c.documented).join(
                    ids, ids.c.id == ANSWER.c.snapshot_id
                ),
            ),
            row_of,
            [q.id for q in model.questions],
        )
        metrics = _metric_grid(
            _fetch_raw(
                connection,
                select(
                    METRIC_VALUE.c.snapshot_id,
                    METRIC_VALUE.c.metric_id,
                    METRIC_VALUE.c.value,
                    METRIC_VALUE.c.documented,
                    METRIC_VALUE.c.measured,
                ).join(ids, ids.c.id == METRIC_VALUE.c.snapshot_id),
            ),
            row_of,
            [m.id for m in model.metrics],
        )
    return _assemble(ordered, answers, metrics, model)


@dataclass(frozen=True)
class SnapshotIndex:
    """The snapshots in force with an id above ``after_id`` (id, pilot name), how many are in force in all, and
    the newest retraction's id, read together: what a cache of scored snapshots needs to know what it lacks."""

    rows: list[tuple[int, str]]
    in_force: int
    last_retraction: int


def snapshot_index(engine: Engine, after_id: int = 0) -> SnapshotIndex:
    """The snapshots in force above ``after_id`` (all by default), with the in-force count and the newest
    retraction, in one consistent read (an index range scan and two aggregates)."""
    query = select(SNAPSHOT.c.id, SNAPSHOT.c.name).where(in_force(), SNAPSHOT.c.id > after_id).order_by(SNAPSHOT.c.id)
    totals = select(
        select(func.count()).select_from(SNAPSHOT).where(in_force()).scalar_subquery(),
        select(func.coalesce(func.max(RETRACTION.c.id), 0)).scalar_subquery(),
    )
    with _consistent_read(engine) as connection:
        rows = [(int(i), name) for chunk in _fetch_raw(connection, query) for i, name in chunk]
        count, last_retraction = connection.execute(totals).one()
    return SnapshotIndex(rows, int(count), int(last_retraction))


FETCH_ROWS = 50_000


def _fetch_raw(connection: Connection, query: Select[Any]) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of a query as the driver's plain tuples, in chunks, in the connection's current transaction.

    Skips SQLAlchemy's per-row result objects, which cost more than the query itself on the long answer
    and metric tables, and never holds more than one chunk of them: a whole history at once would be
    over a million tuples, hundreds of megabytes at the app's peak. The query binds only dates and ids,
    so it is safe to render them as literals.
    """
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(FETCH_ROWS):
            yield rows
    finally:
        cursor.close()


def _consistent_read(engine: Engine) -> Any:
    """A read transaction in which the three queries see the same state of the database.

    SQLite in WAL mode reads from one snapshot for the whole transaction; PostgreSQL needs REPEATABLE READ
    for that (under READ COMMITTED a snapshot written between two queries could split a row).
    """
    if engine.dialect.name == "postgresql":
        return engine.connect().execution_options(isolation_level="REPEATABLE READ")
    return engine.connect()


def _assemble(
    ordered: list[Any],
    answers: tuple[np.ndarray, np.ndarray],
    metrics: tuple[np.ndarray, np.ndarray, np.ndarray],
    model: ReadinessModel,
) -> pd.DataFrame:
    snapshot_ids = [s.id for s in ordered]
    columns: dict[str, Any] = {"pilot": [s.name for s in ordered]}
    for name in CONTEXT_COLUMNS[1:]:
        columns[name] = [getattr(s, name) for s in ordered]
    answer_cells, documented_cells = answers
    question_ids = [q.id for q in model.questions]
    for k, question_id in enumerate(question_ids):
        columns[question_id] = answer_cells[:, k]
    for k, question_id in enumerate(question_ids):
        columns[documented_column(question_id)] = documented_cells[:, k]
    metric_cells, documented_metrics, measured_metrics = metrics
    for k, metric in enumerate(model.metrics):
        columns[metric.id] = metric_cells[:, k]
    for k, metric in enumerate(model.metrics):
        columns[documented_column(metric.id)] = documented_metrics[:, k]
    for k, metric in enumerate(model.metrics):
        columns[measured_column(metric.id)] = measured_metrics[:, k]
    columns["snapshot_id"] = np.array(snapshot_ids, dtype=np.int64)
    columns["model_version"] = [s.model_version for s in ordered]
    return pd.DataFrame(columns, columns=frame_columns(model) + EXTRA_COLUMNS)


def _long_table(
    rows: list[tuple[Any, ...]], row_of: pd.Index, item_ids: list[str], width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Long rows (snapshot id, item id, values...) as grid positions and a value matrix, keeping only rows
    of a chosen snapshot and of an item the current model knows."""
    table = np.array(rows, dtype=object).reshape(len(rows), width)
    grid_rows = row_of.get_indexer(table[:, 0].astype(np.int64))
    grid_columns = pd.Index(item_ids).get_indexer(table[:, 1])
    keep = (grid_rows >= 0) & (grid_columns >= 0)
    return grid_rows[keep], grid_columns[keep], table[keep, 2:]


def _answer_grid(
    chunks: Iterable[list[tuple[Any, ...]]], row_of: pd.Index, question_ids: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    shape = (len(row_of), len(question_ids))
    answer_cells = np.full(shape, None, dtype=object)
    documented_cells = np.zeros(shape, dtype=bool)
    for answers in chunks:
        rows, columns, values = _long_table(answers, row_of, question_ids, 4)
        answer_cells[rows, columns] = values[:, 0]
        documented_cells[rows, columns] = values[:, 1].astype(bool)
    return answer_cells, documented_cells


def _metric_grid(
    chunks: Iterable[list[tuple[Any, ...]]], row_of: pd.Index, metric_ids: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    shape = (len(row_of), len(metric_ids))
    cells = np.full(shape, np.nan)
    documented, measured = np.zeros(shape, dtype=bool), np.zeros(shape, dtype=bool)
    for metrics in chunks:
        rows, columns, values = _long_table(metrics, row_of, metric_ids, 5)
        cells[rows, columns] = values[:, 0].astype(float)
        documented[rows, columns] = values[:, 1].astype(bool)
        measured[rows, columns] = values[:, 2].astype(bool)
    return cells, documented, measured


def _empty(model: ReadinessModel) -> pd.DataFrame:
    frame = assessments_to_frame([], model)
    for name in EXTRA_COLUMNS:
        frame[name] = pd.Series(dtype=object)
    return frame
