"""Settings for wenjiang-ops, read from the environment.

Every variable is listed in `.env.example`. Defaults point at the local services
(PostgreSQL and Redis on 127.0.0.1) so that `make run` works on a fresh machine;
production mode (DEBUG off) refuses to start with the default secret key.
"""

import os
import tempfile
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEFAULT_SECRET_KEY = "dev-insecure-wenjiang-ops-change-me"
# Off unless asked for: a deployment that forgets the variable gets production behaviour (and must
# set its secrets), never tracebacks and open API docs. `make run`, `make test` and the dev scripts
# set DEBUG=1 themselves.
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a secret value when DEBUG is off (production mode). "
        "For development and tests set DEBUG=1 (make run and make test do)."
    )

# The key of the volunteers' ID-number hashes (grids.services.id_number_hash): its own key, so that
# rotating SECRET_KEY changes no hash. A deployment that hashed with SECRET_KEY before this setting
# existed sets ID_HASH_KEY to that old SECRET_KEY once, and its stored hashes keep matching.
DEFAULT_ID_HASH_KEY = "dev-insecure-wenjiang-ops-id-hash-key"
ID_HASH_KEY = os.environ.get("ID_HASH_KEY", DEFAULT_ID_HASH_KEY)
if not DEBUG and ID_HASH_KEY in {DEFAULT_ID_HASH_KEY, ""}:
    raise ImproperlyConfigured(
        "ID_HASH_KEY must be set to a secret value when DEBUG is off (production mode). "
        "For development and tests set DEBUG=1 (make run and make test do)."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "axes",
    "clocks",
    "csp",
    "accounts",
    "inbox",
    "exports",
    "grids",
    "events",
    "disputes",
    "patrols",
    "care",
    "force",
    "video",
    "alarms",
    "interop",
    "wenjiang_ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    # Before the session: a page that meets an unreachable database answers 503 (wenjiang_ops.unavailable).
    "wenjiang_ops.unavailable.DatabaseUnavailableMiddleware",
    "wenjiang_ops.unavailable.SessionMiddleware",  # Django's; a save that meets no database answers 503
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it sees the outcome of every authentication attempt.
    "axes.middleware.AxesMiddleware",
]

# The benchmarks serve their stock baselines beside the platform (bench/urls.py); nothing else sets it.
ROOT_URLCONF = os.environ.get("ROOT_URLCONF", "wenjiang_ops.urls")
WSGI_APPLICATION = "wenjiang_ops.wsgi.application"
ASGI_APPLICATION = "wenjiang_ops.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "wenjiang_ops.context_processors.site",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", "postgis://postgres@127.0.0.1:5432/wenjiang_ops")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        engine="django.contrib.gis.db.backends.postgis",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get(
    "TEST_DATABASE_NAME", "test_" + DATABASES["default"]["NAME"]
)

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "wj"),
    }
}

# Reports one user may send per window (POST /api/events/, which the report page uses), by role:
# (count, seconds), or None for no limit; counted in the cache (wenjiang_ops/ratelimit.py). Well
# above real use, far below a flood: a volunteer reports what they pass (the district's ~11,000
# volunteers send a few thousand reports a year); a grid worker on patrol rarely reports more than
# one every few minutes; center staff enter hotline calls for citizens. An idempotent retry of a
# report (same client_id) is not counted. Roles not listed get INTAKE_RATE_LIMIT_DEFAULT.
# The environment can override entries: INTAKE_RATE_LIMITS="volunteer=10/3600,admin=off".
INTAKE_RATE_LIMITS: dict[str, tuple[int, int] | None] = {
    "volunteer": (10, 3600),
    "resident": (10, 3600),  # households (video): as a volunteer, should a resident ever report
    "grid_worker": (60, 3600),
    "department_staff": (60, 3600),
    "mediator": (10, 3600),
    "center_staff": (120, 3600),
    "duty_officer": (120, 3600),
    "duty_leader": (120, 3600),
    "admin": (600, 3600),
}
INTAKE_RATE_LIMIT_DEFAULT = (10, 3600)
for _entry in filter(None, os.environ.get("INTAKE_RATE_LIMITS", "").split(",")):
    _role, _sep, _value = _entry.strip().partition("=")
    if _value.strip() == "off":
        INTAKE_RATE_LIMITS[_role.strip()] = None
    else:
        _count, _sep, _seconds = _value.partition("/")
        INTAKE_RATE_LIMITS[_role.strip()] = (int(_count), int(_seconds or 3600))

# channels-redis's pub/sub layer (one Redis message per group push, fanned out in each ASGI process;
# the stock RedisChannelLayer's group_send grows with the group, see research/performance.md), with a
# fast path for the dashboards' pushes (wenjiang_ops/live/layer.py).
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "wenjiang_ops.live.layer.LiveChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": os.environ.get("CHANNEL_PREFIX", "wj-asgi")},
    }
}

# How sync code pushes to the dashboards: "queue" (to the publisher process, `manage.py live_publisher`),
# "thread" (a publisher thread per process), "sync" (in the caller, after its commit), "off".
# See wenjiang_ops/live/publish.py.
LIVE_PUSH = os.environ.get("LIVE_PUSH", "queue")
# Where pages open their WebSocket: the page's own host and port (behind the proxy), or this port on
# the page's host when the ASGI server runs beside the WSGI one without a proxy (`make run`).
LIVE_WS_PORT = os.environ.get("LIVE_WS_PORT", "")

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_IGNORE_RESULT = True
# Results are kept only for the few tasks that ask (ignore_result=False), e.g. the health ping.
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Shanghai"
SWEEP_SECONDS = float(os.environ.get("SWEEP_SECONDS", "5"))
VIDEO_POLL_SECONDS = float(os.environ.get("VIDEO_POLL_SECONDS", "15"))
CELERY_BEAT_SCHEDULE: dict = {
    # The escalation engine: one periodic sweep, never one timer per event.
    # Every case type's clocks (clocks.sweep.register): events now, disputes next.
    "clocks-sweep": {"task": "clocks.sweep", "schedule": SWEEP_SECONDS, "options": {"expires": SWEEP_SECONDS * 2}},
    # Finished exports are kept for EXPORT_KEEP_HOURS, then deleted with their files.
    "exports-purge": {"task": "exports.purge", "schedule": 3600, "options": {"expires": 1800}},
    # The media servers' health (streams, segment freshness) → the cameras' status (video.poll).
    "video-poll": {
        "task": "video.poll",
        "schedule": VIDEO_POLL_SECONDS,
        "options": {"expires": VIDEO_POLL_SECONDS * 2},
    },
    # The 12345 hotline's callbacks: the missed ones made, the undelivered ones resent (interop.hotline).
    "hotline-callbacks": {"task": "interop.hotline_sweep", "schedule": 30, "options": {"expires": 60}},
}
# An export of up to EXPORT_SYNC_ROWS rows is answered at once; a larger one runs as a background job
# with a progress bar, and its file arrives in the inbox.
EXPORT_SYNC_ROWS = int(os.environ.get("EXPORT_SYNC_ROWS", "5000"))
EXPORT_KEEP_HOURS = float(os.environ.get("EXPORT_KEEP_HOURS", "24"))
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
SMS_BACKEND = os.environ.get("SMS_BACKEND", "inbox.notify.LoggingSMSBackend")

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses locked-out credentials before any password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout after repeated failed logins (django-axes), per username AND address: a stranger who
# types wrong passwords for `duty` locks out only himself, not the duty officer at her desk.
# Every failure is kept in AccessFailureLog (username, address, time, user agent; never the
# password), readable in /admin/.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("LOGIN_LOCKOUT_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.client_ip.client_ip"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False
# The client address comes from nginx's X-Real-IP only when the app is reachable through nginx
# alone (docker compose, deploy/nginx.conf); otherwise a client could write the header itself.
TRUST_X_REAL_IP = env_bool("TRUST_X_REAL_IP", False)
# Token requests (POST /api/auth/token/) one address may make (DRF rate: N/second|minute|hour|day).
SIGN_IN_RATE = os.environ.get("SIGN_IN_RATE", "30/minute")

# API tokens live this many hours from their issue, however much they are used (a fixed lifetime:
# a stolen token dies on time, and the hot path writes nothing); sign-out revokes one sooner.
API_TOKEN_LIFETIME_HOURS = int(os.environ.get("API_TOKEN_LIFETIME_HOURS", str(7 * 24)))
# Seconds a one-time WebSocket ticket (POST /api/auth/socket-ticket/) stays valid.
SOCKET_TICKET_SECONDS = int(os.environ.get("SOCKET_TICKET_SECONDS", "60"))

SILENCED_SYSTEM_CHECKS = [
    # Debian 12's GDAL is 3.6; the platform never opens spatial files from untrusted sources.
    "gis.W001",
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Uploaded photos are never served from MEDIA_URL: events.media checks who asks, then streams the
# file (development, tests) or hands it to nginx's internal location with X-Accel-Redirect.
MEDIA_ACCEL_REDIRECT = env_bool("MEDIA_ACCEL_REDIRECT", not DEBUG)
MEDIA_ACCEL_PREFIX = os.environ.get("MEDIA_ACCEL_PREFIX", "/protected-media/")
# Photo uploads (events.attachments): per file, per request, pixels (checked before decoding).
ATTACHMENT_MAX_BYTES = int(float(os.environ.get("ATTACHMENT_MAX_MB", 10)) * 1024 * 1024)
ATTACHMENT_MAX_REQUEST_BYTES = int(float(os.environ.get("ATTACHMENT_MAX_REQUEST_MB", 20)) * 1024 * 1024)
ATTACHMENT_MAX_FILES = int(os.environ.get("ATTACHMENT_MAX_FILES", 9))
ATTACHMENT_MAX_PIXELS = int(float(os.environ.get("ATTACHMENT_MAX_MEGAPIXELS", 40)) * 1_000_000)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The map page's base layer. Empty: boundaries draw on a plain background (intranets
# often have no tile server). Example: http://tiles.intranet/{z}/{x}/{y}.png
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "")

# The Chinese fonts that generated dispute documents embed (a .ttf, .otf or .ttc; in a collection the
# Simplified Chinese face is used). The defaults are Debian's fonts-noto-cjk (Noto Serif CJK: 宋体-like).
DOCUMENT_FONT = os.environ.get("DOCUMENT_FONT", "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
DOCUMENT_FONT_BOLD = os.environ.get("DOCUMENT_FONT_BOLD", "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc")
# Official documents are issued in Chinese whatever the language of the clerk's pages.
DOCUMENT_LANGUAGE = os.environ.get("DOCUMENT_LANGUAGE", "zh-hans")

# Live video (video.runtime): the media server, Debian's nginx with libnginx-mod-rtmp
# (deploy/media/nginx-rtmp.conf, run by `manage.py media_server`). Publishers push RTMP to
# VIDEO_MEDIA_RTMP_URL/<stream>; browsers play VIDEO_MEDIA_HLS_URL/<token>/<stream>/index.m3u8 (the public
# address: what a browser can reach); nginx calls Django's hooks at VIDEO_HOOK_BASE_URL.
VIDEO_MEDIA_RTMP_URL = os.environ.get("VIDEO_MEDIA_RTMP_URL", "rtmp://127.0.0.1:1935/live")
VIDEO_MEDIA_HLS_URL = os.environ.get("VIDEO_MEDIA_HLS_URL", "http://127.0.0.1:8088/hls")
VIDEO_MEDIA_LISTEN = os.environ.get("VIDEO_MEDIA_LISTEN", "127.0.0.1")  # 0.0.0.0 in a container
VIDEO_HOOK_BASE_URL = os.environ.get("VIDEO_HOOK_BASE_URL", "http://127.0.0.1:8000")
VIDEO_MEDIA_PUBLISHERS = env_list("VIDEO_MEDIA_PUBLISHERS", "127.0.0.1")  # who may push RTMP
VIDEO_MEDIA_STAT_ALLOW = env_list("VIDEO_MEDIA_STAT_ALLOW", "127.0.0.1")  # who may read /stat
# Where nginx writes the HLS segments; the health poller reads their freshness there (same machine).
VIDEO_HLS_DIR = os.environ.get("VIDEO_HLS_DIR", str(Path(tempfile.gettempdir()) / "wenjiang-ops-hls"))
# How many test-pattern cameras `manage.py camera_streams` publishes (demo-01 …); at most 24.
VIDEO_DEMO_STREAMS = int(os.environ.get("VIDEO_DEMO_STREAMS", "12"))

# Video play tokens (video.tokens): lifetime in seconds (the player renews before the end) and the
# HMAC key (default: derived from SECRET_KEY); the slug of the MediaServer the hooks without a slug
# speak for (the demo's nginx-rtmp).
VIDEO_TOKEN_TTL = int(os.environ.get("VIDEO_TOKEN_TTL", "120"))
VIDEO_TOKEN_KEY = os.environ.get("VIDEO_TOKEN_KEY", "")
VIDEO_LOCAL_SERVER = os.environ.get("VIDEO_LOCAL_SERVER", "local")
# An event an alarm made gets the nearest cameras its center may watch within VIDEO_ALARM_RADIUS_M
# metres noted on its timeline (at most VIDEO_ALARM_CAMERAS; 0: none, no task) and a snapshot of the
# nearest live one attached (video.services.alarm_response_make, a Celery task after the commit).
VIDEO_ALARM_CAMERAS = int(os.environ.get("VIDEO_ALARM_CAMERAS", "3"))
VIDEO_ALARM_RADIUS_M = int(os.environ.get("VIDEO_ALARM_RADIUS_M", "500"))

REST_FRAMEWORK = {
    # Token first: an unauthenticated request is answered 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.FastTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's JSON with orjson (wenjiang_ops.renderers.JSONRenderer), and the browsable API.
    "DEFAULT_RENDERER_CLASSES": [
        "wenjiang_ops.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_FILTER_BACKENDS": ["wenjiang_ops.api.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "wenjiang_ops.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "wenjiang_ops.api.exception_handler",
    "DATETIME_FORMAT": "iso-8601",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "wenjiang-ops API",
    "DESCRIPTION": "Command-dispatch platform for social-governance centers (综治中心).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs page list every endpoint and parameter: for signed-in users only, in
    # development too (the demo accounts sign in), so that what is tested is what runs in production.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation lists its error answers (400/401/403/404/409/413/415/429) with one Error component.
    # The disputes' words share names with the events' (state, light, phase …): one enum each.
    "ENUM_NAME_OVERRIDES": {
        "DisputeStateEnum": "disputes.choices.State",
        "DisputeLightEnum": "disputes.choices.Light",
        "DisputePhaseEnum": "disputes.choices.Phase",
        "PartyRoleEnum": "disputes.choices.PartyRole",
        "PartyKindEnum": "disputes.choices.PartyKind",
        "DocumentKindEnum": "disputes.choices.DocumentKind",
        "DocumentStateEnum": "disputes.choices.DocumentState",
        "AgreementFormEnum": "disputes.choices.AgreementForm",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "wenjiang_ops.api.error_responses_hook",
    ],
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Browsers that reached the site over HTTPS keep to HTTPS for a year (Django sends the header
    # on HTTPS responses only, so a trial over plain http:// is not affected).
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)

# Headers on every response (Django's defaults, stated): no sniffing of content types, no framing
# (clickjacking), the Referer only to the site itself (URLs carry event ids and search terms).
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"


def _origin(url: str) -> list[str]:
    """The CSP source of a URL template such as http://{s}.tiles.intranet/{z}/{x}/{y}.png."""
    from urllib.parse import urlsplit

    parts = urlsplit(url.replace("{s}.", "*."))
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []


# Content-Security-Policy (django-csp), in development too: only the platform's own scripts (no
# inline script, no eval), styles from its own files (scripts may still set element.style, which
# Leaflet and ECharts do and CSP allows), images also from data:/blob: URLs (Leaflet's and Swagger
# UI's icons, chart exports) and the map's tile server, sockets to the page's own origin or, under
# `make run`, to the ASGI port beside it. tests/e2e/test_csp.py opens every main page in Chromium
# and expects no violation.
_LIVE_WS = [f"ws://*:{LIVE_WS_PORT}", f"wss://*:{LIVE_WS_PORT}"] if LIVE_WS_PORT else []
# Origins of the media server (HLS/WebRTC players, snapshots), e.g. http://media.intranet:8888.
CSP_MEDIA_ORIGINS = env_list("CSP_MEDIA_ORIGINS", "")
CSP_MEDIA_ORIGINS += [o for o in _origin(VIDEO_MEDIA_HLS_URL) if o not in CSP_MEDIA_ORIGINS]  # the players
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:", *_origin(MAP_TILE_URL), *CSP_MEDIA_ORIGINS],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF, *_LIVE_WS, *CSP_MEDIA_ORIGINS],
        "media-src": [SELF, "blob:", *CSP_MEDIA_ORIGINS],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # fontTools logs every glyph of every font subset (disputes.documents) at INFO.
    "loggers": {"fontTools": {"level": "WARNING"}},
}

# The 12345 hotline's hand-off (interop.hotline, docs/hotline-12345.md): the shared secret that signs
# both directions, where callbacks go (empty: they are kept until it is set), the reporting account.
HOTLINE_SECRET = os.environ.get("HOTLINE_SECRET", "dev-hotline-secret" if DEBUG else "")
HOTLINE_CALLBACK_URL = os.environ.get("HOTLINE_CALLBACK_URL", "")
HOTLINE_ACCOUNT = os.environ.get("HOTLINE_ACCOUNT", "hotline12345")
# Open311 GeoReport v2 (interop.open311): who this endpoint is, for the discovery document.
OPEN311_JURISDICTION = os.environ.get("OPEN311_JURISDICTION", "wenjiang.chengdu.gov.cn")
OPEN311_CONTACT = os.environ.get("OPEN311_CONTACT", "温江区社会治理综合服务中心")
OPEN311_KEY_SERVICE = os.environ.get(
    "OPEN311_KEY_SERVICE", "API keys are issued by the district center's administrator."
)
