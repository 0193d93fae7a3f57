"""Photos are served only to users who may see their event (events.media), never from /media/."""

import io
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from accounts.models import User
from events.models import Attachment

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def jpeg(size=(800, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def photo(api, report) -> Attachment:
    """A report photo of an event of 航天路社区 (reported by its grid worker)."""
    event = report("gridworker")
    response = api.as_user("gridworker").post(
        f"/api/events/{event.pk}/attachments/", {"image": SimpleUploadedFile("p.jpg", jpeg())}, format="multipart"
    )
    assert response.status_code == 201
    return Attachment.objects.get(pk=response.json()[0]["id"])


def signed_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_a_photo_url_copied_out_of_the_platform_is_401_without_the_file(photo):
    for url in (f"/events/photos/{photo.pk}/", f"/events/photos/{photo.pk}/thumb/"):
        response = Client().get(url)
        assert response.status_code == 401
        assert response["Content-Type"] == "application/json"
        assert b"\xff\xd8" not in response.content  # no JPEG bytes
        assert "X-Accel-Redirect" not in response


def test_outside_the_events_scope_a_photo_is_404(photo):
    # 城武社区's staff and a volunteer of 航天路 do not see this event: its photos do not exist for them.
    for username in ("chengwu", "volunteer"):
        response = signed_in(username).get(f"/events/photos/{photo.pk}/")
        assert response.status_code == 404, username
        assert response.json()["detail"]
    assert signed_in("chengwu").get("/events/photos/999999/").status_code == 404


def test_within_scope_the_photo_is_streamed_with_private_headers(photo):
    for username in ("gridworker", "hangtianlu", "duty", "admin"):
        response = signed_in(username).get(f"/events/photos/{photo.pk}/")
        assert response.status_code == 200, username
        assert response["Content-Type"] == "image/jpeg"
        assert response["Content-Disposition"].startswith("inline;")
        assert response["Cache-Control"].startswith("private")
        assert response["X-Content-Type-Options"] == "nosniff"
        body = b"".join(response.streaming_content)
        assert body == Path(photo.image.path).read_bytes()
    thumb = signed_in("duty").get(f"/events/photos/{photo.pk}/thumb/")
    assert b"".join(thumb.streaming_content) == Path(photo.thumbnail.path).read_bytes()


def test_an_api_client_with_a_token_gets_the_photo(photo):
    from accounts.services import token_issue

    key = token_issue(user=User.objects.get(username="hangtianlu"))
    response = Client().get(f"/events/photos/{photo.pk}/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"


def test_an_img_request_accepting_only_images_gets_the_image_or_a_plain_refusal(photo):
    client = signed_in("hangtianlu")
    assert client.get(f"/events/photos/{photo.pk}/", HTTP_ACCEPT="image/jpeg").status_code == 200
    assert signed_in("chengwu").get(f"/events/photos/{photo.pk}/", HTTP_ACCEPT="image/webp").status_code == 404


def test_behind_nginx_the_view_hands_the_file_over_with_x_accel_redirect(photo, settings):
    settings.MEDIA_ACCEL_REDIRECT = True
    response = signed_in("hangtianlu").get(f"/events/photos/{photo.pk}/")
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/protected-media/" + photo.image.name
    assert response.content == b""
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"].startswith("private")
    assert response["X-Content-Type-Options"] == "nosniff"
    thumb = signed_in("hangtianlu").get(f"/events/photos/{photo.pk}/thumb/")
    assert thumb["X-Accel-Redirect"] == "/protected-media/" + photo.thumbnail.name
    # Outside the scope: no redirect header, so nginx sends nothing.
    refused = signed_in("chengwu").get(f"/events/photos/{photo.pk}/")
    assert refused.status_code == 404
    assert "X-Accel-Redirect" not in refused


def test_a_stored_name_outside_media_root_is_never_served(photo, settings):
    Attachment.objects.filter(pk=photo.pk).update(image="../../etc/passwd")
    for accel in (False, True):
        settings.MEDIA_ACCEL_REDIRECT = accel
        response = signed_in("admin").get(f"/events/photos/{photo.pk}/")
        assert response.status_code == 404
        assert "X-Accel-Redirect" not in response


def test_media_url_serves_nothing_even_in_debug(photo, settings):
    settings.DEBUG = True
    response = signed_in("admin").get("/media/" + photo.image.name)
    assert response.status_code == 404
    assert b"\xff\xd8" not in response.content


def test_the_event_page_and_the_api_point_at_the_guarded_view(photo, api):
    page = signed_in("hangtianlu").get(f"/events/{photo.event_id}/").content.decode()
    assert f"/events/photos/{photo.pk}/" in page and f"/events/photos/{photo.pk}/thumb/" in page
    assert "/media/" not in page
    detail = api.as_user("hangtianlu").get(f"/api/events/{photo.event_id}/").json()
    [shown] = detail["attachments"]
    assert shown["image"] == f"http://testserver/events/photos/{photo.pk}/"
    assert shown["thumbnail"] == f"http://testserver/events/photos/{photo.pk}/thumb/"
    timeline = api.as_user("hangtianlu").get(f"/api/events/{photo.event_id}/timeline/").json()
    assert timeline[0]["attachments"][0]["image"] == shown["image"]


def test_nginx_has_no_public_media_location_only_an_internal_one():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    locations = dict(re.findall(r"location\s+(\S+)\s*\{(.*?)\}", conf, flags=re.S))
    assert "/media/" not in locations
    public = [path for path, body in locations.items() if "/srv/media" in body and "internal;" not in body]
    assert public == []
    assert "internal;" in locations["/protected-media/"]
    assert "alias /srv/media/;" in locations["/protected-media/"]


def test_an_after_photo_waiting_for_its_step_is_seen_by_its_uploader_only(api, drive):
    event = drive("in_progress")
    response = api.as_user("police").post(
        f"/api/events/{event.pk}/attachments/",
        {"image": SimpleUploadedFile("p.jpg", jpeg()), "kind": "after"},
        format="multipart",
    )
    assert response.status_code == 201
    pending = response.json()[0]
    assert pending["action"] is None
    assert signed_in("police").get(f"/events/photos/{pending['id']}/").status_code == 200
    assert signed_in("hangtianlu").get(f"/events/photos/{pending['id']}/").status_code == 404
    assert api.as_user("hangtianlu").get(f"/api/events/{event.pk}/").json()["attachments"] == []
    # Named by the handling step, it is on the timeline, and seen by all who see the event.
    handled = api.as_user("police").post(
        f"/api/events/{event.pk}/actions/",
        {"action": "handle", "reason": "已处置", "attachments": [pending["id"]]},
        format="json",
    )
    assert handled.status_code == 200
    assert signed_in("hangtianlu").get(f"/events/photos/{pending['id']}/").status_code == 200
    assert [a["id"] for a in api.as_user("hangtianlu").get(f"/api/events/{event.pk}/").json()["attachments"]] == [
        pending["id"]
    ]


def test_the_admin_shows_photos_through_the_guarded_view_and_adds_none(photo):
    admin = signed_in("admin")
    page = admin.get(f"/admin/events/attachment/{photo.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/events/photos/{photo.pk}/thumb/" in html and "/media/" not in html
    assert admin.get("/admin/events/attachment/add/").status_code == 403
