"""Every kind of message the platform sends has a name a reader understands on the inbox page."""

import re
from pathlib import Path

import pytest

from inbox import kinds
from inbox.models import Notification

ROOT = Path(__file__).resolve().parents[2]


def sent_kinds() -> set[str]:
    """The kinds the apps send: the engines' message tables and the services' `_tell(…, "kind", …)`."""
    from care.engine import MESSAGES as CARE_CLOCK_MESSAGES
    from disputes.engine import MESSAGES as DISPUTE_CLOCK_MESSAGES
    from events.engine import MESSAGES as EVENT_CLOCK_MESSAGES
    from patrols.engine import MESSAGES as PATROL_CLOCK_MESSAGES

    found = {key if isinstance(key, str) else key[0] for key in DISPUTE_CLOCK_MESSAGES}
    found.update(EVENT_CLOCK_MESSAGES, CARE_CLOCK_MESSAGES, PATROL_CLOCK_MESSAGES)
    for app in ("events", "disputes", "exports", "care", "patrols", "force"):
        text = (ROOT / app / "services.py").read_text(encoding="utf-8")
        found.update(re.findall(r'_tell\(\s*[a-z_.]+,\s*(?:actor,\s*)?"([a-z_]+)"', text))
        found.update(re.findall(r'inbox_send\([^()]*?kind="([a-z_]+)"', text, flags=re.S))
    return found


def test_every_kind_sent_has_a_label():
    sent = sent_kinds()
    expected = {"overdue", "ticket", "dispute_overdue", "dispute_assigned", "export_ready", "care_lost_contact"}
    assert expected | {"patrol_missed", "recognition"} <= sent  # the scan works
    missing = sent - set(kinds.registered())
    assert not missing, f"register a label for these inbox kinds (inbox.kinds.register): {sorted(missing)}"


@pytest.mark.django_db
def test_the_inbox_page_shows_the_label_not_the_code(client, django_user_model):
    user = django_user_model.objects.create_user("reader", password="x")
    Notification.objects.create(user=user, kind="dispute_overdue", message="m1")
    Notification.objects.create(user=user, kind="something_new", message="m2")
    client.force_login(user)
    html = client.get("/inbox/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<span class="tag">Dispute overdue</span>' in html
    assert '<span class="tag">Message</span>' in html
    assert "something_new" not in html and "dispute_overdue" not in html
