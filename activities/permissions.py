from django.db.models import Q
from wagtail.permission_policies.pages import PagePermissionPolicy

from accounts.roles import is_submitter_only


def own_activities_only(pages, user):
    """Submitters see other units' activities, drafts included, nowhere in the admin (R2):
    Wagtail's "add" permission on the index would otherwise make all of them explorable."""
    if is_submitter_only(user):
        from django.contrib.contenttypes.models import ContentType

        from .models import ActivityPage

        # owner and content_type are Page filter fields, so this also works on searches.
        activity_type = ContentType.objects.get_for_model(ActivityPage)
        pages = pages.filter(Q(owner=user) | ~Q(content_type=activity_type))
    return pages


class SubmitterScopedPagePolicy(PagePermissionPolicy):
    """Wagtail's page policy, with explorable pages (explorer and admin page search)
    narrowed for submitters."""

    def explorable_instances(self, user):
        return own_activities_only(super().explorable_instances(user), user)
