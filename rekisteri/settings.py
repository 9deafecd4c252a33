"""Rekisteri's settings, all read from the environment.

Development needs no set-up: SQLite and the key file live under REKISTERI_DATA_DIR
(default ./var). Production (REKISTERI_MODE=production) refuses to start without
SECRET_KEY, ALLOWED_HOSTS and encryption keys.
"""

import ipaddress
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent

MODES = ("development", "test", "production")


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def is_local_host(name: str) -> bool:
    """Whether a host name or address is this machine only: a loopback address, a
    `localhost` name, Django's test client's name, or a Unix socket's directory."""
    host = name.strip().strip("[]").lower().rstrip(".")
    if host in ("", "localhost", "testserver") or host.endswith(".localhost"):
        return True
    if host.startswith("/"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refuse_public_development(what: str) -> None:
    """Outside production the secret key is public (it is in this file), so the app
    may serve nobody but this machine."""
    raise ImproperlyConfigured(
        f"Rekisteri is in {MODE} mode, whose secret key is public, but {what}: set "
        "REKISTERI_MODE=production and SECRET_KEY (deploy/README.md), or use local "
        "names only."
    )


MODE = env_str("REKISTERI_MODE", "development")
if MODE not in MODES:
    raise ImproperlyConfigured(f"REKISTERI_MODE must be one of {', '.join(MODES)}, not {MODE!r}")
IS_PRODUCTION = MODE == "production"

DATA_DIR = Path(env_str("REKISTERI_DATA_DIR", str(BASE_DIR / "var"))).resolve()

# Encryption keys: the JSON of a key ring in REKISTERI_KEYS, or a key file
# (`rekisteri keys generate` writes one). See rekisteri/crypto.py.
REKISTERI_KEYS = env_str("REKISTERI_KEYS")
REKISTERI_KEY_FILE = Path(env_str("REKISTERI_KEY_FILE", str(DATA_DIR / "keys.json")))

# Encrypted backups (docs/backups.md): where `rekisteri backup create` writes them, and
# how many of the newest daily, weekly and monthly ones `--rotate` keeps.
REKISTERI_BACKUP_DIR = Path(env_str("REKISTERI_BACKUP_DIR", str(DATA_DIR / "backups")))
REKISTERI_BACKUP_KEEP_DAILY = env_int("REKISTERI_BACKUP_KEEP_DAILY", 7)
REKISTERI_BACKUP_KEEP_WEEKLY = env_int("REKISTERI_BACKUP_KEEP_WEEKLY", 4)
REKISTERI_BACKUP_KEEP_MONTHLY = env_int("REKISTERI_BACKUP_KEEP_MONTHLY", 12)

# The erasure log (docs/erasure.md): who was erased and when, outside the database, so
# that a restored backup can have its erasures done again (`rekisteri erasures replay`).
REKISTERI_ERASURE_LOG = Path(env_str("REKISTERI_ERASURE_LOG", str(DATA_DIR / "erasure-log.jsonl")))
# The replay log (docs/backups.md), beside it: the withdrawals, bans, objections and
# restrictions (and their lifts), which a restore must not lose either.
REKISTERI_REPLAY_LOG = Path(
    env_str("REKISTERI_REPLAY_LOG", str(REKISTERI_ERASURE_LOG.parent / "replay-log.jsonl"))
)

# The audit trail's checkpoints (docs/security.md): the sealed head after each sealing,
# kept outside the database beside the backups, so a rewrite of the whole table is caught.
REKISTERI_AUDIT_CHECKPOINTS = Path(
    env_str("REKISTERI_AUDIT_CHECKPOINTS", str(REKISTERI_BACKUP_DIR / "audit-checkpoints.jsonl"))
)

SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
DEBUG = env_bool("REKISTERI_DEBUG", default=False)

if IS_PRODUCTION:
    missing = [
        name
        for name, value in (("SECRET_KEY", SECRET_KEY), ("ALLOWED_HOSTS", ALLOWED_HOSTS))
        if not value
    ]
    if not REKISTERI_KEYS and not REKISTERI_KEY_FILE.exists():
        missing.append("REKISTERI_KEYS (or REKISTERI_KEY_FILE)")
    if missing:
        raise ImproperlyConfigured(
            "Rekisteri refuses to start in production without: " + ", ".join(missing)
        )
    if DEBUG:
        raise ImproperlyConfigured("REKISTERI_DEBUG must not be on in production")
else:
    public_hosts = [host for host in ALLOWED_HOSTS if not is_local_host(host)]
    if public_hosts:
        refuse_public_development(f"ALLOWED_HOSTS names {', '.join(public_hosts)}")
    SECRET_KEY = SECRET_KEY or "development-only-secret-key-never-used-in-production"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "testserver"]

# Temporary identity codes (individual number 900-999) exist only in demo and test data.
ACCEPT_TEMPORARY_IDENTITY_CODES = env_bool(
    "REKISTERI_ACCEPT_TEMPORARY_IDENTITY_CODES", default=not IS_PRODUCTION
)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "django_countries",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "rekisteri",
    "rekisteri.accounts",
    "rekisteri.audit",
    "rekisteri.customers",
    "rekisteri.intake",
    "rekisteri.orders",
    "rekisteri.credit",
    "rekisteri.consents",
    "rekisteri.marketing",
    "rekisteri.privacy",
    "rekisteri.portal",
    "rekisteri.backups",
    "rekisteri.imports",
    "rekisteri.dashboard",
]

MIDDLEWARE = [
    # Before anything can read a body (rekisteri/request_limits.py).
    "rekisteri.request_limits.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "rekisteri.security_headers.SecurityHeadersMiddleware",
    "rekisteri.audit.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Swedish for the public pages only; staff pages stay Finnish or English.
    "rekisteri.languages.PageLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before CSRF's check reads the body, which happens once every middleware has
    # been called (process_view).
    "rekisteri.request_limits.AnonymousBodyLimitMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "rekisteri.accounts.middleware.SessionLimitsMiddleware",
    "rekisteri.accounts.middleware.LoginRequiredMiddleware",
    "rekisteri.accounts.middleware.PasswordChangeMiddleware",
    "rekisteri.accounts.middleware.TwoFactorMiddleware",
    "rekisteri.accounts.middleware.ConfidentialityPledgeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

# The largest request body anyone signed in may send: the largest file the app takes
# (the ASML restriction list, 50 MB; customer imports 20 MB) and the multipart
# envelope around it. A stranger may send no more than DATA_UPLOAD_MAX_MEMORY_SIZE
# (Django's default 2.5 MB). Larger bodies get 413 before they are read.
MAX_REQUEST_BODY_BYTES = env_int("REKISTERI_MAX_REQUEST_BYTES", 51 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

ROOT_URLCONF = "rekisteri.urls"
WSGI_APPLICATION = "rekisteri.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "rekisteri.languages.language_context",
            ],
        },
    },
]


def database_settings() -> dict[str, object]:
    url = env_str("DATABASE_URL")
    if url:
        config: dict[str, object] = dict(
            dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        )
        return config
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "rekisteri.sqlite3",
        "OPTIONS": {
            # BEGIN IMMEDIATE serialises writers up front, so the audit hash chain and
            # the customer number counter never meet a stale read.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        },
    }


DATABASES = {"default": database_settings()}
if not IS_PRODUCTION and not is_local_host(str(DATABASES["default"].get("HOST") or "")):
    refuse_public_development(f"DATABASE_URL points to {DATABASES['default']['HOST']}")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if MODE == "test":
    PASSWORD_HASHERS = ["rekisteri.testing.hashers.FastArgon2PasswordHasher", *PASSWORD_HASHERS]
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
LOGIN_REDIRECT_URL = "customers:list"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sessions: 30 minutes idle (renewed by activity, at most once a minute; see
# accounts.middleware.SessionLimitsMiddleware), 12 hours at most in all. They are kept
# in the database: a staff member ends their other sessions there (accounts.staff_sessions).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env_int("REKISTERI_SESSION_IDLE_SECONDS", 30 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ABSOLUTE_SECONDS = env_int("REKISTERI_SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# Two-factor sign-in (TOTP with recovery codes; docs/security.md): required for the
# roles named here, comma-separated, or for every staff member with "all". Anyone else
# may turn it on for themselves.
TWO_FACTOR_REQUIRED_ROLES = env_str(
    "REKISTERI_TWO_FACTOR_ROLES", "privacy_officer,administrator"
).replace(" ", "")
# Exports, erasure, revealing an identity code and role changes ask for the password
# or an authenticator code again when the last one is older than this.
REAUTH_SECONDS = env_int("REKISTERI_REAUTH_SECONDS", 5 * 60)
OTP_TOTP_THROTTLE_FACTOR = 1  # seconds, doubled after each wrong code
OTP_STATIC_THROTTLE_FACTOR = 1

# Lockout after repeated failed logins, per username and address.
AXES_ENABLED = True
AXES_FAILURE_LIMIT = env_int("REKISTERI_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["password", "identity_code"]
# Only real accounts' attempts are stored (a name that is no account is counted in the
# cache); attempts and sign-ins are deleted after ACCESS_LOG_DAYS by the retention run.
AXES_HANDLER = "rekisteri.accounts.axes_handler.RealAccountsHandler"
ACCESS_LOG_DAYS = env_int("REKISTERI_ACCESS_LOG_DAYS", 90)
# And per account from any address (accounts/throttle.py): after this many failures
# in a row each attempt waits 1, 2, 4, ... seconds, at most the cap.
SIGN_IN_THROTTLE_AFTER = env_int("REKISTERI_SIGN_IN_THROTTLE_AFTER", 10)
SIGN_IN_THROTTLE_MAX_SECONDS = env_int("REKISTERI_SIGN_IN_THROTTLE_MAX_SECONDS", 300)

# The address of the reverse proxy whose X-Forwarded-For and -Proto `rekisteri serve` trusts.
TRUSTED_PROXY = env_str("REKISTERI_TRUSTED_PROXY")

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if IS_PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("REKISTERI_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("REKISTERI_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("REKISTERI_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("REKISTERI_HSTS_PRELOAD", default=True)
    # The __Host- prefix: the browser keeps these cookies only if they are Secure, for
    # the whole site and this host alone (no Domain attribute).
    SESSION_COOKIE_NAME = "__Host-rekisteri-session"
    CSRF_COOKIE_NAME = "__Host-rekisteri-csrf"
    LANGUAGE_COOKIE_SECURE = True
    LANGUAGE_COOKIE_NAME = "__Host-rekisteri-language"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
    },
}

LANGUAGE_CODE = "fi"
# Customers read Finnish, Swedish or English; staff pages are Finnish or English only
# (rekisteri.languages).
LANGUAGES = [("fi", _("Finnish")), ("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Helsinki"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
if not IS_PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "level": env_str("REKISTERI_LOG_LEVEL", "INFO"),
        }
    },
    "root": {"handlers": ["console"], "level": env_str("REKISTERI_LOG_LEVEL", "INFO")},
}

# Page sizes of customer lists and searches, and of the audit log.
CUSTOMER_PAGE_SIZE = 50
AUDIT_PAGE_SIZE = 50

# Background work: Django's Tasks API (django-tasks), the database as the queue
# (django-tasks-db); `rekisteri worker` runs the queue, `rekisteri serve --worker` runs
# one in the same process for the demo.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# The business's name as its customers know it: the sender of marketing messages.
BUSINESS_NAME = env_str("REKISTERI_BUSINESS_NAME", "Oulunseutuvarasto")
OTP_TOTP_ISSUER = f"Rekisteri {BUSINESS_NAME}"

# The address people reach Rekisteri at, for links in messages (unsubscribe links).
PUBLIC_URL = env_str("REKISTERI_PUBLIC_URL").rstrip("/") or (
    f"https://{ALLOWED_HOSTS[0]}" if IS_PRODUCTION else "http://127.0.0.1:8000"
)

# A customer's download link of their own copy: valid for this many days (1-14), for
# this many downloads (1-5). Portal requests never confirmed are deleted after
# REKISTERI_UNCONFIRMED_REQUEST_DAYS (1-30) by `rekisteri retention run`.
ACCESS_COPY_DAYS = env_int("REKISTERI_ACCESS_COPY_DAYS", 7)
ACCESS_COPY_DOWNLOADS = env_int("REKISTERI_ACCESS_COPY_DOWNLOADS", 1)
UNCONFIRMED_REQUEST_DAYS = env_int("REKISTERI_UNCONFIRMED_REQUEST_DAYS", 7)
for _name, _value, _low, _high in (
    ("REKISTERI_ACCESS_COPY_DAYS", ACCESS_COPY_DAYS, 1, 14),
    ("REKISTERI_ACCESS_COPY_DOWNLOADS", ACCESS_COPY_DOWNLOADS, 1, 5),
    ("REKISTERI_UNCONFIRMED_REQUEST_DAYS", UNCONFIRMED_REQUEST_DAYS, 1, 30),
):
    if not _low <= _value <= _high:
        raise ImproperlyConfigured(f"{_name} must be from {_low} to {_high}, not {_value}")

# Email: SMTP in production (EMAIL_* from the environment); the console in development.
EMAIL_BACKEND = env_str(
    "REKISTERI_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if IS_PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "markkinointi@example.fi")
# Where a List-Unsubscribe mailto goes: a mailbox staff read (docs/marketing.md).
UNSUBSCRIBE_EMAIL = env_str("REKISTERI_UNSUBSCRIBE_EMAIL", DEFAULT_FROM_EMAIL)

# SMS campaigns (docs/sms.md): "console" in development, "gatewayapi" in production
# (where "console" would write numbers and texts to the log: `check --deploy` refuses it).
REKISTERI_SMS_BACKEND = env_str(
    "REKISTERI_SMS_BACKEND", "gatewayapi" if IS_PRODUCTION else "console"
)
REKISTERI_SMS_GATEWAY_URL = env_str("REKISTERI_SMS_GATEWAY_URL", "https://gatewayapi.com")
REKISTERI_SMS_GATEWAY_TOKEN = env_str("REKISTERI_SMS_GATEWAY_TOKEN")
REKISTERI_SMS_SENDER = env_str("REKISTERI_SMS_SENDER", "Rekisteri")

if MODE == "test":
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    REKISTERI_SMS_BACKEND = "locmem"

# The cache holds rate-limit counters (rekisteri.ratelimit) and the start page's consent
# counts (rekisteri.dashboard): per process in local memory, or shared by every app
# server in Redis.
REDIS_URL = env_str("REKISTERI_REDIS_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# API calls per integration key and minute; over it the answer is 429 with Retry-After.
API_RATE_PER_MINUTE = env_int("REKISTERI_API_RATE_PER_MINUTE", 600)
# Credit checks per integration and hour (orders API invoice orders); over it the order
# is answered 429 with Retry-After and the bureau is not asked.
CREDIT_CHECKS_PER_HOUR = env_int("REKISTERI_CREDIT_CHECKS_PER_HOUR", 60)
# Refused requests nobody proved who sent (no or a wrong API key, an unsigned webhook,
# a failed sign-in) per client address and minute; over it the answer is 429 before
# the database is read (rekisteri/audit/refusals.py).
REFUSAL_RATE_PER_MINUTE = env_int("REKISTERI_REFUSAL_RATE_PER_MINUTE", 20)
# Such refusals are one audit event at the first and one with the count per window.
REFUSAL_WINDOW_MINUTES = env_int("REKISTERI_REFUSAL_WINDOW_MINUTES", 15)
# `rekisteri worker` runs the WooCommerce catch-up sync of each shop with a REST API
# key this often (docs/web-shops.md); 0 turns that off, for a systemd timer instead.
REKISTERI_WOOCOMMERCE_SYNC_MINUTES = env_int("REKISTERI_WOOCOMMERCE_SYNC_MINUTES", 15)
if REKISTERI_WOOCOMMERCE_SYNC_MINUTES < 0:
    raise ImproperlyConfigured(
        "REKISTERI_WOOCOMMERCE_SYNC_MINUTES must be 0 (off) or more, "
        f"not {REKISTERI_WOOCOMMERCE_SYNC_MINUTES}"
    )
