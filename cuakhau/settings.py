"""Settings for the Digital Border Gate Platform.

Everything a deployment changes comes from the environment:
DATABASE_URL (default: an SQLite file in CUAKHAU_DATA_DIR), CUAKHAU_SECRET_KEY,
CUAKHAU_DEBUG, CUAKHAU_ALLOWED_HOSTS, CUAKHAU_DATA_DIR.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
CUAKHAU_DATA_DIR = Path(os.environ.get("CUAKHAU_DATA_DIR", BASE_DIR / "data")).resolve()

DEBUG = os.environ.get("CUAKHAU_DEBUG", "0") == "1"
SECRET_KEY = os.environ.get("CUAKHAU_SECRET_KEY", "")
if not SECRET_KEY:
    # A development key, kept per data directory so sessions survive restarts.
    CUAKHAU_DATA_DIR.mkdir(parents=True, exist_ok=True)
    _key_file = CUAKHAU_DATA_DIR / "secret_key"
    if not _key_file.exists():
        import secrets

        _key_file.write_text(secrets.token_urlsafe(50))
    SECRET_KEY = _key_file.read_text().strip()

ALLOWED_HOSTS = os.environ.get("CUAKHAU_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",")
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("CUAKHAU_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "cuakhau",
    "accounts",
    "gates",
    "enterprises",
    "declarations",
    "crossings",
    "fees",
    "queueing",
    "simulator",
    "web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "cuakhau.urls"
WSGI_APPLICATION = "cuakhau.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database_from_env() -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL", "")
    if url:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
        if config["ENGINE"] == "django.db.backends.sqlite3":
            config["ENGINE"] = SQLITE_ENGINE
            config.setdefault("OPTIONS", {}).update(_SQLITE_OPTIONS)
        elif config["ENGINE"] == "django.db.backends.postgresql":
            config["ENGINE"] = POSTGRESQL_ENGINE
        return config
    CUAKHAU_DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": SQLITE_ENGINE,
        "NAME": CUAKHAU_DATA_DIR / "cuakhau.sqlite3",
        "OPTIONS": dict(_SQLITE_OPTIONS),
        # Persistent connections: the PRAGMAs of init_command run once per connection, not per request.
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
        # A file, not Django's shared in-memory database, so concurrency tests see real
        # SQLite locking (busy timeout, IMMEDIATE transactions) as production does.
        "TEST": {"NAME": str(CUAKHAU_DATA_DIR / "test.sqlite3")},
    }


# Django's SQLite backend, with this process's write transactions queued on a lock instead of
# sleeping in SQLite's busy handler (cuakhau/db/sqlite/base.py).
SQLITE_ENGINE = "cuakhau.db.sqlite"
# Django's PostgreSQL backend, able to send a transaction's last statement and its COMMIT in one round trip
# (cuakhau/db/postgresql/base.py).
POSTGRESQL_ENGINE = "cuakhau.db.postgresql"

# WAL lets readers proceed while one writer commits; IMMEDIATE takes the write lock at
# BEGIN so two writers queue on busy_timeout instead of failing with "database is locked"
# when a read transaction tries to upgrade.
_SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
        "PRAGMA busy_timeout=20000;"
    ),
}

DATABASES = {"default": _database_from_env()}
# The hottest statements are prepared on PostgreSQL's server (cuakhau.db.prepared); 0 behind a pooler that
# cannot keep prepared statements (PgBouncer in transaction mode before 1.21).
PG_PREPARED_STATEMENTS = os.environ.get("CUAKHAU_PG_PREPARED_STATEMENTS", "1") != "0"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [
    ("vi", _("Vietnamese")),
    ("zh-hans", _("Simplified Chinese")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = CUAKHAU_DATA_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise serves from finders; the folder must exist
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Bearer tokens from POST /api/v1/auth/token live this long; enterprise API keys do not expire
# but can be revoked.
CUAKHAU_TOKEN_TTL_SECONDS = int(os.environ.get("CUAKHAU_TOKEN_TTL_SECONDS", 12 * 3600))
CUAKHAU_IDEMPOTENCY_TTL_HOURS = 48

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CUAKHAU_LOG_LEVEL", "WARNING")},
}
