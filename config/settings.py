"""Settings for Returnee Casework, read from the environment.

Every setting that differs between a laptop and production comes from an environment variable,
parsed by the strict helpers below: a value that cannot be parsed stops start-up with a message
naming the variable, rather than silently falling back to a default.
"""

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

SECRET_KEY = env("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off. "
            "Set DJANGO_DEBUG=true for local development."
        )
    # Development only: a fixed key keeps sessions valid across restarts of `make run`.
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")

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
    "policies",
    "casework",
    "axes",  # last, as django-axes asks
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "casework.nul_bytes.RejectNulCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "casework.middleware.SessionLifetimeMiddleware",
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

# Sessions: an idle timeout renewed on every request, and an absolute lifetime from sign-in.
SESSION_IDLE_TIMEOUT_MINUTES = envint("CASEWORK_SESSION_IDLE_MINUTES", 30)
SESSION_MAX_LIFETIME_HOURS = envint("CASEWORK_SESSION_MAX_HOURS", 12)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

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
