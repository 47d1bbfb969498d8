from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from wagtail.admin.auth import permission_denied
from wagtail.models import PagePermissionTester
from wagtail.permission_policies.pages import PagePermissionPolicy

from accounts import roles
from accounts.roles import is_submitter_only
from home.converters import is_db_id


def reviews_one_province(user):
    """A province moderator with no national or administrative role (R20): they hold no
    page permission and reach activities only through their review step."""
    if not user.is_authenticated or user.is_superuser:
        return False
    return roles.in_group(user, roles.PROVINCE_MODERATORS) and not any(
        roles.in_group(user, name) for name in (roles.NATIONAL_MODERATORS, roles.ADMINISTRATORS)
    )


def awaiting_review_by(user):
    """The ids of the pages whose current review step `user` may act on: the pages whose
    editor, history and revisions Wagtail opens to them (ReviewTask.user_can_access_editor,
    activities/page_admin.py). TaskState.reviewable_by is that rule as a query: each task's
    get_task_states_user_can_moderate (ProvinceApprovalTask.filter_moderatable), as the
    review desk lists them."""
    from wagtail.models import TaskState

    from workflow.models import page_id_of

    return (
        TaskState.objects.reviewable_by(user)
        .annotate(reviewed_page_id=page_id_of("workflow_state__"))
        .values("reviewed_page_id")
    )


def activity_scope(user):
    """The activities `user` may see named in the admin, as a Q on pages; None for those
    who see every activity (national moderators, administrators, superusers).
    A submitter: their own (R2). A province moderator: the activities awaiting their
    review step (R20), and their own should they also submit."""
    if is_submitter_only(user):
        return Q(owner=user)
    if reviews_one_province(user):
        return Q(owner=user) | Q(pk__in=awaiting_review_by(user))
    return None


def activities_in_sight(pages, user):
    """`pages` without the activities outside `user`'s activity_scope; other pages stay."""
    scope = activity_scope(user)
    if scope is None:
        return pages
    from django.contrib.contenttypes.models import ContentType

    from .models import ActivityPage

    # owner, pk and content_type are Page filter fields, so this also works on searches.
    activity_type = ContentType.objects.get_for_model(ActivityPage)
    return pages.filter(scope | ~Q(content_type=activity_type))


def own_activities_only(pages, user):
    """Submitters see other units' activities, drafts included, nowhere in the admin (R2):
    Wagtail's "add" permission on the index would otherwise make all of them explorable."""
    if is_submitter_only(user):
        pages = activities_in_sight(pages, user)
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
    """New activities (created or copied) are never published from the editor either.

    The index holds every activity (a million at national scale): a national moderator
    (who has "publish" on it for the last approval) could unpublish it, taking the public
    listing down for every visitor in one click, and was offered to copy or move it with
    all its children. Only superusers may; nobody reorders its children by hand (the
    listing orders by date, and the reordering screen drew all 36,000 of them on one page
    in 100 seconds)."""

    def can_publish_subpage(self):
        return False

    def can_reorder_children(self):
        return False

    def can_unpublish(self):
        return self.user.is_superuser and super().can_unpublish()

    def can_delete(self, ignore_bulk=False):
        return self.user.is_superuser and super().can_delete(ignore_bulk=ignore_bulk)

    def can_copy(self):
        return self.user.is_superuser and super().can_copy()


class SubmitterScopeMiddleware:
    """R2: a submitter has no admin URL for another unit's activity. The explorer fetched
    the page named in its URL unscoped ("Exploring: <another unit's draft>"), and the bulk
    action pages listed every title asked for by ?id= under "no permission" (a whole
    province's drafts in one request). Wagtail's page views name their page in the URL's
    page_id, parent_page_id, page_to_move_id or destination_id, the page bulk actions and
    the page chooser's "chosen" answer in ?id=: another unit's activity there is a 404, the
    answer for a page that does not exist.

    R20: a province moderator is held to the activities awaiting their review step
    (activity_scope) in the Wagtail views that show a page without asking for any
    permission on it (UNCHECKED_VIEWS). The others (editor, review actions, history,
    revisions) check the page themselves and keep their own answers: a moderator who lost
    a race to a colleague is told so there.

    The page types report names the activity edited last nationwide, drafts included:
    only those who administer the whole site open it (sees_page_types_report)."""

    PAGE_KWARGS = ("page_id", "parent_page_id", "page_to_move_id", "destination_id")
    CHOSEN_PAGES = "wagtailadmin_choose_page_chosen_multiple"
    BULK_ACTION = "wagtail_bulk_action"
    UNCHECKED_VIEWS = frozenset(
        {
            "wagtailadmin_choose_page_child",
            CHOSEN_PAGES,
            BULK_ACTION,
            "wagtailadmin_pages:move_confirm",
            "wagtailadmin_pages:confirm_workflow_cancellation",
        }
    )
    PAGE_TYPES_REPORT = frozenset(
        {"wagtailadmin_reports:page_types_usage", "wagtailadmin_reports:page_types_usage_results"}
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    @staticmethod
    def _lists_every_activity(view_kwargs):
        from .models import ActivityIndexPage

        page_id = view_kwargs.get("parent_page_id")
        return is_db_id(page_id) and ActivityIndexPage.objects.filter(pk=page_id).exists()

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        view_name = getattr(request.resolver_match, "view_name", None)
        if request.GET.get("ordering") == "ord" and self._lists_every_activity(view_kwargs):
            # Wagtail draws every child on one page in its menu order (no pagination, for
            # dragging): all the activities, 100 seconds at 36,000. Their order is by date.
            query = request.GET.copy()
            del query["ordering"]
            return redirect(f"{request.path}?{query.urlencode()}" if query else request.path)
        if view_name in self.PAGE_TYPES_REPORT and user.is_authenticated:
            return None if sees_page_types_report(user) else permission_denied(request)
        ids = [view_kwargs[name] for name in self.PAGE_KWARGS if name in view_kwargs]
        page_bulk_action = (view_kwargs.get("app_label"), view_kwargs.get("model_name")) == (
            "wagtailcore",
            "page",
        )
        if page_bulk_action or view_name == self.CHOSEN_PAGES:
            ids += request.GET.getlist("id")
        if not ids:
            return None
        if not is_submitter_only(user) and view_name not in self.UNCHECKED_VIEWS:
            return None
        scope = activity_scope(user)
        if scope is None:
            return None
        from .models import ActivityPage

        ids = [int(value) for value in ids if is_db_id(value)]
        hidden = ActivityPage.objects.filter(pk__in=ids).exclude(scope)
        if hidden.exists():
            raise Http404
        return None


def sees_page_types_report(user):
    """Wagtail's "Page types usage" report names the page of each type edited last and
    counts them, over every page whatever the user may see: a submitter read another
    unit's draft title there as it was typed (R2). Superusers and platform administrators
    (who hold every page permission on the site) keep it."""
    return user.is_active and (user.is_superuser or roles.in_group(user, roles.ADMINISTRATORS))


def narrow_explorer_user_filters():
    """R2: Wagtail's explorer offers "Owner" and "Edited by" filters listing every user who
    owns or edited a page, real names included, to anyone who can explore, submitters too;
    its Site history report offers every user who ever logged an action ("User") and its
    Workflows report everyone who ever submitted ("Requested by"): nationwide, a roster of
    the units' staff. Wagtail has no hook for a filter's choices, so at start-up these
    filters' choice querysets are wrapped: a submitter or a province moderator is offered
    only themself (they see only their own activities and those awaiting their review,
    activity_scope). (The Workflow tasks report has no user filter.)"""
    from wagtail.admin.views.pages.listing import PageFilterSet
    from wagtail.admin.views.reports.audit_logging import SiteHistoryReportFilterSet
    from wagtail.admin.views.reports.workflows import WorkflowReportFilterSet

    for filters, name in (
        (PageFilterSet, "owner"),
        (PageFilterSet, "edited_by"),
        (WorkflowReportFilterSet, "requested_by"),
    ):
        user_filter = filters.base_filters[name]
        user_filter.queryset = _own_user_only(user_filter.queryset)
    # Site history sets its "User" choices when the filter set is built.
    all_users = SiteHistoryReportFilterSet.get_users_queryset

    def get_users_queryset(filters):
        return _own_user_only(lambda request: all_users(filters))(filters.request)

    SiteHistoryReportFilterSet.get_users_queryset = get_users_queryset


def _offered_only_themself(user):
    return is_submitter_only(user) or reviews_one_province(user)


def _own_user_only(queryset):
    def choices(request):
        users = queryset(request)
        if request is not None and _offered_only_themself(request.user):
            return users.filter(pk=request.user.pk)
        return users

    return choices
