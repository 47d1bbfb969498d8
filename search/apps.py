import sys

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = _("Search")

    def ready(self):
        # Web processes load the jieba dictionary once at start-up (gunicorn preloads the
        # app before forking), never on a visitor's request. Management commands and tests
        # load it lazily on first use instead.
        if "gunicorn" in sys.argv[0] or "runserver" in sys.argv:
            from .segment import load

            load()
