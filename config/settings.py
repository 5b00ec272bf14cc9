"""Settings for Returnee Casework, read from the environment.

Every setting that differs between a laptop and production comes from an environment variable,
parsed by the strict helpers below: a value that cannot be parsed stops start-up with a message
naming the variable, rather than silently falling back to a default.
"""

import importlib.util
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = envbool("DJANGO_DEBUG", False)

# --- Security: secret key, hosts, HTTPS, cookies, headers (issue 7) ---
# With DEBUG off (production) every default below is the safe one; each relaxation is a variable an
# operator sets on purpose. README "Configuration" and "Security headers" list them.

# Keys that are public (this repository's development key and its former test key) and words that mark
# a key as an example: never a production key, however long.
DEVELOPMENT_SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105
PUBLISHED_SECRET_KEYS = frozenset(
    {DEVELOPMENT_SECRET_KEY, "test-only-secret-key-not-for-any-deployment-0123456789"}
)
PLACEHOLDER_MARKERS = ("insecure", "changeme", "change-me", "change_me", "placeholder", "do-not-use")


def secret_key_problem(key: str) -> str | None:
    """Why `key` must not sign production sessions, or None. Django's deploy check (security.W009)
    asks for at least 50 characters, at least 5 distinct ones and no "django-insecure-" prefix (the key
    `startproject` writes); on top of that a public or placeholder key is refused."""
    if not key:
        return "is not set"
    if len(key) < 50:
        return "is shorter than 50 characters"
    if len(set(key)) < 5:
        return "has fewer than 5 distinct characters"
    if key.startswith("django-insecure-"):
        return 'starts with "django-insecure-" (the key startproject writes)'
    if key in PUBLISHED_SECRET_KEYS or any(marker in key.lower() for marker in PLACEHOLDER_MARKERS):
        return "is a published or placeholder key"
    return None


def proxy_ssl_header(name: str) -> tuple[str, str] | None:
    """DJANGO_SECURE_PROXY_SSL_HEADER names the header the TLS-terminating proxy sets to "https"
    (e.g. X-Forwarded-Proto); Django reads it as a META key. Empty: no proxy header is trusted."""
    if not name:
        return None
    if not all(char.isascii() and (char.isalnum() or char == "-") for char in name):
        raise ImproperlyConfigured(
            f"DJANGO_SECURE_PROXY_SSL_HEADER must be a header name such as X-Forwarded-Proto, got {name!r}"
        )
    return "HTTP_" + name.upper().replace("-", "_"), "https"


GENERATE_A_KEY = "generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
SECRET_KEY = env("DJANGO_SECRET_KEY")
if DEBUG:
    # Development only: a fixed key keeps sessions valid across restarts of `make run`.
    SECRET_KEY = SECRET_KEY or DEVELOPMENT_SECRET_KEY
else:
    # The key is never repeated in the message: it may be the real one, only too short.
    if problem := secret_key_problem(SECRET_KEY):
        raise ImproperlyConfigured(
            f"DJANGO_SECRET_KEY {problem}; with DJANGO_DEBUG off it must be a long random secret "
            f"({GENERATE_A_KEY}). For local development set DJANGO_DEBUG=true."
        )
    for old_key in envlist("DJANGO_SECRET_KEY_FALLBACKS"):
        if problem := secret_key_problem(old_key):
            raise ImproperlyConfigured(f"a key in DJANGO_SECRET_KEY_FALLBACKS {problem}; {GENERATE_A_KEY}.")

ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS is required when DJANGO_DEBUG is off: the comma-separated host names "
        "this site is served under, e.g. casework.example.org"
    )
if not DEBUG and "*" in ALLOWED_HOSTS:
    # Any Host header would be believed, and it is written into absolute links (the API's `next`).
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list host names, not '*', when DJANGO_DEBUG is off")
# Origins (https://host) a form may be posted from besides the site's own, e.g. when the proxy serves it
# under a second name. Rarely needed: Django compares the Origin header with the request's own host.
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS")

# HTTPS. Every plain-HTTP request is redirected, except /healthz (load balancers probe it over HTTP; it
# answers only "ok"). Behind a TLS-terminating proxy, either name the header it sets (and the proxy must
# overwrite any value a client sends) or let the proxy redirect and set DJANGO_SECURE_SSL_REDIRECT=false.
SECURE_SSL_REDIRECT = envbool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_PROXY_SSL_HEADER = proxy_ssl_header(env("DJANGO_SECURE_PROXY_SSL_HEADER"))
# A browser that has seen the site over HTTPS refuses plain HTTP to it, and its subdomains, for a year.
# Preloading is a request to browser vendors that takes months to undo, for the whole domain: opt-in.
SECURE_HSTS_SECONDS = 0 if DEBUG else 365 * 24 * 60 * 60
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = envbool("DJANGO_SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = []
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS.append("security.W021")  # "no preload": a decision above, not an oversight
if not SECURE_SSL_REDIRECT and not DEBUG:
    SILENCED_SYSTEM_CHECKS.append("security.W008")  # the operator said the proxy redirects

# Cookies: sent over HTTPS only, out of reach of scripts. SameSite=Lax rather than Strict: a link to a
# case page from an e-mail or another tool must open signed in (Strict would show the sign-in page to
# someone already signed in), and Lax already withholds the cookies from every cross-site POST, frame
# and subrequest; every change of state is a POST with a CSRF token on top.
SESSION_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_HTTPONLY = True  # no script of ours reads it: the token travels in the page
CSRF_COOKIE_SAMESITE = "Lax"

# Headers (django.middleware.security and clickjacking). Referrer-Policy "same-origin": no address of
# ours (they hold case references) leaves the site, while same-site form posts keep their Origin —
# "no-referrer" would make browsers send "Origin: null", which Django's CSRF check refuses over HTTPS.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp): scripts, styles and images only from our own files — no inline
# script, no inline style, no plugins, no <base>, never inside a frame, forms post only to us. The API
# docs page adds `img-src data:` for Swagger UI's icons (casework/api/urls.py), nothing else does.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

INSTALLED_APPS = [
    "casework.apps.CaseworkAdminConfig",  # django.contrib.admin with a role-aware site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # the API docs' assets, served by the app: no CDN
    "simple_history",
    "csp",  # django-csp: its system checks (the policy itself is middleware)
    "policies",
    "casework",
    "django_otp",  # two-factor sign-in (issue 7)
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "casework.two_factor",
    "axes",  # last, as django-axes asks
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files, before anything that needs a session
    "casework.security_headers.NoStoreMiddleware",  # Cache-Control: no-store where data may be
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy from CONTENT_SECURITY_POLICY
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "casework.nul_bytes.RejectNulCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # user.is_verified(): two-factor sign-in (issue 7)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "casework.middleware.SessionLifetimeMiddleware",
    "casework.two_factor.middleware.RequireTwoFactorMiddleware",  # no page before the code (issue 7)
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

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

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
    )
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "casework.User"
AUTHENTICATION_BACKENDS = [
    "casework.signin.LockoutBackend",  # axes: refuses locked-out sign-ins before checking a password
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = env("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# Sessions: an idle timeout renewed by requests (at most once a minute: casework/middleware.py), and an
# absolute lifetime from sign-in.
SESSION_IDLE_TIMEOUT_MINUTES = envint("CASEWORK_SESSION_IDLE_MINUTES", 30)
SESSION_MAX_LIFETIME_HOURS = envint("CASEWORK_SESSION_MAX_HOURS", 12)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = False  # casework.middleware.renew_idle_timeout renews it
# Cookie flags: in the security section above.

# Sign-in lockout (django-axes): per account and, separately, per address.
AXES_FAILURE_LIMIT = envint("CASEWORK_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = envint("CASEWORK_LOGIN_COOLOFF_MINUTES", 30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "casework.signin.lockout_response"
AXES_CLIENT_IP_CALLABLE = "casework.audit.client_ip"  # the address the audit trail records
AXES_USERNAME_CALLABLE = "casework.signin.attempted_username"  # cut to a username's length
AXES_VERBOSE = False

# Aggregates with a count from 1 to k-1 are suppressed before anyone sees them (DESIGN §3.5).
SUPPRESSION_THRESHOLD = envint("CASEWORK_SUPPRESSION_THRESHOLD", 5)

# The dashboard's "needs action": a referral waiting on its provider, an assessment overdue (days).
CASEWORK_REFERRAL_WAITING_DAYS = envint("CASEWORK_REFERRAL_WAITING_DAYS", 21)
CASEWORK_ASSESSMENT_OVERDUE_DAYS = envint("CASEWORK_ASSESSMENT_OVERDUE_DAYS", 90)
# How long an organisation-wide dashboard chart (referrals by status and outcome) is reused from the
# cache, in seconds; 0 counts on every load.
CASEWORK_DASHBOARD_CACHE_SECONDS = envint("CASEWORK_DASHBOARD_CACHE_SECONDS", 120)
CASEWORK_API_TOKEN_DAYS = envint("CASEWORK_API_TOKEN_DAYS", 90)

REST_FRAMEWORK = {
    # Tokens for scripts and integrations; the session for the browsable API.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "casework.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "casework.api.pagination.Pagination",
    "PAGE_SIZE": envint("CASEWORK_API_PAGE_SIZE", 50),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["casework.api.throttling.PerTokenThrottle"],
    "DEFAULT_THROTTLE_RATES": {"per_token": env("CASEWORK_API_THROTTLE", "1000/hour")},
    "EXCEPTION_HANDLER": "casework.api.errors.exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Returnee Casework API",
    "DESCRIPTION": "Anonymised casework data for analysts and integrations. See README.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "casework.api.schema.one_of_to_any_of",
    ],
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "casework.choices.CaseStatus",
        "ReferralStatusEnum": "casework.choices.ReferralStatus",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", "WARNING")},
}

# --- Data protection and hostile input (issue 7) ---
# How long an archived case keeps its free text (notes, outcomes, closure notes) and its field history:
# `manage.py purge_archived` removes them this many whole years after the case was archived, keeping
# the structured record that statistics and reports count. See README "Data protection".
CASEWORK_RETENTION_YEARS_AFTER_ARCHIVE = envint("CASEWORK_RETENTION_YEARS_AFTER_ARCHIVE", 7)
if CASEWORK_RETENTION_YEARS_AFTER_ARCHIVE < 1:
    raise ImproperlyConfigured(
        "CASEWORK_RETENTION_YEARS_AFTER_ARCHIVE must be at least 1 (years), got "
        f"{CASEWORK_RETENTION_YEARS_AFTER_ARCHIVE}"
    )
# django.template logs a missing template variable at DEBUG with an exception whose text is the whole
# template context, free text included: keep the line, drop the exception (casework/log_filters.py).
LOGGING.setdefault("filters", {})["without_template_context"] = {
    "()": "casework.log_filters.WithoutTemplateContext"
}
LOGGING.setdefault("loggers", {})["django.template"] = {"filters": ["without_template_context"]}
# DRF's parsers, with JSON nested too deeply to decode refused (400) instead of failing (500).
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "casework.api.parsers.JSONParser",
    "rest_framework.parsers.FormParser",
    "rest_framework.parsers.MultiPartParser",
]

# --- Running in production (issue 7) ---
# docs/DEPLOY.md explains each of these. Static files: `collectstatic` copies them into STATIC_ROOT with
# a hash of their content in every name, plus compressed copies; whitenoise serves them from the app with
# "cache for a year" headers. Tests, `make run` and a fresh checkout have collected nothing: with
# DJANGO_STATIC_MANIFEST=false (the default with DEBUG on; tests set it) files are looked up in the apps'
# folders on each request instead.
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATIC_MANIFEST = envbool("DJANGO_STATIC_MANIFEST", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
WHITENOISE_AUTOREFRESH = not STATIC_MANIFEST
WHITENOISE_ALLOW_ALL_ORIGINS = False  # nothing on another site needs our stylesheets

# Rotating the secret key: put the new key in DJANGO_SECRET_KEY and the old one here (comma-separated) so
# sessions and signed values made with it stay valid until they expire; then remove it.
SECRET_KEY_FALLBACKS = envlist("DJANGO_SECRET_KEY_FALLBACKS")

# A read replica for analysts: their API reads (anonymised, aggregated, never their own writes) go to
# DATABASE_REPLICA_URL; everybody else, and every write, uses the primary. config/replica.py.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60)
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # a test run reads the primary's test database
    DATABASE_ROUTERS = ["config.replica.AnalystReadsRouter"]
    MIDDLEWARE.insert(0, "config.replica.RememberRequestMiddleware")

# A shared cache (Redis) for several app servers: the API throttle counts in the cache, so without one
# each process counts on its own. django-axes counts failed sign-ins in the database either way.
CACHE_URL = env("CACHE_URL") or env("REDIS_URL")
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        # The value is not repeated: it may hold a password.
        raise ImproperlyConfigured("CACHE_URL (or REDIS_URL) must be a redis://, rediss:// or unix:// URL.")
    if importlib.util.find_spec("redis") is None:
        raise ImproperlyConfigured("CACHE_URL needs the redis package: pip install 'redis>=5'")
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "returnee"),
        }
    }
# Sessions stay in the database. With a cache, CASEWORK_SESSIONS_IN_CACHE=true also keeps them there for
# reading (write-through: a restarted Redis signs nobody out).
if envbool("CASEWORK_SESSIONS_IN_CACHE", False):
    if not CACHE_URL:
        raise ImproperlyConfigured("CASEWORK_SESSIONS_IN_CACHE needs CACHE_URL (a shared cache).")
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Two-factor sign-in (issue 7) ---
# A code from an authenticator app (TOTP, django-otp) after the password, for every role. On by default
# in production; off by default with DEBUG on (`make run`) and in tests (config/testenv.py), where a test
# turns it on with `settings.REQUIRE_2FA = True`. See README "Two-factor sign-in".
REQUIRE_2FA = envbool("DJANGO_REQUIRE_2FA", not DEBUG)
# Exports and new API tokens ask for a code again when the last one is older than this (minutes).
CASEWORK_2FA_FRESH_MINUTES = envint("CASEWORK_2FA_FRESH_MINUTES", 10)
if CASEWORK_2FA_FRESH_MINUTES < 1:
    raise ImproperlyConfigured(
        f"CASEWORK_2FA_FRESH_MINUTES must be at least 1 (minutes), got {CASEWORK_2FA_FRESH_MINUTES}"
    )
# The name the authenticator app shows next to the account.
OTP_TOTP_ISSUER = env("CASEWORK_2FA_ISSUER", "Returnee Casework")
# Wrong codes are throttled per device: after n failures in a row the next check waits 2^(n-1) seconds.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# --- Background exports (issue 8) ---
# Large exports (the caseload report and the country brief as PDF or XLSX, the XLSX of every case) are
# prepared by a task queue, huey (casework/export_jobs/). With CASEWORK_TASKS_URL (redis://host:6379/2)
# the web servers put jobs on that Redis and a separate consumer runs them (`manage.py run_huey`,
# deploy/systemd/returnee-tasks.service); they share nothing else but the database, where the prepared
# file is kept. Without it (`make run`, the tests) huey runs each job in-process as it is enqueued.
CASEWORK_TASKS_URL = env("CASEWORK_TASKS_URL")
if CASEWORK_TASKS_URL:
    if not CASEWORK_TASKS_URL.startswith(("redis://", "rediss://", "unix://")):
        # The value is not repeated: it may hold a password.
        raise ImproperlyConfigured("CASEWORK_TASKS_URL must be a redis://, rediss:// or unix:// URL.")
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": env("CASEWORK_TASKS_QUEUE", "returnee-tasks"),
        "url": CASEWORK_TASKS_URL,
        "immediate": False,
        "utc": True,
        "consumer": {
            # Exports are CPU-bound and hold a file in memory: few workers, threads (no fork after the
            # database connection is open). Raise on a larger machine.
            "workers": envint("CASEWORK_TASKS_WORKERS", 1),
            "worker_type": "thread",
            "periodic": True,  # the hourly purge of expired files
        },
    }
else:
    HUEY = {"huey_class": "huey.MemoryHuey", "name": "returnee-tasks", "immediate": True, "utc": True}
INSTALLED_APPS.append("huey.contrib.djhuey")
# How long a prepared file is kept for its download (hours), and how many unfinished exports one user
# may have waiting at a time.
CASEWORK_EXPORT_KEEP_HOURS = envint("CASEWORK_EXPORT_KEEP_HOURS", 24)
CASEWORK_EXPORT_MAX_UNFINISHED = envint("CASEWORK_EXPORT_MAX_UNFINISHED", 3)
if CASEWORK_EXPORT_KEEP_HOURS < 1 or CASEWORK_EXPORT_MAX_UNFINISHED < 1:
    raise ImproperlyConfigured(
        "CASEWORK_EXPORT_KEEP_HOURS and CASEWORK_EXPORT_MAX_UNFINISHED must be at least 1."
    )
