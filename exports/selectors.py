"""Reads of export jobs: a user sees only their own."""

from .models import ExportJob


def export_job_of(*, user, job_id) -> ExportJob | None:
    """`user`'s job `job_id`, or None (another user's job is not found, as for any object out of scope)."""
    if not user.is_authenticated:
        return None
    try:
        return ExportJob.objects.filter(pk=int(job_id), user=user).first()
    except (TypeError, ValueError):
        return None
