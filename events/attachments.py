"""Photos: decoded to prove they are images, re-encoded without metadata, thumbnailed."""

from __future__ import annotations

import io

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = getattr(settings, "ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
MAX_SIDE = 2560
THUMB_SIDE = 320
Image.MAX_IMAGE_PIXELS = 60_000_000  # refuse decompression bombs early


class TooLarge(Exception):
    """Answered 413."""


class NotAnImage(Exception):
    """Answered 415."""


def clean_image(upload) -> tuple[ContentFile, ContentFile, int]:
    """(image, thumbnail, size) as JPEG files without EXIF (no GPS position, no camera serial)."""
    if upload.size > MAX_BYTES:
        raise TooLarge(
            _("The photo is too large: %(size).1f MB, at most %(max)d MB.")
            % {"size": upload.size / 1048576, "max": MAX_BYTES // 1048576}
        )
    try:
        with Image.open(upload) as probe:
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as original:
            original.load()
            image = ImageOps.exif_transpose(original)  # keep the orientation, then drop the metadata
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise NotAnImage(_("This file is not an image (JPEG, PNG, WebP, GIF or HEIF).")) from None
    image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    full = io.BytesIO()
    image.save(full, "JPEG", quality=85, optimize=True)  # a fresh file: no EXIF, no XMP
    thumb = image.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    small = io.BytesIO()
    thumb.save(small, "JPEG", quality=75)
    return ContentFile(full.getvalue(), "photo.jpg"), ContentFile(small.getvalue(), "thumb.jpg"), full.tell()
