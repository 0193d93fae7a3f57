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
exec honcho start -f Procfile
