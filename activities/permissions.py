from django.db.models import Q
from django.http import Http404
from wagtail.models import PagePermissionTester
from wagtail.permission_policies.pages import PagePermissionPolicy

from accounts.roles import is_submitter_only
from home.converters import is_db_id


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


class ActivityPermissionTester(PagePermissionTester):
    """An activity goes public only through review (R19-R21: the last approval publishes,
    workflow/models.py) and leaves only by a take-down with a reason (R18,
    workflow/takedown.py). Wagtail's own controls would bypass both for anyone holding
    "publish" on the index (national moderators need it for that last approval), so they
    are refused on activities for everyone, superusers included: publish, bulk publish,
    revert-and-publish, scheduling, privacy, unpublish. A listed activity is not deleted
    either, except by a superuser: it is taken down first."""

    def can_publish(self):
        return False

    def can_unpublish(self):
        return False

    def can_unschedule(self):
        return False

    def can_delete(self, ignore_bulk=False):
        if self.page.live and not self.user.is_superuser:
            return False
        return super().can_delete(ignore_bulk=ignore_bulk)


class ActivityIndexPermissionTester(PagePermissionTester):
    """New activities (created or copied) are never published from the editor either."""

    def can_publish_subpage(self):
        return False


class SubmitterScopeMiddleware:
    """R2: a submitter has no admin URL for another unit's activity. The explorer fetched
    the page named in its URL unscoped ("Exploring: <another unit's draft>"), and the bulk
    action pages listed every title asked for by ?id= under "no permission" (a whole
    province's drafts in one request). Wagtail's page views name their page in the URL's
    page_id or parent_page_id, the page bulk actions in ?id=: another unit's activity there
    is a 404, the answer for a page that does not exist."""

    PAGE_KWARGS = ("page_id", "parent_page_id")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        ids = [view_kwargs[name] for name in self.PAGE_KWARGS if name in view_kwargs]
        if (view_kwargs.get("app_label"), view_kwargs.get("model_name")) == ("wagtailcore", "page"):
            ids += request.GET.getlist("id")
        if not ids or not is_submitter_only(request.user):
            return None
        from .models import ActivityPage

        ids = [int(value) for value in ids if is_db_id(value)]
        theirs = ActivityPage.objects.filter(pk__in=ids).exclude(owner=request.user)
        if theirs.exists():
            raise Http404
        return None


def narrow_explorer_user_filters():
    """R2: Wagtail's explorer offers "Owner" and "Edited by" filters listing every user who
    owns or edited a page, real names included, to anyone who can explore, submitters too.
    Wagtail has no hook for a filter's choices, so at start-up the two filters' choice
    querysets are wrapped: a submitter is offered only themself."""
    from wagtail.admin.views.pages.listing import PageFilterSet

    for name in ("owner", "edited_by"):
        user_filter = PageFilterSet.base_filters[name]
        user_filter.queryset = _own_user_only(user_filter.queryset)


def _own_user_only(queryset):
    def choices(request):
        users = queryset(request)
        if is_submitter_only(request.user):
            return users.filter(pk=request.user.pk)
        return users

    return choices
