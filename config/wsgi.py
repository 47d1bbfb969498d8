import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_wsgi_application()

# Page-cache hits are answered before Django's handler (activities/cache.py).
from activities.cache import PageCacheApplication  # noqa: E402 - needs Django set up

application = PageCacheApplication(application)
