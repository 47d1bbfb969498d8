"""Benchmark settings: production behaviour (DEBUG off, cached templates, the production
cache choice) without its HTTPS and secret requirements, plus the floor view's URL."""

import os

os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 60)
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

from config.settings.production import *  # noqa: E402,F403

ROOT_URLCONF = "bench.urls"
SECURE_HSTS_SECONDS = 0
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
