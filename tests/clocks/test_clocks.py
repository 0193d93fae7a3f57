"""The shared clocks: calendars seen as soon as they are edited, the sweep driver, the layering."""

import ast
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from clocks import cache, sweep
from clocks.calendars import ROUND_THE_CLOCK, WorkingHours
from clocks.models import Calendar, SpecialDay

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.django_db
def test_a_calendar_edit_is_counted_at_once():
    office = Calendar.objects.create(name="测试日历", periods=[["09:00", "12:00"]])
    assert cache.calendar(office.pk).periods == [(time(9), time(12))]
    office.periods = [["08:30", "11:30"]]
    office.save()
    assert cache.calendar(office.pk).periods == [(time(8, 30), time(11, 30))]
    office.round_the_clock = True
    office.save()
    assert cache.calendar(office.pk) is ROUND_THE_CLOCK
    office.delete()
    assert cache.calendar(office.pk) is ROUND_THE_CLOCK  # a center whose calendar went counts every minute


@pytest.mark.django_db
def test_a_new_holiday_is_counted_at_once():
    office = Calendar.objects.create(name="测试日历", periods=[["09:00", "17:00"]])
    monday = date(2031, 3, 3)
    assert cache.calendar(office.pk).is_workday(monday)
    SpecialDay.objects.create(date=monday, workday=False, name="测试假日")
    calendar = cache.calendar(office.pk)
    assert isinstance(calendar, WorkingHours) and not calendar.is_workday(monday)
    start = datetime(2031, 3, 3, 9, tzinfo=SHANGHAI)
    assert calendar.add(start, 60) == datetime(2031, 3, 4, 10, tzinfo=SHANGHAI)


@pytest.mark.django_db(transaction=True)
def test_the_driver_runs_batches_until_one_is_short_each_in_its_own_transaction():
    from django.db import connection

    claims, transactions = [2, 2, 1, 2], []

    def step(cursor, now, batch_size):
        cursor.execute("SELECT txid_current()")
        transactions.append(cursor.fetchone()[0])
        return claims.pop(0)

    assert sweep.run(step, now=datetime.now(SHANGHAI), batch_size=2) == 3
    assert claims == [2]  # the short batch ended the sweep
    assert len(set(transactions)) == 3
    assert connection.get_autocommit()
    assert sweep.run(lambda cursor, now, size: 0, now=datetime.now(SHANGHAI), batch_size=2) == 0


def test_the_events_register_their_sweep():
    from events import engine

    assert sweep.registered()["events"] is engine.sweep


@pytest.mark.django_db
def test_the_beat_task_sweeps_every_registered_case_type(monkeypatch):
    seen = []
    monkeypatch.setattr(sweep, "_SWEEPS", {"a": lambda now: seen.append(("a", now)), "b": lambda now: "b"})
    from clocks.tasks import sweep_task

    sweep_task.apply()
    assert [name for name, _ in seen] == ["a"]


def _imports(package: Path) -> set[str]:
    found = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
    return found


def test_imports_run_one_way_clocks_imports_no_app_above_it():
    above = {"events", "disputes", "video", "grids", "wenjiang_ops"}
    assert not _imports(ROOT / "clocks") & (above | {"accounts", "inbox"})
