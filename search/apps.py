import sys

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = _("Search")

    def ready(self):
        # Wagtail's image and document titles were indexed as typed: a run of Chinese is
        # one token, so the image library found 科普海报甲 by 科普 (a prefix) but not by
        # 海报. Their models are Wagtail's own (no custom image model to declare fields
        # on); their search_fields are read when an object is indexed.
        from wagtail.documents import get_document_model
        from wagtail.images import get_image_model

        from .fields import with_segmented_text

        for model in (get_image_model(), get_document_model()):
            model.search_fields = with_segmented_text(model.search_fields)

        # Web processes load the jieba dictionary once at start-up (gunicorn preloads the
        # app before forking), never on a visitor's request. Management commands and tests
        # load it lazily on first use instead.
        if "gunicorn" in sys.argv[0] or "runserver" in sys.argv:
            from .segment import load

            load()
