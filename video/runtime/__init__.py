"""The processes behind live video on one machine: Debian's nginx with libnginx-mod-rtmp as the media
server (`nginx`), and ffmpeg test-pattern cameras publishing into it (`streams`). `manage.py
media_server` and `manage.py camera_streams` run them under `make run`; the browser tests start their
own on free loopback ports."""
