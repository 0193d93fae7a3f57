"""Photos: images only (decoded), size limit, metadata stripped, thumbnails."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from events import attachments
from events.models import Attachment

pytestmark = pytest.mark.django_db


def jpeg_with_gps(size=(1200, 900)) -> bytes:
    image = Image.new("RGB", size, (200, 80, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (30.0, 41.0, 42.0), 3: "E", 4: (103.0, 50.0, 2.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def upload(api, username, event, content, name="photo.jpg", kind="report"):
    return api.as_user(username).post(
        f"/api/events/{event.pk}/attachments/",
        {"image": SimpleUploadedFile(name, content), "kind": kind},
        format="multipart",
    )


def test_a_photo_is_stored_without_its_location_and_with_a_thumbnail(api, report):
    event = report("gridworker")
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the test photo has a GPS position
    response = upload(api, "gridworker", event, original)
    assert response.status_code == 201, response.json()
    stored = Attachment.objects.get(pk=response.json()[0]["id"])
    with Image.open(stored.image.path) as image:
        assert not image.getexif()  # no EXIF at all: no GPS, no camera
        assert image.size == (1200, 900)
    with Image.open(stored.thumbnail.path) as thumb:
        assert max(thumb.size) == 320
    # A reporter's photo joins the report step of the timeline.
    assert stored.action.action == "report"


def test_a_file_that_is_not_an_image_is_415_whatever_its_name(api, report):
    event = report("gridworker")
    response = upload(api, "gridworker", event, b"%PDF-1.4 not an image", name="photo.jpg")
    assert response.status_code == 415
    assert response.json()["detail"]
    assert not Attachment.objects.filter(event=event).exists()


def test_a_photo_over_the_limit_is_413(api, report, monkeypatch):
    monkeypatch.setattr(attachments, "MAX_BYTES", 10_000)
    event = report("gridworker")
    response = upload(api, "gridworker", event, jpeg_with_gps((2000, 2000)))
    assert response.status_code == 413
    assert "MB" in response.json()["detail"]
    assert not Attachment.objects.filter(event=event).exists()


def test_no_file_is_400_and_someone_elses_event_is_404(api, report):
    event = report("gridworker")
    assert (
        api.as_user("gridworker").post(f"/api/events/{event.pk}/attachments/", {}, format="multipart").status_code
        == 400
    )
    assert upload(api, "chengwu", event, jpeg_with_gps()).status_code == 404


def test_an_after_photo_goes_with_the_handling_step(api, drive):
    event = drive("in_progress")
    photo = upload(api, "police", event, jpeg_with_gps(), kind="after").json()[0]
    body = api.as_user("police").post(
        f"/api/events/{event.pk}/actions/",
        {"action": "handle", "reason": "已修复", "attachments": [photo["id"]]},
        format="json",
    )
    assert body.status_code == 200
    handle = event.actions.get(action="handle")
    assert list(handle.attachments.values_list("id", flat=True)) == [photo["id"]]
    # A photo serves one step only.
    again = api.as_user("hangtianlu").post(
        f"/api/events/{event.pk}/actions/",
        {"action": "verify_fail", "reason": "x", "attachments": [photo["id"]]},
        format="json",
    )
    assert again.status_code == 400
