"""Photos: checked from their header before anything is decoded, then decoded to prove they are
images, re-encoded without metadata, thumbnailed.

Every path that takes an upload (the API's attachments endpoint, the event page's forms) goes
through `check_request` for the request as a whole and `clean_image` for each file.

The order matters (OWASP file upload guidance): the cheap checks (declared size, number of files,
the format and pixel count read from the header) refuse a hostile file before a single pixel is
decoded, so a 50 KB PNG declaring 11,000 × 11,000 pixels (a 363 MB bitmap once decoded) costs a
few hundred bytes of reading, not the memory of the decoded image.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, ImageOps, UnidentifiedImageError

MB = 1024 * 1024
MAX_BYTES = getattr(settings, "ATTACHMENT_MAX_BYTES", 10 * MB)
MAX_REQUEST_BYTES = getattr(settings, "ATTACHMENT_MAX_REQUEST_BYTES", 20 * MB)
MAX_FILES = getattr(settings, "ATTACHMENT_MAX_FILES", 9)
MAX_PIXELS = getattr(settings, "ATTACHMENT_MAX_PIXELS", 40_000_000)
MAX_SIDE = 2560
THUMB_SIDE = 320

# What phone cameras and the report page (which re-encodes to JPEG in the browser) produce.
# HEIC/HEIF is not among them: Pillow reads it only through the pillow-heif plugin (libheif),
# which this platform does not install; iPhones hand browsers a JPEG when a page asks for an image.
# Pillow's name for each format, and the name people know it by.
ALLOWED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}

# The backstop: should any code open an image without these checks, Pillow itself refuses a
# picture of more than twice this many pixels (DecompressionBombError, raised by Image.open from
# the header). Its warning between once and twice the cap is silenced: `check_header` refuses
# those pictures itself, with their size in the message.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


class TooLarge(Exception):
    """Answered 413: too many bytes, files or pixels."""


class NotAnImage(Exception):
    """Answered 415: not an image, or not one of the allowed formats."""


def _megabytes(n: int) -> str:
    return f"{n / MB:.1f}"


def check_content_length(value) -> None:
    """Refuses a request whose declared size (the Content-Length header) is over the limit for
    all its photos (TooLarge): called before the body is parsed, so nothing of it is read."""
    try:
        declared = int(value)
    except (TypeError, ValueError):
        return  # none declared: the files' own sizes are checked once parsed
    if declared > MAX_REQUEST_BYTES + MB:  # + room for the form's other fields and part headers
        raise TooLarge(
            _("The request is too large: %(size)s MB, at most %(max)d MB in all.")
            % {"size": _megabytes(declared), "max": MAX_REQUEST_BYTES // MB}
        )


def check_request(uploads: Sequence, *, content_length=None) -> None:
    """Refuses a request with too many files or too many bytes, in all or in one file (TooLarge),
    before any file is opened."""
    check_content_length(content_length)
    if len(uploads) > MAX_FILES:
        raise TooLarge(
            ngettext(
                "Too many photos: at most %(max)d photo at a time.",
                "Too many photos: at most %(max)d photos at a time.",
                MAX_FILES,
            )
            % {"max": MAX_FILES}
        )
    total = sum(upload.size or 0 for upload in uploads)
    if total > MAX_REQUEST_BYTES:
        raise TooLarge(
            _("The photos are too large together: %(size)s MB, at most %(max)d MB in all.")
            % {"size": _megabytes(total), "max": MAX_REQUEST_BYTES // MB}
        )
    for upload in uploads:
        check_size(upload)


def check_size(upload) -> None:
    """Refuses a file over the per-file limit (TooLarge)."""
    if (upload.size or 0) > MAX_BYTES:
        raise TooLarge(
            _("The photo is too large: %(size)s MB, at most %(max)d MB.")
            % {"size": _megabytes(upload.size), "max": MAX_BYTES // MB}
        )


def _not_an_image() -> NotAnImage:
    return NotAnImage(
        _("This file is not a photo in an accepted format (%(formats)s).")
        % {"formats": ", ".join(ALLOWED_FORMATS.values())}
    )


def _too_many_pixels() -> TooLarge:
    return TooLarge(_("The photo has too many pixels: at most %(max)d megapixels.") % {"max": MAX_PIXELS // 10**6})


def check_header(upload) -> tuple[str, int, int]:
    """(format, width, height) read from the file's header alone: `Image.open` reads the header
    and decodes nothing. Refuses a format phones do not make (NotAnImage) and a picture of more
    than MAX_PIXELS pixels (TooLarge), however small the file."""
    upload.seek(0)
    try:
        with Image.open(upload, formats=list(ALLOWED_FORMATS)) as probe:
            image_format, (width, height) = probe.format, probe.size
    except Image.DecompressionBombError:  # over twice the cap: Pillow's backstop answered first
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _not_an_image() from None
    finally:
        upload.seek(0)
    if image_format not in ALLOWED_FORMATS:
        raise _not_an_image()
    if width * height > MAX_PIXELS:
        raise TooLarge(
            _("The photo has too many pixels: %(width)d × %(height)d, at most %(max)d megapixels.")
            % {"width": width, "height": height, "max": MAX_PIXELS // 10**6}
        )
    return image_format, width, height


def clean_image(upload) -> tuple[ContentFile, ContentFile, int]:
    """(image, thumbnail, size) as JPEG files without EXIF (no GPS position, no camera serial).
    Raises TooLarge or NotAnImage; the size, format and pixel checks come before any decoding."""
    check_size(upload)
    check_header(upload)
    try:
        with Image.open(upload, formats=list(ALLOWED_FORMATS)) as probe:
            probe.verify()  # the structure and checksums, still without decoding the pixels
        upload.seek(0)
        with Image.open(upload, formats=list(ALLOWED_FORMATS)) as original:
            # A JPEG is decoded straight at 1/2, 1/4 or 1/8 scale when still larger than kept
            # (DCT scaling): a 40-megapixel photo costs a quarter of the memory and time.
            original.draft("RGB", (MAX_SIDE, MAX_SIDE))
            original.load()
            image = ImageOps.exif_transpose(original)  # keep the orientation, then drop the metadata
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _not_an_image() from None
    image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    full = io.BytesIO()
    image.save(full, "JPEG", quality=85, optimize=True)  # a fresh file: no EXIF, no XMP
    thumb = image.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    small = io.BytesIO()
    thumb.save(small, "JPEG", quality=75)
    return ContentFile(full.getvalue(), "photo.jpg"), ContentFile(small.getvalue(), "thumb.jpg"), full.tell()
