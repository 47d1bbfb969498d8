"""Production: secrets and hosts must come from the environment; HTTPS is assumed to be
terminated by a proxy that sets X-Forwarded-Proto."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool, env_list

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("Set SECRET_KEY to a random value of at least 50 characters.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set ALLOWED_HOSTS to the site's host names.")

# Links in mails (review, password reset, take-down). The development default,
# http://127.0.0.1:8000, reached users' inboxes when the variable was forgotten.
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL") or (
    "https://" + ALLOWED_HOSTS[0].lstrip(".")
)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
# Off unless the operator decides (docs/deploy.md section 9): HSTS with includeSubDomains
# on an association's own domain would force HTTPS on every other site under it (an intranet
# or mail web page still on plain HTTP stops opening for a year), and "preload" invites
# adding the domain to the browsers' built-in list, which takes months to leave. The header
# for this host alone is what the site itself needs.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if SECURE_HSTS_SECONDS:
    # A decision made above, not an oversight: `check --deploy` stays quiet about it.
    SILENCED_SYSTEM_CHECKS = [  # noqa: F405
        *SILENCED_SYSTEM_CHECKS,  # noqa: F405
        *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
        *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
    ]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
# The language choice (home.views) like the session: HTTPS only, out of scripts' reach (no
# script reads it; nginx's micro-cache key reads it from the request, which is unaffected).
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# JSON lines for the journal and log shippers (config/logs.py); LOG_FORMAT=plain for people.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
if LOG_FORMAT not in LOGGING["formatters"]:  # noqa: F405
    raise ImproperlyConfigured("Set LOG_FORMAT to json or plain.")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT  # noqa: F405

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Long work waits in the database for `manage.py db_worker` (deploy/systemd/kepuri-worker
# .service); BACKGROUND_TASKS=immediate does it in the request, on a machine without one.
if os.environ.get("BACKGROUND_TASKS", "database") == "database":
    TASKS["background"] = {"BACKEND": DATABASE_TASKS}  # noqa: F405
EMAIL_TRANSPORT = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
if not REDIS_URL:  # noqa: F405
    # Several worker processes must share one cache: the database cache is the fallback.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
            "TIMEOUT": 600,
        }
    }
