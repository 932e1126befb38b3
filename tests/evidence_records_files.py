"""Deterministic files for the record adapters' tests (and the benchmark): production data samples as CSV,
Parquet and .xlsx, usage logs and incident logs. Each generator takes a seed; the same seed gives the same
bytes. They write what teams' tools write: text exported from a warehouse, an event log, an incident sheet.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

SAMPLE_COLUMNS = (
    "claim_id",
    "policy_id",
    "amount",
    "currency",
    "channel",
    "submitted_at",
    "status",
    "description",
    "score",
    "fraud_flag",
)
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def sample_rows(n: int, seed: int = 1) -> list[dict[str, Any]]:
    """``n`` claim records with typed values: some fields missing (None) or blank ("  "), some records
    repeating an earlier one entirely, some repeating only an earlier claim_id."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for i in range(n):
        if i > 10 and rng.random() < 0.03:
            rows.append(dict(rows[rng.randrange(len(rows))]))  # the same record again
            continue
        row: dict[str, Any] = {
            "claim_id": 100_000 + i,
            "policy_id": f"P{rng.randrange(10**7):07d}",
            "amount": round(rng.uniform(10, 5000), 2),
            "currency": rng.choice(["EUR", "USD", "GBP"]),
            "channel": rng.choice(["web", "branch", "phone", "partner"]),
            "submitted_at": (START + timedelta(seconds=rng.randrange(90 * 86400))).replace(tzinfo=None),
            "status": rng.choice(["open", "closed", "pending"]),
            "description": rng.choice(["water damage", "theft", "fire", "storm", "glass"]),
            "score": round(rng.random(), 4),
            "fraud_flag": rng.random() < 0.05,
        }
        if i > 10 and rng.random() < 0.02:
            row["claim_id"] = rows[rng.randrange(len(rows))]["claim_id"]  # a key seen before, other values new
        roll = rng.random()
        if roll < 0.04:
            row[rng.choice(SAMPLE_COLUMNS[1:])] = None
        elif roll < 0.06:
            row["description"] = rng.choice(["  ", "\t", " "])
        rows.append(row)
    return rows


def _text(value: Any, missing: str) -> str:
    if value is None:
        return missing
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)


def write_sample_csv(
    path: Path, rows: Sequence[dict[str, Any]], header: Sequence[str] | None = None, delimiter: str = ","
) -> Path:
    """The rows as CSV; a missing value is written as an empty field or as ``NA``, alternately."""
    columns = list(rows[0]) if rows else list(SAMPLE_COLUMNS)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header or columns)
        for i, row in enumerate(rows):
            writer.writerow([_text(row[c], "NA" if i % 2 else "") for c in columns])
    return path


def write_sample_parquet(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = list(rows[0])
    table = pa.table({c: pa.array([row[c] for row in rows]) for c in columns})
    pq.write_table(table, path, row_group_size=5_000)
    return path


def write_sample_xlsx(path: Path, rows: Sequence[dict[str, Any]], sheet: str = "Claims") -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    first = book.active
    first.title = sheet
    columns = list(rows[0])
    first.append(columns)
    for row in rows:
        first.append([row[c] for c in columns])
    book.create_sheet("Notes").append(["exported from the claims warehouse"])
    book.save(path)
    return path


# Actions as a pilot's front end logs them: decisions in several spellings, and events that are not decisions.
USAGE_ACTIONS = (
    "accepted", "Accepted", "APPROVED", "kept", "override", "Overridden", "rejected", "edited", "changed",
    "escalate", "Escalated", "viewed", "login", "exported",
)  # fmt: skip
USAGE_WEIGHTS = (30, 10, 8, 4, 5, 4, 3, 3, 2, 2, 1, 15, 10, 3)


def _time_text(moment: datetime, style: str, rng: random.Random) -> str:
    if style == "mixed":
        style = rng.choice(["z", "naive", "offset", "unix", "space"])
    if style == "z":
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "naive":
        return moment.replace(tzinfo=None).isoformat()
    if style == "offset":
        return moment.astimezone(timezone(timedelta(hours=2))).isoformat()
    if style == "space":
        return moment.replace(tzinfo=None).isoformat(sep=" ")
    return str(int(moment.timestamp()))


def write_usage_log(
    path: Path,
    events: int = 5_000,
    users: int = 180,
    seed: int = 3,
    days: int = 75,
    time_style: str = "z",
    header: Sequence[str] = ("user_id", "timestamp", "action"),
) -> Path:
    """A usage log: ``events`` events by up to ``users`` users over ``days`` days, in time order; some users
    stop using the system early (so fewer are active in the last 30 days); a few events name no user."""
    rng = random.Random(seed)
    quitters = {f"user{u:04d}@example.com" for u in range(users) if rng.random() < 0.3}
    span = days * 86400
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for second in sorted(rng.randrange(span) for _ in range(events)):
            user = f"user{rng.randrange(users):04d}@example.com"
            if user in quitters and second > span // 3:
                user = f"user{rng.randrange(users):04d}@example.com"
                if user in quitters:
                    continue
            if rng.random() < 0.005:
                user = ""
            action = rng.choices(USAGE_ACTIONS, USAGE_WEIGHTS)[0]
            writer.writerow([user, _time_text(START + timedelta(seconds=second), time_style, rng), action])
    return path


def write_incident_log(
    path: Path,
    incidents: int = 41,
    seed: int = 5,
    undetected_every: int = 9,
    header: Sequence[str] = ("incident", "Started At", "Detected At", "severity"),
    time_style: str = "z",
) -> Path:
    """An incident log: each incident's start and detection (minutes to days later); every
    ``undetected_every``-th has no detection time."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for i in range(incidents):
            started = START + timedelta(hours=rng.randrange(24 * 200), minutes=rng.randrange(60))
            delay = timedelta(hours=rng.expovariate(1 / 6))
            detected = (
                "" if undetected_every and i % undetected_every == 3 else _time_text(started + delay, time_style, rng)
            )
            writer.writerow([f"INC-{i:04d}", _time_text(started, time_style, rng), detected, rng.choice("123")])
    return path
