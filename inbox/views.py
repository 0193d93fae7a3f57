from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from . import selectors, services


@login_required
def inbox(request):
    """My messages (催办, cards, escalations), newest first; opening the page does not mark them read.
    POST `id` marks one read, POST without it all of them."""
    if request.method == "POST":
        raw = request.POST.get("id", "")
        if not raw:
            services.inbox_mark_read(user=request.user)
        elif raw.isdigit():  # anything else marks nothing
            services.inbox_mark_read(user=request.user, notification_id=int(raw))
        return redirect("inbox")
    page = Paginator(selectors.notification_list(user=request.user), 30).get_page(request.GET.get("page"))
    return render(request, "inbox/inbox.html", {"page": page})
