from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("Activities")

    def ready(self):
        from wagtail.models import Page
        from wagtail.permissions import register_permission_policy

        from .permissions import SubmitterScopedPagePolicy, narrow_explorer_user_filters

        register_permission_policy(Page, SubmitterScopedPagePolicy(Page))
        narrow_explorer_user_filters()

        from .cache import connect_signals

        connect_signals()

        from . import uploads

        uploads.connect_signals()

        from . import indexing

        indexing.connect_signals()

        from wagtail.signals import page_published, page_unpublished

        from .models import ActivityPage

        page_published.connect(ActivityPage.sync_listed, dispatch_uid="activity_listed_pub")
        page_unpublished.connect(ActivityPage.sync_listed, dispatch_uid="activity_listed_unpub")
