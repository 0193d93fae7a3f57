"""Export pages: start one from a list, watch its progress, download it (its requester only)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wenjiang_ops.files import MissingFile, private_file_response

from . import services
from .models import JobState
from .registry import exporter_for
from .selectors import export_job_of


@login_required
@require_POST
def start(request):
    """From a list's "Export to Excel": a small file is answered at once (by the list's own export
    URL, `next`), a larger one becomes a background job and the browser goes to its progress page."""
    kind, query = request.POST.get("kind", ""), request.POST.get("query", "")[:2000]
    exporter = exporter_for(kind)
    if exporter is None or (exporter.check is not None and exporter.check({"query": query})):
        raise Http404(_("Nothing of that kind can be exported."))
    rows = exporter.count(request.user, {"query": query})
    direct = request.POST.get("next", "")
    if rows <= settings.EXPORT_SYNC_ROWS and direct.startswith("/") and not direct.startswith("//"):
        return redirect(f"{direct}?{query}" if query else direct)
    try:
        job = services.export_start(user=request.user, kind=kind, params={"query": query}, rows_total=rows)
    except ValidationError:
        raise Http404(_("Nothing of that kind can be exported.")) from None
    return redirect("exports:job", pk=job.pk)


@login_required
def job(request, pk: int):
    job = export_job_of(user=request.user, job_id=pk)
    if job is None:
        raise Http404(_("No such export (they are kept for a day)."))
    return render(request, "exports/job.html", {"job": job, "done": job.state == JobState.DONE})


@login_required
def download(request, pk: int):
    job = export_job_of(user=request.user, job_id=pk)
    if job is None or job.state != JobState.DONE or not job.file:
        raise Http404(_("No such export (they are kept for a day)."))
    exporter = exporter_for(job.kind)
    content_type = exporter.content_type if exporter else "application/octet-stream"
    try:
        return private_file_response(job.file, content_type=content_type, filename=job.filename, attachment=True)
    except MissingFile:
        raise Http404(_("No such export (they are kept for a day).")) from None
