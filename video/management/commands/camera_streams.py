"""Publishes the demo's live cameras: one ffmpeg test pattern per stream (demo-01 … demo-NN,
VIDEO_DEMO_STREAMS of them, at most 24), each drawing its camera's name and a clock, into the media
server's RTMP; a stream that dies is restarted. `make run` starts it beside `media_server`."""

from __future__ import annotations

import logging
import signal

from django.conf import settings
from django.core.exceptions import FieldError
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from video.runtime.streams import PATTERNS, Supervisor, TestPattern

MAX_STREAMS = 24


def demo_stream_names(count: int) -> list[str]:
    return [f"demo-{n:02d}" for n in range(1, count + 1)]


def camera_labels(streams: list[str]) -> dict[str, str]:
    """The registered name of the camera carried by each stream, where the registry has one."""
    try:
        from video.models import Camera

        return dict(Camera.objects.filter(stream__in=streams).values_list("stream", "name"))
    except (ImportError, FieldError, DatabaseError):  # no registry yet: the stream's name is drawn instead
        return {}


class Command(BaseCommand):
    help = "Publish test-pattern cameras (ffmpeg → RTMP) for the demo's live cameras; restart any that dies."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=None, help="how many streams (default VIDEO_DEMO_STREAMS)")
        parser.add_argument("--rtmp", default=None, help="RTMP base URL (default VIDEO_MEDIA_RTMP_URL)")
        parser.add_argument("--size", default="320x180", help="picture size, WxH (default 320x180)")
        parser.add_argument("--fps", type=int, default=10)

    def handle(self, *args, **options):
        logging.basicConfig(level=logging.INFO, format="camera_streams: %(message)s")
        count = options["count"] if options["count"] is not None else settings.VIDEO_DEMO_STREAMS
        if not 0 <= count <= MAX_STREAMS:
            raise CommandError(f"--count must be between 0 and {MAX_STREAMS} (CPU: each stream is an encoder)")
        try:
            width, height = (int(v) for v in options["size"].lower().split("x"))
        except ValueError as exc:
            raise CommandError("--size is WIDTHxHEIGHT, e.g. 320x180") from exc
        if not (16 <= width <= 1920 and 16 <= height <= 1080) or not 1 <= options["fps"] <= 30:
            raise CommandError("--size up to 1920x1080, --fps from 1 to 30")
        rtmp = options["rtmp"] or settings.VIDEO_MEDIA_RTMP_URL
        streams = demo_stream_names(count)
        labels = camera_labels(streams)
        cameras = [
            TestPattern(
                stream=stream,
                label=labels.get(stream, stream),
                width=width,
                height=height,
                fps=options["fps"],
                pattern=PATTERNS[i % len(PATTERNS)],
            )
            for i, stream in enumerate(streams)
        ]
        if not cameras:
            self.stdout.write("camera_streams: no streams asked for (VIDEO_DEMO_STREAMS=0)")
            return
        supervisor = Supervisor(cameras, rtmp)
        signal.signal(signal.SIGTERM, lambda *a: supervisor.stop())
        signal.signal(signal.SIGINT, lambda *a: supervisor.stop())
        self.stdout.write(f"camera_streams: publishing {len(cameras)} test patterns to {rtmp}/demo-NN")
        supervisor.run()
