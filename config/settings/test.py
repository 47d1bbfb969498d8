"""Test runs: fast hashing, in-memory e-mail and cache, media in a temporary folder."""

import tempfile

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production"  # noqa: S105
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_TRANSPORT = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Off unless a test turns it on: the database rolls back between tests, the cache does not.
PAGE_CACHE_SECONDS = 0
# Counts follow every publication at once unless a test turns the window on.
RECOUNT_SECONDS = 0
SESSION_ENGINE = "django.contrib.sessions.backends.db"
MEDIA_ROOT = tempfile.mkdtemp(prefix="kepuri-test-media-")
WAGTAILADMIN_BASE_URL = "http://testserver"
DEMO_DATA_ALLOWED = True
STATIC_ROOT = tempfile.mkdtemp(prefix="kepuri-test-static-")
WHITENOISE_USE_FINDERS = True
# Property-based tests register hundreds of times from one address; the limit's own test
# sets a small one.
REGISTRATION_ATTEMPTS_PER_HOUR = 100_000
