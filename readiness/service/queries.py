"""What the interfaces read from the store, already scored with the current model.

Pages and commands ask here rather than the store's tables: the scored frames carry the columns the
statistics of :mod:`readiness.service.portfolio` and the charts expect, and an explained score is always
the current model's, whichever model issued the stored one.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from readiness.model import GAP_IDS, ReadinessModel, load_model
from readiness.portfolio import assessments_to_frame, latest_per_pilot, score_frame, weakest_items
from readiness.scoring import ScoreResult, score_assessment
from readiness.store import (
    StoredAssessment,
    audit_entries,
    is_empty,
    list_pilots,
    pilot_history,
    portfolio_frame,
    recent_pilot_snapshots,
    snapshot_index,
)
from readiness.store.version import data_version, registry_version
from readiness.store.views import audit_rows

__all__ = [
    "RecentSnapshots",
    "ScoredSnapshots",
    "audit_log",
    "data_version",
    "explain",
    "is_empty",
    "latest_assessment_frame",
    "pilot_names",
    "pilot_scored_history",
    "pilot_snapshots",
    "recent_snapshots",
    "registry_version",
    "rows_token",
    "scored_portfolio",
]


def scored_portfolio(
    engine: Engine,
    history: bool = False,
    as_of: date | None = None,
    model: ReadinessModel | None = None,
    snapshot_ids: Collection[int] | None = None,
) -> pd.DataFrame:
    """The stored snapshots scored with the current model (:func:`readiness.portfolio.score_frame` rows).

    By default each pilot's latest snapshot on or before ``as_of``; with ``history`` every snapshot up to
    it; with ``snapshot_ids`` exactly those. Each row also carries ``snapshot_id``, ``model_version`` (the
    model that issued the stored score) and ``weak.<gap>`` (the items that cost the gap the most points).
    """
    model = model or load_model()
    frame = portfolio_frame(engine, as_of, history=history, model=model, snapshot_ids=snapshot_ids)
    scored = score_frame(frame, model)
    weak = weakest_items(frame, model)
    for gap in GAP_IDS:
        scored[f"weak.{gap}"] = weak[gap].to_numpy()
    scored["model_version"] = frame["model_version"].to_numpy() if "model_version" in frame else None
    return scored


def rows_token(*frames: pd.DataFrame) -> str:
    """A token naming the rows of scored frames (:func:`scored_portfolio` rows, narrowed or reordered): equal
    tokens, equal frames.

    A stored snapshot never changes and a scored row is the current model's scoring of one snapshot, so a
    frame's snapshot ids and row labels, in order, say all of its content. What is derived from such frames
    alone can be kept for as long as their token stays the same: across writes to pilots they do not hold, a
    page filtered to one business unit keeps its figures while another unit's pilots get new snapshots.

    A frame without ``snapshot_id`` (what is counted from scored rows: verdicts per business unit) is named by
    its content, labels and columns included: a figure drawn from counts is kept while the counts stay the same.
    """
    digest = hashlib.blake2b(digest_size=16)
    for frame in frames:
        digest.update(len(frame).to_bytes(8, "little"))
        if "snapshot_id" in frame:
            for labels in (frame.index, frame["snapshot_id"]):
                digest.update(_as_bytes(labels))
        else:
            digest.update(repr(list(frame.columns)).encode())
            digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return f"rows:{digest.hexdigest()}"


def _as_bytes(values: pd.Index | pd.Series) -> bytes:
    # Integer labels and ids as they are (microseconds for a thousand rows); anything else by pandas' row hash.
    array = values.to_numpy()
    if array.dtype.kind in "iu":
        return array.astype("int64", copy=False).tobytes()
    return pd.util.hash_pandas_object(pd.Series(array), index=False).to_numpy().tobytes()


def latest_assessment_frame(engine: Engine, model: ReadinessModel | None = None) -> pd.DataFrame:
    """Each pilot's latest snapshot in force as the assessment frame (answers, metrics and evidence, unscored):
    what a what-if plan changes before scoring it (:mod:`readiness.service.whatif`)."""
    return portfolio_frame(engine, model=model or load_model())


def pilot_names(engine: Engine) -> list[str]:
    """Every pilot of the registry, by name."""
    return [record.context.name for record in list_pilots(engine)]


def pilot_snapshots(engine: Engine, name: str) -> list[StoredAssessment]:
    """A pilot's snapshots, oldest first (empty for an unknown pilot)."""
    return pilot_history(engine, name)


@dataclass(frozen=True)
class RecentSnapshots:
    """A pilot as it stands: its latest snapshot, the one before it (to say what changed), and the model versions
    its snapshots were issued under. Read without the pilot's whole history, which the scored history already
    holds for its trend: a page that opens one pilot after another reads two snapshots each time, not all."""

    latest: StoredAssessment
    previous: StoredAssessment | None
    model_versions: tuple[str, ...]

    def other_models(self, model: ReadinessModel | None = None) -> list[str]:
        """The model versions, other than ``model``'s (the current one), that issued some of its snapshots."""
        current = (model or load_model()).version
        return [version for version in self.model_versions if version != current]

    def find(self, snapshot_id: int) -> StoredAssessment | None:
        """The latest or previous snapshot with this id, if it is one of them."""
        return next((s for s in (self.latest, self.previous) if s is not None and s.snapshot_id == snapshot_id), None)


def recent_snapshots(engine: Engine, name: str) -> RecentSnapshots | None:
    """Pilot ``name``'s two newest snapshots and the model versions of all its snapshots (None: no such pilot, or
    no snapshot yet)."""
    newest, versions = recent_pilot_snapshots(engine, name, count=2)
    if not newest:
        return None
    return RecentSnapshots(newest[-1], newest[-2] if len(newest) > 1 else None, tuple(versions))


def pilot_scored_history(snapshots: list[StoredAssessment], model: ReadinessModel | None = None) -> pd.DataFrame:
    """A pilot's snapshots scored with the current model, oldest first."""
    model = model or load_model()
    frame = assessments_to_frame([s.assessment for s in snapshots], model)
    frame["snapshot_id"] = [s.snapshot_id for s in snapshots]
    return score_frame(frame, model)


def explain(snapshot: StoredAssessment, model: ReadinessModel | None = None) -> ScoreResult:
    """The explained score of a stored snapshot under the current model."""
    return score_assessment(snapshot.assessment, model)


def audit_log(engine: Engine, limit: int = 500) -> pd.DataFrame:
    """The newest ``limit`` entries of the audit log (at, actor, action, what, source hash), newest first."""
    return pd.DataFrame(audit_rows(audit_entries(engine, limit=limit)))


class ScoredSnapshots:
    """The stored snapshots of one database, scored once per process and kept up to date by scoring only the
    snapshots written since: the portfolio (each pilot's latest snapshot) and, once asked for, the history.

    Snapshots are immutable and append-only, so a snapshot scored once stays scored. Scoring a whole history
    (24,000 snapshots) costs seconds; a write adds one snapshot or a workbook's few, so rescoring everything
    on every write would keep a busy server scoring. :meth:`refresh` lists the stored snapshot ids (one index
    scan) and scores the unseen ones. The usual write adds snapshots above the highest id seen: those alone are
    read, after the in-force count confirms nothing else changed (on PostgreSQL a transaction holding a lower
    id can commit after a higher id is visible; a retraction takes one out). Otherwise every id is listed and
    compared; if a known snapshot has gone (retracted, or a database replaced under a running server),
    everything is read again.

    A cold start reads the portfolio alone (each pilot's latest snapshot: a fast query); the history is read
    when a view first needs it, outside the lock, so that the other sessions go on meanwhile. New snapshots are
    appended to the history as it was read; it is put in order only when the whole of it is asked for, since
    one pilot's rows and a past day's portfolio need no order (a write would otherwise reorder 24,000 rows for
    the next rerun of every page). Frames are returned as shallow copies: pandas' copy-on-write keeps a
    caller's changes from reaching the shared frame.
    Thread-safe: the sessions of a Streamlit server share one instance.
    """

    # Above this many unseen snapshots, one full read costs less than a long list of ids in a query.
    MAX_INCREMENT = 5_000
    MAX_DAYS_KEPT = 16

    def __init__(self, engine: Engine, model: ReadinessModel | None = None) -> None:
        self.engine = engine
        self.model = model or load_model()
        self._lock = threading.RLock()
        self._history_read = threading.Lock()  # one history read at a time
        self._version: str | None = None
        self._seen: set[int] = set()  # every snapshot the frames reflect (in them, or superseded in the portfolio)
        self._tokens: dict[str, tuple[int, int]] = {}  # pilot → (snapshots in force, newest id)
        self._last_retraction = 0
        self._latest: pd.DataFrame | None = None
        self._history: pd.DataFrame | None = None  # in the order read, then written
        self._ordered_history: pd.DataFrame | None = None  # the same, by pilot, date and id, once asked for
        self._on_day: dict[date, pd.DataFrame] = {}
        self._rows_of: dict[str, Any] | None = None  # pilot → its rows in the history, built when first asked

    def refresh(self, version: str) -> None:
        """Bring the frames up to ``version`` (the store's :func:`data_version`); nothing to do when unchanged."""
        with self._lock:
            if version == self._version:
                return
            if self._latest is None or not self._refresh_above(max(self._seen, default=0)):
                self._refresh_all()
            self._version = version

    def _refresh_above(self, high: int) -> bool:
        """The usual write: snapshots added above the highest id seen, nothing retracted, none committed late
        below it (the in-force count says so). Reads and scores those alone; False when the counts disagree."""
        index = snapshot_index(self.engine, after_id=high)
        unseen = [i for i, _ in index.rows if i not in self._seen]
        if index.last_retraction != self._last_retraction or index.in_force != len(self._seen) + len(unseen):
            return False
        if len(unseen) > self.MAX_INCREMENT:
            return False
        if unseen:
            self._take_in(scored_portfolio(self.engine, model=self.model, snapshot_ids=unseen))
        return True

    def _refresh_all(self) -> None:
        index = snapshot_index(self.engine)
        stored = {i for i, _ in index.rows}
        unseen = stored - self._seen
        if self._latest is None or not self._seen <= stored or len(unseen) > self.MAX_INCREMENT:
            self._history = self._ordered_history = None
            self._latest = scored_portfolio(self.engine, model=self.model)
            # Read after the index: every snapshot listed is in the portfolio or superseded there.
            self._seen = stored | set(self._latest["snapshot_id"].tolist())
            self._on_day.clear()
            self._rows_of = None
            self._tokens = {}
            self._count(index.rows)
            # A snapshot written between the two reads is in the portfolio but not in the index: count it too.
            self._count(zip(self._latest["snapshot_id"], self._latest["pilot"], strict=True), skip=stored)
        elif unseen:
            self._take_in(scored_portfolio(self.engine, model=self.model, snapshot_ids=unseen))
        self._last_retraction = index.last_retraction

    def _count(self, rows: Iterable[tuple[int, str]], skip: set[int] | frozenset[int] = frozenset()) -> None:
        """Count snapshots (id, pilot) into the pilots' tokens (each pilot's count and newest id), but ``skip``."""
        for snapshot_id, name in rows:
            if snapshot_id in skip:
                continue
            count, newest = self._tokens.get(name, (0, 0))
            self._tokens[name] = (count + 1, max(newest, int(snapshot_id)))

    def latest(self) -> pd.DataFrame:
        """Each pilot's latest snapshot, scored (the rows of :func:`scored_portfolio`); call :meth:`refresh`
        first."""
        with self._lock:
            if self._latest is None:
                raise RuntimeError("refresh() was not called")
            return self._latest.copy(deep=False)

    @property
    def has_history(self) -> bool:
        """Whether the history is scored already (else :meth:`history` takes seconds on a large store)."""
        return self._history is not None

    def history(self) -> pd.DataFrame:
        """Every stored snapshot, scored, ordered by pilot, date and id."""
        history = self._read_history()
        with self._lock:
            if history is not self._history:  # replaced meanwhile (everything read again): not kept
                return _ordered(history)
            if self._ordered_history is None:
                self._ordered_history = _ordered(history)
            return self._ordered_history.copy(deep=False)

    def _read_history(self) -> pd.DataFrame:
        """The scored history in the order read, then written (read and scored first if need be)."""
        with self._history_read:
            with self._lock:
                if self._history is not None:
                    return self._history
            scored = scored_portfolio(self.engine, history=True, model=self.model)  # seconds: other sessions go on
            with self._lock:
                read = set(scored["snapshot_id"].tolist())
                # Snapshots the portfolio took in while the history was read, and ones it has not seen yet.
                missing, unseen = self._seen - read, read - self._seen
                if missing:
                    scored = _union(scored, scored_portfolio(self.engine, model=self.model, snapshot_ids=missing))
                self._history, self._ordered_history, self._rows_of = scored, None, None
                if unseen:
                    self._take_in(scored[scored["snapshot_id"].isin(unseen)])
                return self._history

    def pilot_history(self, name: str) -> pd.DataFrame:
        """One pilot's snapshots, scored, oldest first: rows of :meth:`history` (read if need be)."""
        history = self._read_history()
        with self._lock:
            if history is not self._history:  # replaced meanwhile: the rows of the frame in hand
                rows = history.groupby("pilot", sort=False).indices.get(name, [])
            else:
                if self._rows_of is None:
                    self._rows_of = history.groupby("pilot", sort=False).indices
                rows = self._rows_of.get(name, [])
        return history.iloc[rows].sort_values(["as_of", "snapshot_id"], kind="stable", ignore_index=True)

    def on(self, day: date) -> pd.DataFrame:
        """The portfolio as it stood on ``day`` (each pilot's latest snapshot by then), kept per day."""
        history = self._read_history()
        with self._lock:
            current = self._history
            if current is None:  # everything is being read again: this answer is not kept
                return latest_per_pilot(history, day)
            if day not in self._on_day:
                if len(self._on_day) >= self.MAX_DAYS_KEPT:
                    self._on_day.pop(next(iter(self._on_day)))
                # The history as it is now, with any snapshot appended since it was read above.
                self._on_day[day] = latest_per_pilot(current, day)
            return self._on_day[day].copy(deep=False)

    def pilot_token(self, name: str) -> str:
        """A token that changes when a snapshot of pilot ``name`` is added (its count and newest id): a write to
        another pilot leaves it, and what is cached under it, alone."""
        with self._lock:
            count, newest = self._tokens.get(name, (0, 0))
            return f"{count}:{newest}"

    def _take_in(self, scored: pd.DataFrame) -> None:
        """Add newly scored snapshots to the portfolio, the history (when read) and the pilots' tokens."""
        new = ~scored["snapshot_id"].isin(self._seen)
        self._count(zip(scored["snapshot_id"][new], scored["pilot"][new], strict=True))
        self._seen |= set(scored["snapshot_id"].tolist())
        self._latest = latest_per_pilot(_union(self._latest, scored))
        if self._history is not None:
            self._append_to_history(scored)
        # A past day's portfolio takes in the new snapshots dated by then, as the latest portfolio does: a
        # thousand rows and the new ones, not the whole history again (and nothing when none is that old).
        self._on_day = {day: _taken_in_by(day, frame, scored) for day, frame in self._on_day.items()}

    def _append_to_history(self, scored: pd.DataFrame) -> None:
        """Append the snapshots the history does not hold yet, and their rows to each pilot's."""
        assert self._history is not None
        added = scored[~scored["snapshot_id"].isin(self._history["snapshot_id"])]
        if added.empty:
            return
        start = len(self._history)
        self._history = pd.concat([self._history, added], ignore_index=True)
        self._ordered_history = None
        if self._rows_of is not None:
            for offset, name in enumerate(added["pilot"]):
                self._rows_of[name] = np.append(self._rows_of.get(name, np.empty(0, dtype=np.intp)), start + offset)


def _taken_in_by(day: date, portfolio: pd.DataFrame, scored: pd.DataFrame) -> pd.DataFrame:
    """The portfolio as it stood on ``day`` with the newly scored snapshots dated by then (as it is if none)."""
    dated = scored[pd.to_datetime(scored["as_of"]) <= pd.Timestamp(day)]
    return latest_per_pilot(_union(portfolio, dated), day) if len(dated) else portfolio


def _union(kept: pd.DataFrame | None, added: pd.DataFrame) -> pd.DataFrame:
    if kept is None or kept.empty:
        return added.reset_index(drop=True)
    both = pd.concat([kept, added], ignore_index=True)
    return both.drop_duplicates("snapshot_id", keep="last", ignore_index=True)


def _ordered(history: pd.DataFrame) -> pd.DataFrame:
    # The order of portfolio_frame: by pilot, date, then the order written.
    return history.sort_values(["pilot", "as_of", "snapshot_id"], kind="stable", ignore_index=True)
