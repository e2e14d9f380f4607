"""Settings shared by every environment; each switch comes from an environment variable."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

from kam.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "template_partials",
    "django_filters",
    "django_countries",
    "simple_history",
    "django_celery_beat",
    "axes",
    "csp",
    "kam",
    "accounts",
    "goals",
    "controlling",
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
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so it turns the lock-out flag a login view left on the request into the page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kam.urls"
WSGI_APPLICATION = "kam.wsgi.application"

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
                "controlling.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True

# The dashboard keeps its page, filter choices and whole-portfolio figures here under keys
# holding the versions of the tables they read (kam.kept), which live in the database: so a
# per-process cache is correct, and a shared one (CACHE_URL=rediscache://127.0.0.1:6379/1)
# lets all web processes reuse each other's.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "kam.User"
# django-axes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = [
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

# Login throttling (django-axes; "Login throttling" in docs/architecture.md). Failures are
# counted per user name and, separately, per client address; either count reaching the limit
# locks logins out: per user name stops guessing one password from many addresses, per
# address stops one address trying a common password on many user names. Both the app's
# login and the admin's. After the cool-off the lock lifts itself; with
# KAM_LOGIN_COOLOFF_MINUTES=0 it stays until an administrator lifts it (admin, *Access
# attempts*, or `manage.py axes_reset`).
AXES_FAILURE_LIMIT = env.int("KAM_LOGIN_FAILURE_LIMIT", default=5)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
_login_cooloff_minutes = env.int("KAM_LOGIN_COOLOFF_MINUTES", default=30)
AXES_COOLOFF_TIME = timedelta(minutes=_login_cooloff_minutes) if _login_cooloff_minutes else None
AXES_LOCKOUT_CALLABLE = "kam.login.locked_out"
# The client's address: REMOTE_ADDR, or with KAM_TRUSTED_PROXY_COUNT reverse proxies in front
# (each appending to X-Forwarded-For) the address the outermost of them saw (kam.login).
KAM_TRUSTED_PROXY_COUNT = env.int("KAM_TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "kam.login.client_address"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("DJANGO_TIME_ZONE", default="Europe/Berlin")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Content Security Policy (django-csp; "Content Security Policy" in docs/architecture.md).
# Scripts only from our own static files: no inline script, no event handler attribute, no
# eval. Styles allow inline `style` attributes, which templates use for computed widths and
# positions (progress bars, the measure timeline); a style cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        # Bootstrap draws form controls' icons with data: SVGs.
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("DJANGO_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("DJANGO_EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("DJANGO_EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("DJANGO_EMAIL_USE_SSL", default=False)
# Seconds before an SMTP server that does not answer fails the send, so a hung server cannot
# hold a worker until the task's time limit.
EMAIL_TIMEOUT = env.int("DJANGO_EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="kam@localhost")

# Without a broker the tasks run in-process, so the embedded default needs no services.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request that queues work must not wait for a broker that is down: connect for at most a
# second and do not retry a publish (the work stays marked in the database, and the
# reconciler queues it once the broker is back). Without these, Celery retries the result
# store for about 19 seconds before answering.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 5}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"max_retries": 0}}
CELERY_TIMEZONE = TIME_ZONE
# Periodic tasks live in the database (django-celery-beat), so administrators can change
# their times in the admin; the entries below are written into it whenever beat starts. The
# nightly controlling run is created by the migration controlling/0005 instead, so a time
# changed in the admin stays changed.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    # 06:30 local time, before managers start their day.
    "contact-reminders": {
        "task": "accounts.tasks.send_contact_reminders",
        "schedule": crontab(minute=30, hour=6),
    },
}

# First month of the fiscal year (1 = January); a fiscal year is named by the year it ends in.
KAM_FISCAL_YEAR_START_MONTH = env.int("KAM_FISCAL_YEAR_START_MONTH", default=1)

# Where goals reads last year's actuals (the baselines of next year's plan): a callable
# (*, account, fiscal_year) -> {KPI id: rolled-up actual}. goals imports it by this path, so
# the dependency points from controlling to goals only (goals never imports controlling).
KAM_ACTUALS_PROVIDER = "controlling.selectors.actuals.actual_totals"

# What sizes the bubbles of the portfolio matrix: a callable (*, account_ids) ->
# {account id: number}, with an optional `label` attribute naming the figure. The default
# draws every bubble the same size; an app that knows revenue points this at its provider,
# so accounts never imports it. controlling does: revenue actuals of the fiscal year so far.
KAM_ACCOUNT_SIZE_PROVIDER = "controlling.selectors.portfolio.account_revenue"

# The controlling run: accounts per chunk (one task each, so several workers share a run); a
# chunk whose heartbeat (every KAM_CONTROLLING_HEARTBEAT_SECONDS while a worker computes it)
# or a run without any sign of life stops for this many minutes counts as lost (its worker
# or its message was lost): the reconciler queues it again, and a new full run may start;
# a recompute mark that no run has taken after KAM_CONTROLLING_MARK_GRACE_MINUTES gets a run
# from the reconciler; finished runs are kept this many days.
KAM_CONTROLLING_CHUNK_SIZE = env.int("KAM_CONTROLLING_CHUNK_SIZE", default=200)
KAM_CONTROLLING_RUN_STALE_MINUTES = env.int("KAM_CONTROLLING_RUN_STALE_MINUTES", default=10)
KAM_CONTROLLING_HEARTBEAT_SECONDS = env.int("KAM_CONTROLLING_HEARTBEAT_SECONDS", default=60)
KAM_CONTROLLING_MARK_GRACE_MINUTES = env.int("KAM_CONTROLLING_MARK_GRACE_MINUTES", default=3)
KAM_CONTROLLING_RUN_KEEP_DAYS = env.int("KAM_CONTROLLING_RUN_KEEP_DAYS", default=90)

# Alerts: an open deviation without countermeasure escalates to leadership after this many
# days; links in alert mails start with this address (no request to take it from).
KAM_DEVIATION_ESCALATION_DAYS = env.int("KAM_DEVIATION_ESCALATION_DAYS", default=14)
KAM_BASE_URL = env("KAM_BASE_URL", default="http://127.0.0.1:8000")
# A measure's owner is reminded this many days before its due date (and once when overdue).
KAM_MEASURE_DUE_DAYS = env.int("KAM_MEASURE_DUE_DAYS", default=7)

# Whether `load_demo` may create the well-known demo logins (password "demo").
KAM_ALLOW_DEMO_DATA = env.bool("KAM_ALLOW_DEMO_DATA", default=DEBUG)

# One line per record with time, level and logger, as text or (KAM_LOG_FORMAT=json) JSON;
# Celery workers and beat log through the same configuration (kam/celery.py).
LOGGING = logging_config(
    log_format=env("KAM_LOG_FORMAT", default="text"),
    level=env("DJANGO_LOG_LEVEL", default="INFO"),
)
