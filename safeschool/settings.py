"""SafeSchool settings, read from environment variables.

Every variable is documented in docs/configuration.md. Development and the demo work with none
set; production (SAFESCHOOL_PRODUCTION=1) refuses to start with DEBUG on or without its own
secret key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    """A string from the environment, or the default when unset or empty."""
    return os.environ.get(name, "").strip() or default


def env_bool(name: str, default: bool = False) -> bool:
    """A yes/no variable: 1, true, yes and on are true; 0, false, no and off are false."""
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    """A whole number from the environment."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated list from the environment."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


PRODUCTION = env_bool("SAFESCHOOL_PRODUCTION")
DEBUG = env_bool("SAFESCHOOL_DEBUG")
DATA_DIR = Path(env_str("SAFESCHOOL_DATA_DIR", str(BASE_DIR / "var"))).resolve()


def _secret_key() -> str:
    """The configured key; in development a random one kept in the data directory."""
    configured = env_str("SAFESCHOOL_SECRET_KEY")
    if configured:
        return configured
    if PRODUCTION:
        raise ImproperlyConfigured("SAFESCHOOL_SECRET_KEY must be set in production.")
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("SAFESCHOOL_DEBUG must be off in production.")

SECRET_KEY = _secret_key()
if PRODUCTION and (len(SECRET_KEY) < 40 or "insecure" in SECRET_KEY):
    raise ImproperlyConfigured("SAFESCHOOL_SECRET_KEY is too short or a known default.")

ALLOWED_HOSTS = env_list("SAFESCHOOL_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("SAFESCHOOL_CSRF_TRUSTED_ORIGINS", [])
# The block page's full address; browsers the DNS filter sends here are redirected to it.
SAFESCHOOL_BLOCK_URL = env_str("SAFESCHOOL_BLOCK_URL", "http://127.0.0.1:8000/blocked")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "safeschool.core",
    "safeschool.accounts",
    "safeschool.schools",
    "safeschool.people",
    "safeschool.audit",
    "safeschool.notifications",
    "safeschool.concerns",
    "safeschool.api",
    "safeschool.monitoring",
    "safeschool.filterlog",
    "safeschool.filtering",
]

MIDDLEWARE = [
    "safeschool.filterlog.middleware.dns_blocked_sites",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "safeschool.core.middleware.security_headers",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
]

ROOT_URLCONF = "safeschool.urls"
WSGI_APPLICATION = "safeschool.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "safeschool.core.context_processors.navigation",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'safeschool.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", _default_db), conn_max_age=env_int("SAFESCHOOL_DB_CONN_MAX_AGE", 0)
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    # WAL: pages being read never hold up the ingest worker's writes, nor it theirs.
    DATABASES["default"]["OPTIONS"].update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "schools:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Log-in throttling: this many failures for one user name, or from one address, within the
# window locks further attempts until the window has passed.
LOGIN_MAX_FAILURES = env_int("SAFESCHOOL_LOGIN_MAX_FAILURES", 5)
LOGIN_FAILURE_WINDOW = env_int("SAFESCHOOL_LOGIN_FAILURE_WINDOW", 15 * 60)

# Sessions end after this many seconds without a request, and when the browser closes.
SESSION_COOKIE_AGE = env_int("SAFESCHOOL_SESSION_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

HTTPS = env_bool("SAFESCHOOL_HTTPS", default=PRODUCTION)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SAFESCHOOL_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("SAFESCHOOL_BEHIND_PROXY") else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("SAFESCHOOL_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Only needed if a front web server is to serve static files itself (after collectstatic).
_static_root = env_str("SAFESCHOOL_STATIC_ROOT")
STATIC_ROOT = Path(_static_root) if _static_root else None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Static files are served straight from the apps, so no collectstatic step is needed.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "private"

EMAIL_BACKEND = env_str(
    "SAFESCHOOL_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env_str("SAFESCHOOL_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("SAFESCHOOL_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("SAFESCHOOL_EMAIL_USER")
EMAIL_HOST_PASSWORD = env_str("SAFESCHOOL_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("SAFESCHOOL_EMAIL_TLS")
DEFAULT_FROM_EMAIL = env_str("SAFESCHOOL_EMAIL_FROM", "SafeSchool <safeschool@localhost>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("SAFESCHOOL_LOG_LEVEL", "WARNING")},
}

# The filter daemons and their event log (docs/daemons.md). The daemons read the same
# variables themselves, without Django.
SPOOL_DIR = Path(env_str("SAFESCHOOL_SPOOL_DIR", str(DATA_DIR / "spool")))
FILTER_SCHOOL = env_str("SAFESCHOOL_FILTER_SCHOOL")
FILTER_POLICY = env_str("SAFESCHOOL_POLICY")
DNS_LISTEN = env_str("SAFESCHOOL_DNS_LISTEN", "127.0.0.1:5353")
DNS_UPSTREAM = env_str("SAFESCHOOL_DNS_UPSTREAM")  # empty: the system resolver
LOG_ALLOWED = env_bool("SAFESCHOOL_LOG_ALLOWED", default=True)

# Filtering management (docs/filtering.md).
# The illegal-content layer: files the operator installs (domains, urls, expressions), outside
# the school's reach. Nobody in the school can edit, disable or override it.
ILLEGAL_LAYER_DIR = Path(env_str("SAFESCHOOL_ILLEGAL_LAYER_DIR", "/etc/safeschool/illegal"))
BLOCK_PAGE_URL = env_str(
    "SAFESCHOOL_BLOCK_PAGE_URL",
    "302:http://127.0.0.1:8000/blocked?url=%u&category=%t&group=%s",
)
FILTER_LOG_RETENTION_DAYS = env_int("SAFESCHOOL_FILTER_LOG_RETENTION_DAYS", 365)
