#!/usr/bin/env bash
# Starts the whole platform in the foreground: gunicorn (pages + REST), uvicorn (WebSockets),
# the Celery worker and beat, the media server (nginx-rtmp) and the demo's test-pattern cameras.
# Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
# A development machine: DEBUG is off unless set (production), so say so here.
export DEBUG="${DEBUG:-1}"
export PATH="$PWD/.venv/bin:$PATH"
.venv/bin/python manage.py seed_demo
cat <<MSG

  wenjiang-ops is starting.
    Pages and REST API:  http://127.0.0.1:${WEB_PORT:-8000}/
    API docs:            http://127.0.0.1:${WEB_PORT:-8000}/api/docs/
    WebSockets (ASGI):   ws://127.0.0.1:${ASGI_PORT:-8001}/ws/
    Administration:      http://127.0.0.1:${WEB_PORT:-8000}/admin/
    Video (nginx-rtmp):  RTMP in on :1935, HLS out on :8088; ${VIDEO_DEMO_STREAMS:-12} test-pattern cameras

MSG
export LIVE_WS_PORT="${LIVE_WS_PORT:-${ASGI_PORT:-8001}}"  # no proxy here: pages open sockets on the ASGI port
export ASGI_WORKERS="${ASGI_WORKERS:-$(nproc)}"  # WebSockets: one uvicorn process per core
export WEB_BIND="127.0.0.1:${WEB_PORT:-8000}"
export VIDEO_HOOK_BASE_URL="${VIDEO_HOOK_BASE_URL:-http://127.0.0.1:${WEB_PORT:-8000}}"  # nginx-rtmp calls Django here
# The 12345 hotline's simulator takes the platform's callbacks here.
export HOTLINE_CALLBACK_URL="${HOTLINE_CALLBACK_URL:-http://127.0.0.1:${HOTLINE_SIMULATOR_PORT:-8099}/callbacks/}"
# The demo's simulators run beside the platform under `make run` only (the Procfile is production's):
# they are appended to a copy of it. One line per simulator.
PROCFILE="${TMPDIR:-/tmp}/wenjiang-ops-Procfile.$$"
cp Procfile "$PROCFILE"
echo "cameras: python manage.py camera_streams" >>"$PROCFILE"  # test-pattern cameras into nginx-rtmp (video)
echo "alarms: python manage.py alarm_simulator" >>"$PROCFILE"  # IoT alarm sources (alarms app)
echo "hotline: python manage.py hotline_simulator --url http://${WEB_BIND} --port ${HOTLINE_SIMULATOR_PORT:-8099}" >>"$PROCFILE"  # the 12345 hotline (interop app)
exec honcho start -f "$PROCFILE" -d "$PWD"
