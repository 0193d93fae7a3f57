"""Fills the benchmark database with N events (default 1,000,000) by SQL, spread over two years,
every community and grid, all states. For the list benchmark only: `seed_demo` makes the demo."""

from __future__ import annotations

import sys
import time

from common import django_setup

SQL = """
with g as (
    select row_number() over (order by g.id) - 1 as n, g.id, g.center_id, st_pointonsurface(g.boundary) as p
    from grids_grid g
), c as (select count(*) as k from g),
cat as (select array_agg(id order by id) as ids from events_eventcategory where parent_id is not null),
rep as (select id from accounts_user where username = 'duty')
insert into events_event (
    client_id, category_id, description, location, address, urgent, urgent_requested, source, reporter_id, grid_id,
    origin_center_id,
    center_id, level, state, suspended_from, light, supervision, extension, extension_days, phase, phase_started_at,
    due_at, deadline, accept_due_at, created_at, accepted_at, closed_at, updated_at, returns, reworks, escalations,
    clock_cycle, clock_marks
)
select
    md5(%(salt)s || i::text)::uuid,
    cat.ids[1 + (i * 7919) %% array_length(cat.ids, 1)],
    '基准测试事件 ' || i,
    g.p, '', (i %% 25 = 0), false, (array['patrol','volunteer','citizen','video','iot'])[1 + i %% 5], rep.id, g.id,
    g.center_id, g.center_id, 'community',
    case when i %% 20 = 0 then (array['reported','accepted','dispatched','in_progress','handled'])[1 + (i / 20) %% 5]
         else 'closed' end,
    '', 'green', 'none', 'none', 0, '', null,
    t + interval '3 days', t + interval '3 days', t + interval '2 hours', t, t + interval '40 minutes',
    case when i %% 20 = 0 then null else least(t + interval '30 hours', now()) end, t, 0, 0, 0, 0, 0
from generate_series(%(start)s::bigint, %(stop)s::bigint - 1) as i
cross join c cross join cat cross join rep
join g on g.n = (i * 2654435761) %% c.k
cross join lateral (select now() - (((i * 40503) %% 1051200) || ' minutes')::interval as t) tt
on conflict (client_id) do nothing
"""


# How full the table's pages are with live rows, on average over a sample of pages (1 %, always the
# same ones). Rows written since the table has its fillfactor leave that much free space on each page,
# room for the HOT updates the engine relies on; rows written before it fill their pages whole.
PAGE_FILL = """
SELECT coalesce(avg(bytes), 0) / current_setting('block_size')::int FROM (
    SELECT sum(pg_column_size(e.*) + 4) AS bytes FROM events_event e TABLESAMPLE SYSTEM (1) REPEATABLE (1)
    GROUP BY (ctid::text::point)[0]
) pages
"""
FILLFACTOR = """
SELECT coalesce((SELECT option_value::int FROM pg_options_to_table(reloptions) WHERE option_name = 'fillfactor'), 100)
FROM pg_class WHERE oid = 'events_event'::regclass
"""


def main() -> None:
    target = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    django_setup()
    from django.db import connection

    from events.models import Event

    have = Event.objects.filter(description__startswith="基准测试事件").count()  # its own rows only
    started = time.monotonic()
    with connection.cursor() as cursor:
        if have >= target:
            print(f"{have} events already")
        else:
            step = 200_000
            # A bulk load: the dashboards' counters are rebuilt once after it (as `figures_check
            # --repair` does), not row by row by their trigger.
            cursor.execute("ALTER TABLE events_event DISABLE TRIGGER events_figure_insert_delete")
            try:
                # Every number from 0: a database filled in part before gets the rows it lacks (the
                # client ids are the numbers' hashes, so the ones it has are skipped).
                for start in range(0, target, step):
                    cursor.execute(SQL, {"start": start, "stop": min(target, start + step), "salt": "bench-"})
            finally:
                cursor.execute("ALTER TABLE events_event ENABLE TRIGGER events_figure_insert_delete")
            from events.figures import figures_check

            figures_check(repair=True)
            cursor.execute("analyze events_event")
            print(f"{target - have} events written in {time.monotonic() - started:.0f} s")
        # A database loaded before the table had its fillfactor: rewritten once, so that its pages have
        # the free space a database made today has (else the sweep's updates cannot stay on their page).
        cursor.execute(FILLFACTOR)
        fillfactor = cursor.fetchone()[0]
        cursor.execute(PAGE_FILL)
        fill = float(cursor.fetchone()[0])
        if fill > fillfactor / 100 + 0.05:
            started = time.monotonic()
            cursor.execute("VACUUM FULL events_event")
            cursor.execute("ANALYZE events_event")
            seconds = time.monotonic() - started
            print(f"pages {fill:.0%} full, fillfactor {fillfactor}: table rewritten in {seconds:.0f} s")


if __name__ == "__main__":
    main()
