"""Settings shared by every environment; each value that differs per deployment comes
from an environment variable so one code path serves SQLite locally and PostgreSQL in
production."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "accounts",
    "organizations",
    "home",
    "activities",
    "search",
    "wagtail.contrib.settings",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "accounts.wagtail_users.UsersAppConfig",
    "wagtail.snippets",
    # Wagtail's documents and images, where uploaders may also choose their own files
    # (accounts/uploads.py).
    "accounts.uploads.DocumentsAppConfig",
    "accounts.uploads.ImagesAppConfig",
    "wagtail.search",
    "wagtail.admin",
    # After wagtail.admin: its ready() replaces one of Wagtail's signal receivers.
    "workflow",
    "wagtail.api.v2",
    "wagtail",
    "wagtail_modeladmin",
    "modelcluster",
    "taggit",
    "rest_framework",
    # Needed by wagtail-modeladmin's list filters; the Django admin site has no URL.
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    # Its catalog translates "8 minutes ago", which Wagtail's workflow status uses.
    "django.contrib.humanize",
    "axes",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    # First: request ids and access lines cover every answer, redirects and 503s included.
    "config.middleware.RequestIdMiddleware",
    "config.middleware.HealthCheckMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
    # Anonymous pages from the cache: a hit skips everything below (activities/cache.py).
    "activities.cache.PageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.AdminInlineScriptsMiddleware",
    "home.routing.SiteMiddleware",
    "config.middleware.OversizedNumberMiddleware",
    "activities.permissions.SubmitterScopeMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

# SQLite file in the project unless DATABASE_URL names another database.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compiles plans whose estimated cost is high (counts, deep pages) for 50-100 ms
    # each; short web queries never earn that back. A page's query joins up to nine
    # tables (the page, its activity, regions, type, channel, poster, nomination): with
    # the default join_collapse_limit of 8 the planner weighed every join order for
    # 10-35 ms against well under 1 ms of execution. Django writes the joins from the
    # driving table outwards, an order worth keeping; searches over four at a time still
    # let the planner reorder where it matters. A search for a common word builds a bitmap
    # of ~150,000 index entries: in the default 4 MB of work_mem it turned lossy and every
    # candidate's body was re-read and re-checked (150 ms instead of 60; docs/performance.md).
    # A sequential scan of a large table starts where the last one stopped: search reads
    # the first matches of a common word that way (search/ranked.py), and found different
    # ones on every request, so a reload or the next page showed other activities.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options",
        os.environ.get(
            "DB_PG_OPTIONS",
            "-c jit=off -c join_collapse_limit=4 -c work_mem=16MB -c synchronize_seqscans=off",
        ),
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while a writer commits; IMMEDIATE avoids "database is
    # locked" upgrades from read to write locks under concurrent requests.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# activity_end includes start_at for PostgreSQL's index-only scans; SQLite builds the same
# index without it, which is all this warning says.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "kepuri"),
            "TIMEOUT": 600,
            "OPTIONS": {
                # A Redis outage must degrade to uncached pages, not errors.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {
        "default": {
            "BACKEND": os.environ.get(
                "CACHE_BACKEND", "django.core.cache.backends.locmem.LocMemCache"
            ),
            "LOCATION": os.environ.get("CACHE_LOCATION", "kepuri"),
            "TIMEOUT": 600,
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Anonymous public pages are served from the cache for this long at most; publishing,
# taking down or deleting an activity invalidates them at once (activities/cache.py).
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "300"))
# With Redis, each process also keeps the pages it served last in memory, dropped on every
# publication announced over Redis (activities/cache.py HotPages).
PAGE_CACHE_IN_PROCESS = os.environ.get("PAGE_CACHE_IN_PROCESS", "1") == "1"
# After a publication, a set of listing filters or a statistics report is recounted at most
# this often: a count at a million activities takes 0.4-0.9 s, and at the September peak
# approvals come every few seconds. Between recounts a total shown may lag by the last
# seconds' publications (page 1 of a listing never does; activities.cache.recounted);
# 0 recounts after every publication.
RECOUNT_SECONDS = int(os.environ.get("RECOUNT_SECONDS", "10"))
# A search's ranked ids are kept this long at most for the same words and filters, and
# until a publication (then as long as counts may lag; activities.listing.kept_search_ids);
# 0 ranks every search afresh.
SEARCH_IDS_SECONDS = int(os.environ.get("SEARCH_IDS_SECONDS", "300"))
# Activity cards each process keeps built (about 1.5 KB each; activities/cards.py); 0: none.
CARD_MEMORY_SIZE = int(os.environ.get("CARD_MEMORY_SIZE", "20000"))
# Reference rows (regions, types, organizations, posters) and units of live revisions each
# process keeps under the site version (about 1 KB each; home/references.py); 0: none, the
# shared cache still serves them.
REFERENCE_MEMORY_SIZE = int(os.environ.get("REFERENCE_MEMORY_SIZE", "5000"))

AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out login before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
WAGTAILADMIN_USER_LOGIN_FORM = "accounts.forms.AdminLoginForm"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/admin/"
LOGOUT_REDIRECT_URL = "/"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ["phone", "real_name", "email"]},
    },
    {"NAME": "accounts.validators.PersonalDataPasswordValidator"},
    {
        "NAME": "accounts.validators.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions: a working day, then log in again ("remember me" on the admin login keeps the
# cookie that long; without it the session ends with the browser).
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(12 * 60 * 60)))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Login throttling (django-axes, accounts/lockout.py, docs/accounts.md): LOGIN_FAILURE_LIMIT
# wrong passwords for one account, or LOGIN_IP_FAILURE_LIMIT from one client address, pause
# logins for LOGIN_LOCKOUT_MINUTES.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_IP_FAILURE_LIMIT = int(os.environ.get("LOGIN_IP_FAILURE_LIMIT", "20"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Registration attempts per client address and hour (accounts.views.register).
REGISTRATION_ATTEMPTS_PER_HOUR = int(os.environ.get("REGISTRATION_ATTEMPTS_PER_HOUR", "20"))
# Password reset by e-mail (accounts.views.PasswordResetView): requests per client network
# and mails per address in an hour.
PASSWORD_RESET_REQUESTS_PER_HOUR = int(os.environ.get("PASSWORD_RESET_REQUESTS_PER_HOUR", "10"))
PASSWORD_RESET_MAILS_PER_ADDRESS_PER_HOUR = int(
    os.environ.get("PASSWORD_RESET_MAILS_PER_ADDRESS_PER_HOUR", "3")
)
AXES_HANDLER = "accounts.lockout.LoginAttemptHandler"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.lockout.attempted_username"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# A successful login clears that account's failures (not its address's, see the handler).
AXES_RESET_ON_SUCCESS = True
# Attempts made while locked out do not extend the pause: the page's "N minutes" holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Its admin pages belong to Django's admin site, which has no URL here.
AXES_ENABLE_ADMIN = False
# No row per successful login (axes.AccessLog: number, address, browser, kept forever): the
# access line (config.access, with its request id) already says who logged in when, and
# nginx's line with the same id the address and browser. Failures (AccessAttempt) are
# still stored: the lockout counts them.
AXES_DISABLE_ACCESS_LOG = True
# manage.py prune_personal_data (daily, deploy/systemd/kepuri-prune.service) deletes login
# records (access logs left from before, failures long past their lockout) older than this.
LOGIN_RECORD_RETENTION_DAYS = int(os.environ.get("LOGIN_RECORD_RETENTION_DAYS", "30"))
# The public API is read-only and anonymous: DRF's default HTTP Basic authentication would
# only add a password-guessing endpoint without the lockout page.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
}
# How many reverse proxies of ours append to X-Forwarded-For in front of the application
# (nginx with $proxy_add_x_forwarded_for: 1). 0 trusts no header and uses the socket address.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# Language and time: Chinese first, English available; all times are Beijing time.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
# Wagtail's account page offered every time zone, and the admin then read and wrote dates
# in it: a start typed as 09:00 was stored as 09:00 in Honolulu, and the campaign window
# was judged by the user's own calendar (R8, R15). One zone hides the choice;
# accounts/migrations/0005 clears zones chosen before.
WAGTAIL_USER_TIME_ZONES = [TIME_ZONE]

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "static_collected"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Whether nginx serves MEDIA_ROOT's internal folders when the application answers with
# X-Accel-Redirect (deploy/nginx/kepuri.conf): nomination videos, after a permission check.
# Off, the application streams those files itself.
MEDIA_ACCEL_REDIRECT = env_bool("MEDIA_ACCEL_REDIRECT", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploads above this stay on disk instead of memory; posters can be 10 MB.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

# Every mail is queued (home/mail.py) and sent by the background worker with the transport
# that EMAIL_BACKEND names; a request never waits for the mail server.
EMAIL_TRANSPORT = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_BACKEND = "home.mail.QueuedEmailBackend"
# Seconds the worker waits for the mail server before trying again later (Django: forever).
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@kepuri.example.cn")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Wagtail
WAGTAIL_SITE_NAME = _("National Science Day Activity Platform")
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_NOTIFICATION_INCLUDE_SUPERUSERS = False
WAGTAIL_ENABLE_UPDATE_CHECK = False
# Autosave's first save creates the page; a "save draft" click racing it created a second
# activity (tests/e2e). Submitters save explicitly.
WAGTAIL_AUTOSAVE_INTERVAL = 0
# The last review approval publishes, also where Wagtail's publish is closed (activities).
WAGTAIL_FINISH_WORKFLOW_ACTION = "workflow.publishing.publish_approved"
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 64_000_000
# HEIC and HEIF (phone photos) are stored as JPEG (activities/uploads.py). Listed here, the
# upload pages' file dialogs and drag-and-drop uploader offer them.
WAGTAILIMAGES_EXTENSIONS = ["jpg", "jpeg", "png", "webp", "heic", "heif"]
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "xlsx", "pptx", "txt", "csv"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
# Pixels counted before decoding, damaged files and web code refused (activities/uploads.py).
WAGTAILIMAGES_IMAGE_FORM_BASE = "activities.uploads.ImageForm"
WAGTAILDOCS_DOCUMENT_FORM_BASE = "activities.uploads.DocumentForm"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "search.backends"}}

# django-tasks. Wagtail's own tasks (a saved page's search entry, its references) stay on
# "default", in the request. "background" takes work too long for a request: reindexing
# the activities that name a renamed organization (activities/indexing.py). Immediate here;
# production queues it in the database for `manage.py db_worker`.
IMMEDIATE_TASKS = "django_tasks.backends.immediate.ImmediateBackend"
DATABASE_TASKS = "django_tasks_db.DatabaseBackend"
TASKS = {
    "default": {"BACKEND": IMMEDIATE_TASKS},
    "background": {
        "BACKEND": DATABASE_TASKS
        if os.environ.get("BACKGROUND_TASKS") == "database"
        else IMMEDIATE_TASKS
    },
}
WAGTAILADMIN_RICH_TEXT_EDITORS = {
    "default": {
        # Draftail, reading a malformed value as empty instead of failing (issue #9).
        "WIDGET": "activities.rich_text.DraftailEditor",
        "OPTIONS": {"features": ["h2", "h3", "h4", "bold", "italic", "ol", "ul", "link", "image"]},
    }
}

# Content Security Policy (django-csp 4). No inline script on the public site; the Wagtail
# admin still runs a few, which config.middleware.AdminInlineScriptsMiddleware allows on its
# pages only. Inline styles are allowed (the admin and embeds use them); everything else is
# same-origin only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "frame-ancestors": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
}
# Wagtail marks its preview views SAMEORIGIN itself; everything else may not be framed.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# One line per record, with the request id (config/logs.py): LOG_FORMAT=plain for people,
# json for log shippers (the production default).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "config.logs.RequestIdFilter"},
        "private_paths": {"()": "config.logs.PrivatePathsFilter"},
        "cache_outage": {"()": "config.logs.CacheOutageFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "config.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "private_paths"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "jieba": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        # The access lines of config.middleware.RequestIdMiddleware; WARNING silences them.
        "config.access": {"level": os.environ.get("ACCESS_LOG_LEVEL", "INFO")},
        "django_redis.cache": {"filters": ["cache_outage"]},
    },
}
WAGTAIL_GRAVATAR_PROVIDER_URL = None  # no third-party image requests from the admin
