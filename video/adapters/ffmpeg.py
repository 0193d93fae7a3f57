"""One frame of a live stream as a JPEG, by ffmpeg (servers without a snapshot API)."""

from __future__ import annotations

import shutil
import subprocess

from .base import AdapterError

FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"
TIMEOUT = 20


def grab_frame(url: str, *, timeout: int = TIMEOUT) -> bytes:
    """The first decodable frame of `url` (HLS or RTMP) as JPEG bytes; AdapterError when none comes."""
    command = [
        FFMPEG,
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-rw_timeout",
        "10000000",
        "-i",
        url,
        "-frames:v",
        "1",
        "-q:v",
        "3",
        "-f",
        "image2",
        "-vcodec",
        "mjpeg",
        "pipe:1",
    ]
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AdapterError(f"ffmpeg: {exc}") from None
    if done.returncode != 0 or not done.stdout.startswith(b"\xff\xd8"):
        raise AdapterError(f"ffmpeg could not grab a frame: {done.stderr.decode(errors='replace')[:300]}")
    return done.stdout
