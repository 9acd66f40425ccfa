"""certportal settings, read from the environment (django-environ).

Development defaults let `make run` work on a bare machine (SQLite, in-process tasks,
console e-mail, local private media). With DEBUG off the process refuses to start without
a real SECRET_KEY, ALLOWED_HOSTS and FIELD_ENCRYPTION_KEYS, and `check --deploy` is clean.
"""

from __future__ import annotations

import importlib.util
from datetime import timedelta
from pathlib import Path

import environ
import jinja2
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# DEBUG is on for local development only: production sets DEBUG=false (docker-compose does).
DEBUG = env.bool("DEBUG", default=True)

DEV_SECRET_KEY = "django-insecure-certportal-development-key-do-not-use-in-production"  # noqa: S105 - refused when DEBUG is off
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = DEV_SECRET_KEY
elif not DEBUG and (SECRET_KEY == DEV_SECRET_KEY or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured("SECRET_KEY is the development default; set a real one.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    if not DEBUG:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Public base URL used in e-mails (links back to the page). Unset, links use the address
# the development server is served at: `make run` passes its PORT (issue 14).
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}")
SITE_URL = SITE_URL.rstrip("/")
SITE_NAME = env.str("SITE_NAME", default="Kaltura Certified Partner Portal")

INSTALLED_APPS = [
    # django.contrib.admin with the back office's site (certportal.admin_site)
    "certportal.admin_site.BackOfficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # OpClass in index expressions (the pg_trgm search indexes, certportal.search).
    "django.contrib.postgres",
    "django_fsm",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "certportal",
    "partners",
    "certifications",
    "reviews",
    "support",
    "portal",
    "program",
    "ninja",  # django-ninja: its Swagger UI assets are served from /static/ (no CDN)
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # django-otp's middleware, with the verified device cached (certportal.auth).
    "certportal.auth.CachedOTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Staff must pass a second factor before /admin/ and /manage/ (see certportal.auth).
    "certportal.auth.StaffOTPMiddleware",
    # Last, so it turns a lockout flagged during authenticate() into the lockout page.
    "axes.middleware.AxesMiddleware",
]

if not DEBUG:
    # Static files from the app server in production (compressed, hashed names).
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "certportal.context_processors.portal",
                # Last: while a page renders for the page cache, its CSRF placeholder.
                "certportal.pagecache.context_csrf",
            ],
        },
    },
    {
        # The rows of the long work lists (certportal.rows.render_rows): Jinja2 draws a
        # 50-row table in a sixth of the Django engine's CPU. Pages stay Django templates;
        # only row templates live in row_templates/, escaped as Django escapes, strict about
        # names they don't know.
        "NAME": "rows",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "row_templates"],
        "APP_DIRS": False,
        "OPTIONS": {"autoescape": True, "undefined": jinja2.StrictUndefined},
    },
]

# Django's form renderer with <input> and <textarea> written in Python (certportal.formrender).
FORM_RENDERER = "certportal.formrender.FastTemplates"

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Web connections run with PostgreSQL's JIT off (issue 19): the pages' queries are short,
# and compiling them cost 1.9 s of a 2.4 s overview page at 200,000 requests.
# DATABASE_JIT=true gives the server's own setting back (e.g. for reporting jobs).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env.bool(
    "DATABASE_JIT", default=False
):
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache and Celery ----------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Keeps this deployment's cache keys apart from another's on the same Redis database.
# Parallel test runs (pytest-xdist sets PYTEST_XDIST_WORKER=gw0, gw1, ... before the
# settings load, and the Celery processes a test starts inherit it) get one per worker:
# row ids, locks, heartbeats and sessions of one worker's test database never meet
# another's.
CACHE_KEY_PREFIX = env.str("CACHE_KEY_PREFIX", default="") or env.str(
    "PYTEST_XDIST_WORKER", default=""
)
if REDIS_URL:
    CACHES = {
        "default": {
            # django-redis keeps one client per process (Django's own backend builds a
            # client per call, a third of a page-cache hit's time).
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # No broker: tasks run in-process when their on_commit hook fires.
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = None
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = False

# Versioned page cache (certportal.pagecache): only with a cache every web process shares,
# or in DEBUG (one runserver process). 0 turns it off.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=60 if (REDIS_URL or DEBUG) else 0)
PAGE_CACHE_NAMESPACE = ""
# Longest a stored page is kept (it also ends at local midnight, when its "due in 3 days"
# changes, and at any moment its content names, such as an SLA due time).
PAGE_CACHE_MAX_AGE = env.int("PAGE_CACHE_MAX_AGE", default=86400)
# How long the verified second-factor device of a session is remembered in the cache
# (certportal.auth.CachedOTPMiddleware; dropped at once when the device changes).
OTP_DEVICE_CACHE_SECONDS = env.int("OTP_DEVICE_CACHE_SECONDS", default=300)

# Celery's own settings (serialisation, time limits, broker transport, the beat schedule
# and the workers' heartbeat) are in config/celery_settings.py.
from config.celery_settings import *  # noqa: E402, F403

# --- Files ----------------------------------------------------------------------------
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
# Uploads are private: nothing serves this prefix and the storage has no base URL, so a
# file is only ever reached through a permission-checked download view.
MEDIA_URL = "/private-media/"
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": False,
            "location": env.str("AWS_LOCATION", default="private"),
        },
    }
else:
    DEFAULT_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": None},
    }
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]

UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=25 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- E-mail ---------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Certification Portal <certify@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 10

# --- GitHub ---------------------------------------------------------------------------
GITHUB_API_URL = env.str("GITHUB_API_URL", default="https://api.github.com").rstrip("/")
GITHUB_TOKEN = env.str("GITHUB_TOKEN", default="")
GITHUB_APP_ID = env.str("GITHUB_APP_ID", default="")
GITHUB_APP_PRIVATE_KEY = env.str("GITHUB_APP_PRIVATE_KEY", default="", multiline=True)
GITHUB_APP_INSTALLATION_ID = env.str("GITHUB_APP_INSTALLATION_ID", default="")
GITHUB_REVIEWER_LOGINS = env.list("GITHUB_REVIEWER_LOGINS", default=[])
GITHUB_TIMEOUT = env.int("GITHUB_TIMEOUT", default=15)
GITHUB_REVOKE_ON_CLOSE = env.bool("GITHUB_REVOKE_ON_CLOSE", default=False)
GITHUB_REVOKE_IDLE_DAYS = env.int("GITHUB_REVOKE_IDLE_DAYS", default=30)
# PyGithub's spacing between requests / writes (secondary rate limits); tests set None.
GITHUB_SECONDS_BETWEEN_REQUESTS = env.float("GITHUB_SECONDS_BETWEEN_REQUESTS", default=0.25)
GITHUB_SECONDS_BETWEEN_WRITES = env.float("GITHUB_SECONDS_BETWEEN_WRITES", default=1.0)
# The GitHub App's webhook secret (HMAC-SHA256 of each delivery); unset: deliveries refused.
GITHUB_WEBHOOK_SECRET = env.str("GITHUB_WEBHOOK_SECRET", default="")
# Automated intake report limits (reviews.intake): files listed, bytes per file read,
# bytes and blobs read per report.
INTAKE_MAX_FILES = env.int("INTAKE_MAX_FILES", default=20_000)
INTAKE_MAX_FILE_BYTES = env.int("INTAKE_MAX_FILE_BYTES", default=512 * 1024)
INTAKE_MAX_TOTAL_BYTES = env.int("INTAKE_MAX_TOTAL_BYTES", default=25 * 1024 * 1024)
INTAKE_MAX_READS = env.int("INTAKE_MAX_READS", default=1500)

# --- Field encryption (test-account passwords, tokens) --------------------------------
DEV_FIELD_ENCRYPTION_KEY = "Y2VydHBvcnRhbC1kZXZlbG9wbWVudC1vbmx5LWtleSE="
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
if not FIELD_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be set when DEBUG is off "
            "(comma-separated url-safe base64 32-byte keys; the first encrypts)."
        )
    FIELD_ENCRYPTION_KEYS = [DEV_FIELD_ENCRYPTION_KEY]

# --- Program defaults -----------------------------------------------------------------
PROGRAM_FEE_USD = env.int("PROGRAM_FEE_USD", default=6500)
PROGRAM_MAJOR_QUOTA = env.int("PROGRAM_MAJOR_QUOTA", default=4)
PROGRAM_MINOR_QUOTA = env.int("PROGRAM_MINOR_QUOTA", default=6)
PROGRAM_MARKETING_CREDIT_USD = env.int("PROGRAM_MARKETING_CREDIT_USD", default=1500)
# Days after an agreement's term ends during which it still counts (submissions accepted,
# listings marked "renewal pending"); then it expires and new submissions are refused.
AGREEMENT_GRACE_DAYS = env.int("AGREEMENT_GRACE_DAYS", default=30)
# seed_demo also backdates a year of program history (devtools; demo only).
DEMO_HISTORY = env.bool("DEMO_HISTORY", default=True)
SLA_TARGET_DAYS = {
    "initial": env.int("SLA_DAYS_INITIAL", default=90),
    "major": env.int("SLA_DAYS_MAJOR", default=35),
    "minor": env.int("SLA_DAYS_MINOR", default=14),
    "docs": env.int("SLA_DAYS_DOCS", default=14),
}
SLA_DUE_SOON_DAYS = env.int("SLA_DUE_SOON_DAYS", default=3)
DEPLOYMENT_CYCLE_ANCHOR = env.str("DEPLOYMENT_CYCLE_ANCHOR", default="2026-01-05")
DEPLOYMENT_CYCLE_DAYS = env.int("DEPLOYMENT_CYCLE_DAYS", default=14)
DEPLOYMENT_CUTOFF_DAYS = env.int("DEPLOYMENT_CUTOFF_DAYS", default=3)
# Reviewers' workspace (issue 15): certifying or revoking needs a second reviewer's approval.
SEAL_TWO_PERSON_RULE = env.bool("SEAL_TWO_PERSON_RULE", default=True)
REVIEW_AUTO_ASSIGN = env.bool("REVIEW_AUTO_ASSIGN", default=True)

# --- Auth -----------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out username before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# The client address (certportal.client_address.client_ip, used by the lockout, the
# credential-reveal audit and the security log): X-Forwarded-For is believed only through
# this many proxies of ours (the N-th entry from its right); 0 means REMOTE_ADDR, header
# ignored. Set it to the number of proxies that append to the header, never more.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")
# django-axes: the Nth failed login for a username locks that username, from every address,
# for AXES_COOLOFF_TIME (ASVS 2.2.1). Never an address alone: behind the TLS proxy or a
# shared NAT one address is everybody, and anyone could lock them all out (issue 20).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# Any entry reaching the limit locks. The (username, address) pair is the issue's second
# key; with one AXES_FAILURE_LIMIT for both it never trips before ["username"] does.
AXES_LOCKOUT_PARAMETERS = [["username"], ["username", "ip_address"]]
# Our own resolver instead of django-ipware (not installed; axes would fall back to
# REMOTE_ADDR), so axes and the audit agree on the address; AXES_IPWARE_* are then unused.
AXES_CLIENT_IP_CALLABLE = "certportal.client_address.client_ip"
# A try during the lock (even with the right password) does not restart it: the lock page's
# "try again in N minutes" holds, and a user who retries does not lengthen their own lock.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "certportal.auth.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token"]
# Usernames cut to 150 characters before axes stores them (jazzband/django-axes#1381).
AXES_USERNAME_CALLABLE = "certportal.auth.axes_username"
# Per-address throttle (certportal.auth), slower than the username lock: the Nth failed
# sign-in from one address (an IPv6 /64) in one clock-aligned window, and each later one in
# it, is answered 429 with Retry-After. A correct password always signs in. 0 failures: off.
LOGIN_THROTTLE_FAILURES = env.int("LOGIN_THROTTLE_FAILURES", default=30)
LOGIN_THROTTLE_WINDOW_MINUTES = env.int("LOGIN_THROTTLE_WINDOW_MINUTES", default=15)
# The public program application: this many per address (IPv6: per /64) per window.
APPLY_THROTTLE_LIMIT = env.int("APPLY_THROTTLE_LIMIT", default=5)
APPLY_THROTTLE_WINDOW_MINUTES = env.int("APPLY_THROTTLE_WINDOW_MINUTES", default=60)
# Second factor (TOTP, django-otp) for vendor staff on /admin/ and /manage/. Always on
# with DEBUG off; the local demo may turn it off (the login page then says so).
STAFF_REQUIRE_2FA = env.bool("STAFF_REQUIRE_2FA", default=not DEBUG) or not DEBUG
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default=SITE_NAME)
# The back office never shows an authenticator's secret key or its QR code (django-otp).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6 default: "example.com" means https
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- Security -------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp 4): no inline scripts or styles anywhere; htmx is
# served from /static/ and its indicator <style> is switched off in base.html.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 12)
if REDIS_URL:
    # Sessions read from the shared cache (written through to the database), so a page
    # served from the page cache costs one query (the user). Only with a cache every
    # process shares: a per-process cache would keep a logged-out session alive elsewhere.
    SESSION_ENGINE = "certportal.sessions"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # __Host- cookies: Secure, no Domain, Path=/ (browsers refuse them otherwise).
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    if env.bool("USE_X_FORWARDED_PROTO", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Services the tests must find (CI sets REQUIRE_SERVICES=1 so nothing silently skips).
REQUIRE_SERVICES = env.bool("REQUIRE_SERVICES", default=False)

# The metrics page reads a summary kept this long and refreshed by a beat task, so its
# cost does not grow with the data; 0 (the development default) computes it per request.
METRICS_SUMMARY_SECONDS = env.int("METRICS_SUMMARY_SECONDS", default=0 if DEBUG else 300)

# Benchmark reference pages (/bench/, see devtools/views.py): only `manage.py bench` turns
# this on, for its own gunicorn; never on by default, never in production.
BENCH_REFERENCE_VIEWS = env.bool("BENCH_REFERENCE_VIEWS", default=False)
# Demo data, seed_scale, the benchmarks and their reference model: installed only for
# development and benchmarking, so production's schema, admin and URLs have no trace of them.
# An image built without devtools/ (the Dockerfile leaves it out) never installs it.
DEVTOOLS = (DEBUG or BENCH_REFERENCE_VIEWS) and importlib.util.find_spec("devtools") is not None
if DEVTOOLS:
    INSTALLED_APPS.append("devtools")

# --- The HTTP API and outgoing webhooks (api/, certportal.webhooks) ----------------------
# Requests per minute per API token (per person for a session); over it: 429 + Retry-After.
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=120)
# Webhook endpoints must be public https URLs; DEBUG (and the tests) also allow loopback
# http:// receivers. Never on in production.
WEBHOOK_ALLOW_LOOPBACK = DEBUG and env.bool("WEBHOOK_ALLOW_LOOPBACK", default=True)
# Failed attempts in a row after which an endpoint is paused and its admins told.
WEBHOOK_PAUSE_AFTER = env.int("WEBHOOK_PAUSE_AFTER", default=10)

# Revealing a test-account password needs a login within this many minutes (step-up).
CREDENTIAL_REVEAL_REAUTH_MINUTES = env.int("CREDENTIAL_REVEAL_REAUTH_MINUTES", default=15)
# Ticket resolution targets in hours per severity; first-response targets come from each
# partner's support plan.
SUPPORT_RESOLUTION_HOURS = {
    "critical": env.int("SUPPORT_RESOLUTION_HOURS_CRITICAL", default=24),
    "high": env.int("SUPPORT_RESOLUTION_HOURS_HIGH", default=72),
    "normal": env.int("SUPPORT_RESOLUTION_HOURS_NORMAL", default=168),
    "low": env.int("SUPPORT_RESOLUTION_HOURS_LOW", default=336),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "celery.app.trace": {"level": "WARNING"},
        "kombu.connection": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
    },
}
