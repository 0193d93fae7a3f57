# wenjiang-ops application image: one image for every app process (gunicorn, uvicorn,
# Celery worker and beat, one-shot management commands). See docker-compose.yml.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# GDAL/GEOS/PROJ for GeoDjango, gettext (msgfmt) for compilemessages, fonts-noto-cjk for the
# Chinese fonts that dispute documents embed (disputes.documents, DOCUMENT_FONT); nginx-light with
# libnginx-mod-rtmp for the `media` service (video.runtime) and ffmpeg (snapshots, demo cameras).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        gdal-bin libgdal32 libgeos-c1v5 libproj25 gettext fonts-noto-cjk \
        nginx-light libnginx-mod-rtmp ffmpeg \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so that code changes reuse this layer.
COPY requirements.txt /tmp/requirements.txt
RUN pip install -r /tmp/requirements.txt && rm /tmp/requirements.txt

# Unprivileged runtime user; it owns /app so the build steps below can write into it.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app \
    && chown app:app /app

COPY --chown=app:app . /app
USER app

# Compile translations and collect static files into STATIC_ROOT (/app/staticfiles).
# DEBUG=0 selects the hashed, compressed static storage; the secret keys exist only for this
# RUN line (settings refuse to load with DEBUG off and no keys) and are not kept in the image.
# `locale/` is created because compilemessages fails without it and git does not keep empty dirs.
# /app/media and /app/hls are created so named volumes mounted there inherit the app user's ownership.
RUN set -eu; \
    export DEBUG=0 SECRET_KEY=build-only-not-a-secret ID_HASH_KEY=build-only-not-a-secret; \
    mkdir -p locale media hls; \
    python manage.py compilemessages --ignore=.venv; \
    python manage.py collectstatic --noinput

EXPOSE 8000 8001

# The Procfile's web process, listening on all interfaces inside the container.
CMD ["sh", "-c", "exec gunicorn wenjiang_ops.wsgi:application --bind 0.0.0.0:8000 --workers ${WEB_WORKERS:-4} --access-logfile - --forwarded-allow-ips=127.0.0.1"]
