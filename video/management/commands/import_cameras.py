"""Imports cameras into the registry from a .csv/.xlsx sheet or a wvp-GB28181-pro channel list
(.json, saved from wvp's channel list answer), or straight from a wvp server's API.

    manage.py import_cameras cameras.xlsx --as admin
    manage.py import_cameras channels.json --network xueliang --media-server wvp --as admin
    manage.py import_cameras --from-server wvp --network xueliang --as admin
All rows are checked first; with any error nothing is written and every error is printed by row.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from video import importing
from video.adapters import AdapterError, adapter_for
from video.models import MediaServer


class Command(BaseCommand):
    help = "Imports cameras (.csv, .xlsx, wvp channel list .json, or a wvp server); all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?")
        parser.add_argument("--as", dest="username", default="admin", help="the account the import is made as")
        parser.add_argument("--network", default="", help="tianwang, xueliang, huiyan or other (wvp lists)")
        parser.add_argument("--media-server", default="", help="the MediaServer slug that carries the channels")
        parser.add_argument("--from-server", default="", help="read the channel list from this wvp MediaServer")
        parser.add_argument("--dry-run", action="store_true")

    def handle(
        self, *args, file=None, username="admin", network="", media_server="", from_server="", dry_run=False, **kw
    ):
        actor = User.objects.filter(username=username).first()
        if actor is None:
            raise CommandError(f"no user {username!r}")
        try:
            if from_server:
                server = MediaServer.objects.filter(slug=from_server, kind="wvp").first()
                if server is None:
                    raise CommandError(f"no wvp media server {from_server!r}")
                channels = adapter_for(server).channels()
                data = json.dumps([{"channelId": c.code, "name": c.name, "deviceId": c.device_code, "latitude": c.lat,
                                    "longitude": c.lng, "status": int(c.online), "ptzType": 1 if c.ptz else 3,
                                    "address": c.address} for c in channels]).encode()  # fmt: skip
                rows = importing.rows_from_file(
                    "wvp.json", data, network=network, media_server=media_server or from_server
                )
            elif file:
                rows = importing.rows_from_file(
                    file, Path(file).read_bytes(), network=network, media_server=media_server
                )
            else:
                raise CommandError("give a file or --from-server")
            result = importing.cameras_import(actor=actor, rows=rows, dry_run=dry_run)
        except importing.ImportFailed as exc:
            for error in exc.errors:
                self.stderr.write(f"row {error['row']}: {error['field']}: {error['message']}")
            raise CommandError(str(exc)) from None
        except (AdapterError, OSError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{'would create' if dry_run else 'created'} {result.created}, "
                          f"{'would update' if dry_run else 'updated'} {result.updated}")  # fmt: skip
