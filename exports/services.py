"""Every write of export jobs: start one, run it (in a worker), purge the expired ones."""

from __future__ import annotations

import logging
import tempfile
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inbox.services import inbox_send

from .models import ExportJob, JobState
from .registry import exporter_for

log = logging.getLogger(__name__)

PROGRESS_SECONDS = 0.5  # how often a running job writes its row count (the page polls it)


def keep_for() -> timedelta:
    return timedelta(hours=settings.EXPORT_KEEP_HOURS)


def export_start(*, user, kind: str, params: dict, rows_total: int | None = None) -> ExportJob:
    """Queues an export of `kind` for `user`; a worker writes it after the commit (`exports.run`).
    `rows_total` is the exporter's count when the caller already made it. Raises ValidationError for
    an unknown kind or parameters the exporter refuses."""
    exporter = exporter_for(kind)
    if exporter is None:
        raise ValidationError({"kind": [_("Nothing called %(kind)s can be exported.") % {"kind": kind}]})
    errors = exporter.check(params) if exporter.check is not None else {}
    if errors:
        raise ValidationError(errors)
    if rows_total is None:
        rows_total = exporter.count(user, params)
    job = ExportJob.objects.create(
        user=user,
        kind=kind,
        params=params,
        title=exporter.title(params)[:200],
        filename=exporter.filename(params)[:200],
        rows_total=rows_total,
        expires_at=timezone.now() + keep_for(),
    )
    from .tasks import export_run_task

    transaction.on_commit(lambda: export_run_task.delay(job.pk), robust=True)
    return job


def export_run(*, job_id: int, now: datetime | None = None) -> ExportJob | None:
    """Writes the file of a queued (or interrupted) job and tells its requester through the inbox.
    A finished job is left alone, so a repeated task changes nothing; a job whose worker died is
    written again from the start. Each progress write is its own statement (not held in a
    transaction), so the page sees the count move."""
    job = ExportJob.objects.select_related("user").filter(pk=job_id).first()
    if job is None or job.state in (JobState.DONE, JobState.FAILED):
        return job
    exporter = exporter_for(job.kind)
    started = now or timezone.now()
    ExportJob.objects.filter(pk=job_id).update(state=JobState.RUNNING, started_at=started, rows_done=0, error="")
    last = time.monotonic()

    def progress(rows: int) -> None:
        nonlocal last
        if time.monotonic() - last >= PROGRESS_SECONDS:
            last = time.monotonic()
            ExportJob.objects.filter(pk=job_id).update(rows_done=rows)

    try:
        if exporter is None:
            raise LookupError(f"no exporter registered for {job.kind!r}")
        with tempfile.TemporaryFile() as handle:
            rows = exporter.write(job.user, job.params, handle, progress)
            handle.seek(0)
            job.file.save(job.filename, File(handle), save=False)
    except Exception:
        log.exception("export %s (%s) failed", job_id, job.kind)
        ExportJob.objects.filter(pk=job_id).update(
            state=JobState.FAILED, finished_at=timezone.now(), error=_("The file could not be written.")
        )
        inbox_send(
            users=[job.user_id],
            kind="export_failed",
            message=_("Your export “%(title)s” could not be written. Please try again.") % {"title": job.title},
            subject=job,
        )
        job.refresh_from_db()
        return job
    finished = timezone.now()
    ExportJob.objects.filter(pk=job_id).update(
        state=JobState.DONE,
        file=job.file.name,
        rows_done=rows,
        rows_total=rows,
        finished_at=finished,
        expires_at=finished + keep_for(),
    )
    inbox_send(
        users=[job.user_id],
        kind="export_ready",
        message=_("Your export “%(title)s” is ready (%(rows)s rows). It is kept for a day.")
        % {"title": job.title, "rows": f"{rows:,}"},
        subject=job,
    )
    job.refresh_from_db()
    return job


def export_purge(*, now: datetime | None = None) -> int:
    """Deletes the jobs past their day, with their files. Returns how many."""
    now = now or timezone.now()
    expired = list(ExportJob.objects.filter(expires_at__lt=now))
    for job in expired:
        if job.file:
            job.file.delete(save=False)
    ExportJob.objects.filter(pk__in=[job.pk for job in expired]).delete()
    return len(expired)
