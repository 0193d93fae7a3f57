"""The sweep driver that every case type's clocks run under, and the SQL shapes they share.

A case type keeps a schedule table: one narrow row per case with a moment pending, its
`next_due_at` indexed. Its step function claims due rows with `claim_sql` (FOR UPDATE SKIP LOCKED
over that index, in due order, at most `limit`), makes their steps inside the locks, and returns how
many it claimed. `run` calls it batch after batch, each batch its own transaction, until a batch
claims fewer than a full one: concurrent sweeps skip each other's rows, a crashed one leaves its
rows to the next, and a repeated step is refused by the case type's unique (case, cycle, mark).

`register` names a case type's whole sweep; `sweep_all` (the Celery beat task `clocks.sweep`) runs
every registered one in turn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

# One batch: (cursor, now, batch size) -> number of cases claimed (0: nothing was due).
Step = Callable[[object, datetime, int], int]

_SWEEPS: dict[str, Callable[..., object]] = {}


def register(name: str, sweep: Callable[..., object]) -> None:
    """Adds a case type's sweep (called as `sweep(now=…)`) to `sweep_all`. Idempotent per name."""
    _SWEEPS[name] = sweep


def registered() -> dict[str, Callable[..., object]]:
    return dict(_SWEEPS)


def sweep_all(*, now: datetime | None = None) -> dict[str, object]:
    """Every registered case type's sweep, in turn; returns each one's result by name."""
    now = now or timezone.now()
    return {name: sweep(now=now) for name, sweep in _SWEEPS.items()}


def run(step: Step, *, now: datetime, batch_size: int, max_batches: int | None = None) -> int:
    """Runs `step` batch after batch until one claims less than `batch_size` (or `max_batches`
    were run). Each batch is one transaction, with foreign keys checked at each statement's end
    rather than at the commit (Django makes them deferrable): a row refused by one fails its
    statement, which a savepoint can retry, not the commit. Returns the number of batches that
    claimed something."""
    batches = 0
    while max_batches is None or batches < max_batches:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            claimed = step(cursor, now, batch_size)
        if not claimed:
            break
        batches += 1
        if claimed < batch_size:
            break
    return batches


def run_claimed(claim: str, steps: Callable[[list[int], datetime], int], *, now: datetime, batch_size: int) -> int:
    """The usual sweep of a case type: `claim` (a `claim_sql` returning the case ids) batch after
    batch, each batch's ids given to `steps(ids, now)` inside the batch's transaction and locks.
    Returns the total `steps` reported (the steps made)."""
    made = 0

    def batch(cursor, now: datetime, limit: int) -> int:
        nonlocal made
        cursor.execute(claim, {"now": now, "limit": limit})
        ids = [row[0] for row in cursor.fetchall()]
        if ids:
            made += steps(ids, now)
        return len(ids)

    run(batch, now=now, batch_size=batch_size)
    return made


def claim_sql(*, schedule: str, cases: str, key: str, columns: Sequence[str]) -> str:
    """The claim of one batch: `columns` of the case rows whose schedule row is due at
    `%(now)s`, in due order, at most `%(limit)s`, locking the case row and then its schedule row
    (the order the workflow's services take them: a case locked by a workflow action is skipped,
    its schedule row left alone). FOR UPDATE in READ COMMITTED re-reads a row changed since the
    snapshot: the values returned are the locked rows' current ones."""
    return f"""
    SELECT {", ".join("e." + column for column in columns)}
    FROM {schedule} s JOIN {cases} e ON e.id = s.{key}
    WHERE s.next_due_at <= %(now)s
    ORDER BY s.next_due_at
    LIMIT %(limit)s
    FOR UPDATE OF e, s SKIP LOCKED
"""


def write_next_due(*, schedule: str, key: str, case_id: int, due: datetime | None) -> None:
    """A case's next moment on its schedule row, or the row removed when none is pending. The
    caller holds the case's row lock (a sweep takes it before the schedule row's)."""
    with connection.cursor() as cursor:
        if due is None:
            cursor.execute(f"DELETE FROM {schedule} WHERE {key} = %s", [case_id])
        else:
            cursor.execute(
                f"INSERT INTO {schedule} ({key}, next_due_at) VALUES (%s, %s) "
                f"ON CONFLICT ({key}) DO UPDATE SET next_due_at = EXCLUDED.next_due_at",
                [case_id, due],
            )
