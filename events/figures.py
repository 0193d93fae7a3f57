"""The dashboards' figures of a center's subtree from the counters (models.EventFigure), exact and in
a few milliseconds whatever the number of events: the same definitions as `selectors._period_filters`
for the two periods the dashboards show, today and this year so far, both still running.

For such a period P (days S … today) at `now`, with the counters by day and by year:
- reported, closed, closed on time: the counters of P's days (today's day row; this year's year row);
- due = the events closed in P (not rejected or merged) + those whose deadline came in P before now
  and that were not closed in P: for P's whole days before today, the `pending` deadlines (not
  closed) and those of events closed on another day (today's period) or in another year (this
  year's); for today, up to now, a live count from the events table (the deadline index, one day);
- overdue = the events closed late in P + the pending ones whose deadline came in P before now
  (every one of those is late; an event closed before P with its deadline in P was early);
- open: every event still open, whenever it was reported; escalations: the timeline's steps up in P.
The year row holds the deadlines still to come this year too: the day rows from today on are taken
off it. Reports and closings are never in the future (they are stamped when they happen), so the year
row's reported and closed are this year's so far. `tests/events/test_figures.py` proves these equal
`selectors.dashboard_counts` on random histories; `manage.py figures_check` proves the counters equal
the events table."""

from __future__ import annotations

from datetime import date, datetime, time

from django.db import connection
from django.utils import timezone

# `{key}`: what the rows are grouped by, each center's id or the code of its ancestor at a depth.
COUNTERS = """
WITH wanted AS MATERIALIZED (SELECT id, {key} AS key FROM grids_center WHERE path LIKE %(subtree)s),
-- Each part reads one range of the covering index event_figure_period (index-only: the rows lie all
-- over the table) and sums only its own columns: one condition with OR visited a heap page for nearly
-- every row, and sums FILTERed by period over all the rows cost more than the scans.
year AS (
    SELECT key, sum(reported) AS reported, sum(closed) AS closed, sum(closed_on_time) AS on_time,
        sum(closed_late) AS late, sum(closed_due) AS due, sum(escalations) AS esc, sum(pending) AS pending,
        sum(deadline_other_year) AS other_year, sum(open) AS open
    FROM events_eventfigure JOIN wanted ON wanted.id = origin_center_id
    WHERE bucket = 'y' AND start = %(jan1)s GROUP BY key
), earlier AS (  -- events of earlier years still open
    SELECT key, sum(open) AS open
    FROM events_eventfigure JOIN wanted ON wanted.id = origin_center_id
    WHERE bucket = 'y' AND start < %(jan1)s AND open <> 0 GROUP BY key
), today AS (
    SELECT key, sum(reported) AS reported, sum(closed) AS closed, sum(closed_on_time) AS on_time,
        sum(closed_late) AS late, sum(closed_due) AS due, sum(escalations) AS esc
    FROM events_eventfigure JOIN wanted ON wanted.id = origin_center_id
    WHERE bucket = 'd' AND start = %(today)s GROUP BY key
), ahead AS (  -- deadlines from today to the year's end
    SELECT key, sum(pending) AS pending, sum(deadline_other_year) AS other_year
    FROM events_eventfigure JOIN wanted ON wanted.id = origin_center_id
    WHERE bucket = 'd' AND start >= %(today)s AND start < %(next_jan1)s GROUP BY key
)
SELECT key, today.reported, today.closed, today.on_time, today.late, today.due, today.esc,
    year.reported, year.closed, year.on_time, year.late, year.due, year.esc, year.pending, ahead.pending,
    year.other_year, ahead.other_year, coalesce(year.open, 0) + coalesce(earlier.open, 0)
FROM year FULL JOIN today USING (key) FULL JOIN ahead USING (key) FULL JOIN earlier USING (key)
"""

# Today's deadlines that have come by now (the counters' day rows cannot tell before now from after);
# an index-only scan of the covering index event_deadline.
TODAY = """
SELECT {key},
    count(*) FILTER (WHERE closed_at IS NULL OR closed_at < %(today_start)s),
    count(*) FILTER (WHERE closed_at IS NULL OR closed_at < %(jan1_start)s),
    count(*) FILTER (WHERE closed_at IS NULL)
FROM events_event JOIN grids_center ON grids_center.id = origin_center_id AND grids_center.path LIKE %(subtree)s
WHERE deadline >= %(today_start)s AND deadline < %(now)s AND state NOT IN ('rejected', 'merged')
GROUP BY 1
"""
BY_CENTER = "grids_center.id"
BY_ANCESTOR = "split_part(grids_center.path, '/', %(part)s)"


def figure_counts(
    subtree_path: str, *, now: datetime | None = None, by_depth: int | None = None
) -> dict[int | str, dict[str, dict[str, int]]]:
    """`{origin center: {"today": {figure: n}, "year": {figure: n}}}` for the events first held in the
    subtree at `subtree_path` (a center's path), as `selectors.dashboard_counts(…,
    group_by="origin_center_id")` gives them for today and this year so far. Two queries; the
    subtree is joined by its path prefix, not passed as a list of thousands of ids.

    With `by_depth`, keyed instead by the code of each center's ancestor at that depth (a dashboard's
    children: the 23 districts of a city rather than its 2,800 centers), "" for the centers above it:
    the figures are sums, so these are the sums of the centers' (tests/events/test_figures.py)."""
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    today = timezone.localdate(now)
    jan1 = date(today.year, 1, 1)
    params = {
        "subtree": subtree_path + "%",  # digits and slashes only (grids.Center.path)
        "today": today,
        "jan1": jan1,
        "next_jan1": date(today.year + 1, 1, 1),
        "today_start": datetime.combine(today, time.min, tz),
        "jan1_start": datetime.combine(jan1, time.min, tz),
        "now": now,
        "part": (by_depth or 0) + 1,  # split_part counts from 1
    }
    key = BY_CENTER if by_depth is None else BY_ANCESTOR
    result: dict[int | str, dict[str, dict[str, int]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(COUNTERS.format(key=key), params)
        counters = {row[0]: [value or 0 for value in row[1:]] for row in cursor.fetchall()}
        cursor.execute(TODAY.format(key=key), params)
        live = {row[0]: row[1:] for row in cursor.fetchall()}
    for center in counters.keys() | live.keys():
        row = counters.get(center, [0] * 17)
        t_rep, t_closed, t_on_time, t_late, t_due, t_esc = row[:6]
        y_rep, y_closed, y_on_time, y_late, y_due, y_esc = row[6:12]
        y_pending, pending_ahead, y_other_year, other_year_ahead, open_now = row[12:]
        t_extra, y_extra, pending_now = live.get(center, (0, 0, 0))
        pending_past = y_pending - pending_ahead  # this year's deadlines before today, not closed
        other_year_past = y_other_year - other_year_ahead  # … of events closed in another year
        figures = {
            "today": {
                "reported": t_rep,
                "due": t_due + t_extra,
                "closed": t_closed,
                "closed_on_time": t_on_time,
                "overdue": t_late + pending_now,
                "open": open_now,
                "escalations": t_esc,
            },
            "year": {
                "reported": y_rep,
                "due": y_due + pending_past + other_year_past + y_extra,
                "closed": y_closed,
                "closed_on_time": y_on_time,
                "overdue": y_late + pending_past + pending_now,
                "open": open_now,
                "escalations": y_esc,
            },
        }
        if any(figures["today"].values()) or any(figures["year"].values()):
            result[center] = figures
    return result


def figures_compact() -> int:
    """Folds the counters' delta rows into one row per key (the sweep runs it). Returns how many were folded."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT events_figure_compact()")
        return cursor.fetchone()[0]


def figures_sweep(*, now: datetime | None = None) -> int:
    """The counters' part of the shared sweep (clocks.sweep.register): compaction, in its own transaction."""
    from django.db import transaction

    with transaction.atomic():
        return figures_compact()


def figures_check(*, repair: bool = False) -> list[tuple]:
    """The keys whose counters differ from what the events table and the timeline say, as
    (center, bucket, start, counted, expected); with `repair`, the counters are rewritten from them
    (under a lock on the counters: writers wait for the few seconds it takes)."""
    from django.db import transaction

    columns = (
        "reported, closed, closed_on_time, closed_late, closed_due, open, pending, deadline_other_day, "
        "deadline_other_year, escalations"
    )
    counted_sql = (
        f"SELECT origin_center_id, bucket, start, {', '.join(f'sum({c})::int' for c in columns.split(', '))} "
        "FROM events_eventfigure GROUP BY 1, 2, 3"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE events_eventfigure IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(counted_sql)
        counted = {tuple(row[:3]): tuple(row[3:]) for row in cursor.fetchall()}
        cursor.execute("SELECT * FROM events_figure_expected()")
        expected = {tuple(row[:3]): tuple(row[3:]) for row in cursor.fetchall()}
        zero = (0,) * 10
        wrong = [
            (*key, counted.get(key, zero), expected.get(key, zero))
            for key in sorted(counted.keys() | expected.keys(), key=str)
            if counted.get(key, zero) != expected.get(key, zero)
        ]
        if repair and wrong:
            cursor.execute("DELETE FROM events_eventfigure")
            cursor.execute(
                f"INSERT INTO events_eventfigure (origin_center_id, bucket, start, {columns}, compacted) "
                "SELECT *, true FROM events_figure_expected()"
            )
    return wrong
