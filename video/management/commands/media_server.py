"""Runs the media server in the foreground: Debian's nginx with libnginx-mod-rtmp, on the configuration
rendered from deploy/media/nginx-rtmp.conf with the ports of VIDEO_MEDIA_RTMP_URL / VIDEO_MEDIA_HLS_URL
(`make run` starts it beside the web processes; Ctrl-C or SIGTERM stops it)."""

from __future__ import annotations

import signal

from django.core.management.base import BaseCommand, CommandError

from video.runtime.nginx import MediaServer, MediaServerConfig, MediaServerError


class Command(BaseCommand):
    help = "Run the nginx-rtmp media server (RTMP in, HLS out with token checks) in the foreground."

    def add_arguments(self, parser):
        parser.add_argument("--print-config", action="store_true", help="print the rendered nginx.conf and exit")
        parser.add_argument("--no-hooks", action="store_true", help="no Django hooks and no token check (testing only)")

    def handle(self, *args, **options):
        config = MediaServerConfig.from_settings()
        if options["no_hooks"]:
            config.hook_base = config.auth_url = ""
        server = MediaServer(config)
        try:
            if options["print_config"]:
                self.stdout.write(server.write_config().read_text())
                server.stop()  # removes the temporary directory
                return
            server.start()
        except MediaServerError as exc:
            server.stop()
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"media server: RTMP in {config.rtmp_url}/<stream>, HLS out {config.hls_url}/<token>/<stream>/index.m3u8, "
            f"hooks {config.hook_base or 'off'}, segments in {server.hls_dir}, configuration {server.conf_path}"
        )

        def stop(signum, frame):
            server.terminate()  # the wait below returns; the cleanup runs in `finally`

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            code = server.wait()
        finally:
            server.stop()
        if code not in (0, -signal.SIGTERM, None):
            raise CommandError(f"nginx exited with {code}:\n{server.error_log()}")
