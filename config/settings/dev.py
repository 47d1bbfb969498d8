"""Local development: DEBUG on, console e-mail, a throwaway secret."""

import os

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-change-me"  # noqa: F405, S105
ALLOWED_HOSTS = ["*"]
# Serve app and project static files straight from their folders, no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Off while developing, so template edits show at once; PAGE_CACHE_SECONDS=300 tries it.
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "0"))
