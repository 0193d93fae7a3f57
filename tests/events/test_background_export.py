"""A large export runs in the background: the job, its progress, the file in the inbox, its owner only;
the report sheet's figures are the statistics' own."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import User
from events.exporters import report_period, report_periods
from events.selectors import stats_summary
from exports.models import ExportJob
from exports.services import export_purge, export_run
from inbox.models import Notification

pytestmark = pytest.mark.django_db


def workbook_rows(job: ExportJob) -> list[list]:
    with job.file.open("rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


@pytest.fixture
def three(report):
    return [report("gridworker", description=f"井盖缺失 {k}") for k in range(3)]


def test_a_list_above_the_limit_becomes_a_job_and_its_file_arrives_in_the_inbox(
    api, three, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_SYNC_ROWS = 2
    with django_capture_on_commit_callbacks() as callbacks:
        response = api.as_user("hangtianlu").get("/api/events/export/", {"search": "井盖"})
    assert response.status_code == 202
    body = response.json()
    assert (body["state"], body["rows_total"], body["download_url"]) == ("queued", 3, None)
    assert len(callbacks) == 1  # the worker is asked once, after the commit

    job = export_run(job_id=body["id"])  # what the worker runs
    assert (job.state, job.rows_done) == ("done", 3)
    rows = workbook_rows(job)
    assert sorted(row[3] for row in rows[1:]) == ["井盖缺失 0", "井盖缺失 1", "井盖缺失 2"]
    [message] = Notification.objects.filter(user__username="hangtianlu", kind="export_ready")
    assert message.subject_url == f"/exports/{job.pk}/"

    status = api.as_user("hangtianlu").get(f"/api/exports/{job.pk}/").json()
    assert (status["state"], status["percent"], status["download_url"]) == (
        "done",
        100,
        f"/exports/{job.pk}/download/",
    )


def test_the_file_is_its_requesters_alone(api, three, settings, client):
    settings.EXPORT_SYNC_ROWS = 0
    job_id = api.as_user("hangtianlu").get("/api/events/export/").json()["id"]
    export_run(job_id=job_id)
    client.force_login(User.objects.get(username="hangtianlu"))
    response = client.get(f"/exports/{job_id}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content)[:2] == b"PK"  # a zip: the .xlsx
    client.force_login(User.objects.get(username="duty"))  # sees every event, not this file
    assert client.get(f"/exports/{job_id}/download/").status_code == 404
    assert client.get(f"/exports/{job_id}/").status_code == 404
    assert api.as_user("duty").get(f"/api/exports/{job_id}/").status_code == 404


def test_the_scope_is_applied_when_the_file_is_written(api, report, settings):
    settings.EXPORT_SYNC_ROWS = 0
    report("gridworker", description="航天路的")
    response = api.as_user("yongning").post("/api/exports/", {"kind": "events"}, format="json")  # another town
    job_id = response.json()["id"]
    job = export_run(job_id=job_id)
    assert job.rows_done == 0 and len(workbook_rows(job)) == 1  # the header only


def test_a_job_is_kept_for_a_day_then_deleted_with_its_file(api, three, settings):
    settings.EXPORT_SYNC_ROWS = 0
    job = export_run(job_id=api.as_user("hangtianlu").get("/api/events/export/").json()["id"])
    path = job.file.path
    assert export_purge(now=timezone.now() + timedelta(hours=23)) == 0
    assert export_purge(now=timezone.now() + timedelta(hours=25)) == 1
    assert not ExportJob.objects.filter(pk=job.pk).exists()
    import os

    assert not os.path.exists(path)


def test_a_repeated_task_changes_nothing_and_an_interrupted_one_is_written_again(api, three, settings):
    settings.EXPORT_SYNC_ROWS = 0
    job_id = api.as_user("hangtianlu").get("/api/events/export/").json()["id"]
    ExportJob.objects.filter(pk=job_id).update(state="running", rows_done=1)  # its worker died
    first = export_run(job_id=job_id)
    assert (first.state, first.rows_done) == ("done", 3)
    again = export_run(job_id=job_id)
    assert again.file.name == first.file.name
    assert Notification.objects.filter(kind="export_ready").count() == 1


def test_the_page_answers_a_small_list_at_once_and_shows_a_large_one_in_progress(client, three, settings):
    client.force_login(User.objects.get(username="hangtianlu"))
    form = {"kind": "events", "query": "search=井盖", "next": "/api/events/export/"}
    response = client.post("/exports/start/", form)
    assert response.status_code == 302
    assert response["Location"] == "/api/events/export/?search=%E4%BA%95%E7%9B%96"  # 井盖
    settings.EXPORT_SYNC_ROWS = 2
    response = client.post("/exports/start/", form)
    job = ExportJob.objects.get(user__username="hangtianlu")
    assert response["Location"] == f"/exports/{job.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "<progress" in page and f'data-status-url="/api/exports/{job.pk}/"' in page
    assert client.post("/exports/start/", {**form, "kind": "nothing"}).status_code == 404
    # `next` must be a path of this site, never another site.
    settings.EXPORT_SYNC_ROWS = 100
    response = client.post("/exports/start/", {**form, "next": "//evil.example/"})
    assert response["Location"].startswith("/exports/")


def test_an_unknown_kind_is_a_clear_400(api):
    response = api.as_user("hangtianlu").post("/api/exports/", {"kind": "nothing"}, format="json")
    assert response.status_code == 400 and "kind" in response.json()


def test_a_bad_report_period_is_a_clear_400(api):
    response = api.as_user("duty").post(
        "/api/exports/", {"kind": "events.report", "query": "period=2026-13"}, format="json"
    )
    assert response.status_code == 400 and "query" in response.json()


def test_the_report_sheet_holds_the_statistics_figures_by_town_and_category(api, drive, settings):
    closed = drive("closed")
    drive("dispatched")
    month = timezone.localdate().strftime("%Y-%m")
    response = api.as_user("duty").post(
        "/api/exports/", {"kind": "events.report", "query": f"period={month}"}, format="json"
    )
    assert response.status_code == 202
    job = export_run(job_id=response.json()["id"])
    assert job.state == "done", job.error
    rows = workbook_rows(job)
    town = closed.origin_center.parent.name
    period, _label = report_period(month)
    from accounts.scope import scope_for

    events = scope_for(User.objects.get(username="duty")).events()
    expected = stats_summary(events.filter(origin_center__path__startswith=closed.origin_center.parent.path), period)
    totals = next(row for row in rows if row[0] == town and row[1] in ("合计", "Total"))
    assert totals[2:6] == [
        expected["totals"]["reported"],
        expected["totals"]["due"],
        expected["totals"]["closed"],
        expected["totals"]["closed_on_time"],
    ]
    assert totals[2] == 2 and totals[4] == 1
    # Every town of the district has its total row, even with nothing reported.
    assert sum(1 for row in rows if row[1] in ("合计", "Total")) == 9


def test_the_offered_periods_are_this_month_and_two_before_and_two_quarters():
    from datetime import date

    values = [value for value, _label in report_periods(date(2026, 1, 15))]
    assert values == ["2026-01", "2025-12", "2025-11", "2026-Q1", "2025-Q4"]
    assert all(report_period(value) for value in values)
    assert report_period("2026-13") is None and report_period("2026-Q5") is None
    period, _label = report_period("2025-Q4")
    assert (period.end - period.start).days == 92
