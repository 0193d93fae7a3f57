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


# --- limits: refused before decoding ----------------------------------------------------------------


def png_header_only(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of width × height of zeros, made without a bitmap in memory: a few KB on
    disk for what would be width × height pixels once decoded (a decompression bomb)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit, greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def image_bytes(fmt: str, size=(64, 48), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, 128).save(out, fmt)
    return out.getvalue()


@pytest.fixture
def no_decoding(monkeypatch):
    """Fails the test if any image is decoded (its pixels loaded) while it runs."""
    from PIL import ImageFile

    decoded = []

    def spying(original):
        def spy(self, *args, **kwargs):
            if getattr(self, "fp", None) is None and not getattr(self, "filename", ""):
                return original(self, *args, **kwargs)  # an image made in memory (by the test), not read
            decoded.append(self.size)
            raise AssertionError(f"an image of {self.size} was decoded")

        return spy

    monkeypatch.setattr(ImageFile.ImageFile, "load", spying(ImageFile.ImageFile.load))
    monkeypatch.setattr(Image.Image, "load", spying(Image.Image.load))
    return decoded


def test_a_small_png_of_11000_by_11000_pixels_is_413_before_anything_is_decoded(api, report, no_decoding):
    bomb = png_header_only(11_000, 11_000)
    assert len(bomb) < 100_000  # small on the wire, 121 megapixels once decoded
    event = report("gridworker")
    response = upload(api, "gridworker", event, bomb, name="photo.png")
    assert response.status_code == 413
    assert "40" in response.json()["detail"]  # at most 40 megapixels
    assert no_decoding == []
    assert not Attachment.objects.filter(event=event).exists()


def test_the_pixel_cap_is_read_from_the_header_and_pillow_keeps_a_backstop(monkeypatch, no_decoding):
    # Anything that opens an image without these checks still meets Pillow's own limit.
    assert Image.MAX_IMAGE_PIXELS == attachments.MAX_PIXELS == 40_000_000
    monkeypatch.setattr(attachments, "MAX_PIXELS", 1000)
    with pytest.raises(attachments.TooLarge, match="40 × 30"):
        attachments.check_header(SimpleUploadedFile("a.png", image_bytes("PNG", (40, 30))))  # 1200 px
    assert attachments.check_header(SimpleUploadedFile("a.png", image_bytes("PNG", (40, 25)))) == ("PNG", 40, 25)
    assert no_decoding == []


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF", "ICO"])
def test_formats_phones_do_not_make_are_415_without_decoding(api, report, no_decoding, fmt):
    event = report("gridworker")
    response = upload(api, "gridworker", event, image_bytes(fmt, mode="RGB" if fmt != "GIF" else "P"))
    assert response.status_code == 415, response.json()
    assert "JPEG, PNG, WebP" in response.json()["detail"]
    assert no_decoding == []


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_jpeg_png_and_webp_are_taken(api, report, fmt):
    event = report("gridworker")
    response = upload(api, "gridworker", event, image_bytes(fmt), name=f"photo.{fmt.lower()}")
    assert response.status_code == 201, response.json()


def test_more_photos_than_the_cap_in_one_request_are_413_and_none_is_opened(api, report, monkeypatch):
    opened = []
    monkeypatch.setattr(attachments, "check_header", lambda upload: opened.append(upload))
    event = report("gridworker")
    files = [SimpleUploadedFile(f"p{i}.jpg", image_bytes("JPEG")) for i in range(attachments.MAX_FILES + 1)]
    response = api.as_user("gridworker").post(
        f"/api/events/{event.pk}/attachments/", {"image": files}, format="multipart"
    )
    assert response.status_code == 413
    assert "9" in response.json()["detail"]
    assert opened == []
    assert not Attachment.objects.filter(event=event).exists()
    # At the cap, all are taken, in one step.
    files = [SimpleUploadedFile(f"p{i}.jpg", image_bytes("JPEG")) for i in range(2)]
    response = api.as_user("gridworker").post(
        f"/api/events/{event.pk}/attachments/", {"image": files}, format="multipart"
    )
    assert response.status_code == 201
    assert len(response.json()) == 2


def test_a_request_over_the_total_size_is_413(api, report, monkeypatch):
    one = jpeg_with_gps()
    monkeypatch.setattr(attachments, "MAX_REQUEST_BYTES", int(len(one) * 1.5))
    event = report("gridworker")
    files = [SimpleUploadedFile(f"p{i}.jpg", one) for i in range(2)]
    response = api.as_user("gridworker").post(
        f"/api/events/{event.pk}/attachments/", {"image": files}, format="multipart"
    )
    assert response.status_code == 413
    assert "MB" in response.json()["detail"]
    assert not Attachment.objects.filter(event=event).exists()


def test_a_request_declaring_too_many_bytes_is_refused_before_its_body_is_parsed(api, report, monkeypatch):
    from django.http import HttpRequest

    parsed = []
    monkeypatch.setattr(HttpRequest, "_load_post_and_files", lambda self: parsed.append(1))
    monkeypatch.setattr(attachments, "MAX_REQUEST_BYTES", 1000)
    event = report("gridworker")
    response = api.as_user("gridworker").post(
        f"/api/events/{event.pk}/attachments/",
        {"image": SimpleUploadedFile("p.jpg", jpeg_with_gps((2000, 2000)))},
        format="multipart",
    )
    assert response.status_code == 413
    assert parsed == []


def test_the_event_page_refuses_a_bomb_as_after_photo_before_decoding(client, drive, no_decoding):
    from accounts.models import User

    event = drive("in_progress")
    client.force_login(User.objects.get(username="police"))
    response = client.post(
        f"/events/{event.pk}/act/",
        {"action": "handle", "reason": "已处置", "photo": SimpleUploadedFile("p.png", png_header_only(11_000, 11_000))},
    )
    assert response.status_code == 413
    assert no_decoding == []
    event.refresh_from_db()
    assert event.state == "in_progress"
    assert not Attachment.objects.filter(event=event).exists()


def test_djangos_own_cap_on_file_parts_is_a_json_413_not_a_bare_400(api, report, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    event = report("gridworker")
    files = [SimpleUploadedFile(f"p{i}.jpg", image_bytes("JPEG")) for i in range(3)]
    response = api.as_user("gridworker").post(
        f"/api/events/{event.pk}/attachments/", {"image": files}, format="multipart"
    )
    assert response.status_code == 413
    assert response.json()["detail"]
