import datetime
import json

from django.contrib import messages
from django.contrib.admin.utils import quote
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.site_summary import PagesSummaryItem
from wagtail.admin.ui.components import Component
from wagtail.models import Revision
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from accounts.roles import is_submitter_only
from accounts.viewsets import YesNoColumn

from .constants import SHORT_NOTICE, SHORT_NOTICE_WARNING
from .forms import FOLLOW_UPS
from .models import ActivityPage, ActivityType, JointActionCategory, SpecialActionCategory
from .page_admin import ActivityPageViewSet
from .permissions import activities_in_sight, sees_page_types_report
from .rich_text import PublicPageLinkHandler
from .states import annotate_review_state
from .views import AllActivitiesView, MyActivitiesView, can_list_all_activities, new_activity


class ActivityTypeViewSet(SnippetViewSet):
    model = ActivityType
    icon = "tag"
    list_display = [
        "name",
        "name_en",
        "sort_order",
        YesNoColumn("is_active", label=ActivityType._meta.get_field("is_active").verbose_name),
    ]
    ordering = ["sort_order", "name"]


class JointActionCategoryViewSet(ActivityTypeViewSet):
    model = JointActionCategory


class SpecialActionCategoryViewSet(ActivityTypeViewSet):
    model = SpecialActionCategory


class ActivityListsGroup(SnippetViewSetGroup):
    menu_label = _("Activity options")
    menu_icon = "list-ul"
    menu_order = 260
    items = (ActivityTypeViewSet, JointActionCategoryViewSet, SpecialActionCategoryViewSet)


register_snippet(ActivityListsGroup)


# An option that activities use is not deleted (R11) ----------------------------------------
#
# Deleting a joint or special action category stripped it from the approved activities that
# had it (a many-to-many relation, which Wagtail's reference index does not count: its
# delete page said "used 0 times"), and their next save was refused for want of a
# category. A type was refused only where the reference index knew its activities (the
# bulk seeder's were a ProtectedError, a 500). Retiring the option (启用 unticked) keeps it
# on those activities and offers it no more.

# How an activity holds each list: the page's field, also the key in its revisions.
OPTION_FIELDS = {
    ActivityType: "activity_type",
    JointActionCategory: "joint_action_categories",
    SpecialActionCategory: "special_action_categories",
}


def activities_using(option):
    """How many activities have `option`: on the page (its live version, or the first of one
    never published) or in its latest version (a draft, or one under review, whose
    approval would otherwise lose it)."""
    field = OPTION_FIELDS[type(option)]
    pages = set(ActivityPage.objects.filter(**{field: option}).values_list("pk", flat=True))
    drafts = Revision.objects.filter(
        pk__in=ActivityPage.objects.filter(has_unpublished_changes=True).values(
            "latest_revision_id"
        )
    ).values_list("object_id", f"content__{field}")
    for object_id, value in drafts.iterator(chunk_size=2000):
        if value == option.pk or (isinstance(value, list) and option.pk in value):
            pages.add(int(object_id))
    return len(pages)


def option_in_use_message(option, count):
    return ngettext(
        "“%(name)s” cannot be deleted: %(count)d activity uses it. Untick “in use” "
        "instead: the activity keeps it, and it is no longer offered.",
        "“%(name)s” cannot be deleted: %(count)d activities use it. Untick “in use” "
        "instead: those activities keep it, and it is no longer offered.",
        count,
    ) % {"name": option.name, "count": count}


@hooks.register("before_delete_snippet")
def keep_options_in_use(request, instances):
    """Refuses the delete page and the bulk delete (both ask this hook first, for showing
    the confirmation as for deleting) when activities use one of the options."""
    in_use = [
        (option, count)
        for option in instances
        if type(option) in OPTION_FIELDS
        for count in [activities_using(option)]
        if count
    ]
    if not in_use:
        return None
    for option, count in in_use:
        messages.error(request, option_in_use_message(option, count))
    viewset = in_use[0][0].snippet_viewset
    if len(instances) == 1:
        return redirect(viewset.get_url_name("edit"), quote(instances[0].pk))
    return redirect(viewset.get_url_name("list"))


@hooks.register("register_admin_viewset")
def register_activity_page_viewset():
    # The editor and the review action with issue #9's conflict and race handling.
    return ActivityPageViewSet()


@hooks.register("register_admin_urls")
def register_my_activities_urls():
    return [
        path("my-activities/", MyActivitiesView.as_view(), name="my_activities"),
        path(
            "my-activities/results/",
            MyActivitiesView.as_view(results_only=True),
            name="my_activities_results",
        ),
        path("my-activities/new/", new_activity, name="new_activity"),
        path("all-activities/", AllActivitiesView.as_view(), name="all_activities"),
        path(
            "all-activities/results/",
            AllActivitiesView.as_view(results_only=True),
            name="all_activities_results",
        ),
    ]


def may_publish(request):
    """Whether the user may create activities, asked once per request: the menu items of
    我要发布 and 组织入驻 both depend on it, on every admin page."""
    if not hasattr(request, "_may_publish_activities"):
        request._may_publish_activities = ActivityPage.can_create_at_index_for(request.user)
    return request._may_publish_activities


class NewActivityMenuItem(MenuItem):
    def is_shown(self, request):
        return may_publish(request)


@hooks.register("register_admin_menu_item")
def register_new_activity_menu_item():
    return NewActivityMenuItem(
        _("Publish an activity"), reverse("new_activity"), icon_name="plus", order=90
    )


@hooks.register("register_admin_menu_item")
def register_my_activities_menu_item():
    # The guide sends units to 管理平台 → 用户中心 to follow their reviews.
    return MenuItem(
        _("User centre"), reverse("my_activities"), icon_name="doc-full-inverse", order=100
    )


class AllActivitiesMenuItem(MenuItem):
    def is_shown(self, request):
        return can_list_all_activities(request.user)


@hooks.register("register_admin_menu_item")
def register_all_activities_menu_item():
    return AllActivitiesMenuItem(
        _("All activities"), reverse("all_activities"), icon_name="list-ul", order=105
    )


@hooks.register("construct_page_chooser_queryset")
def only_own_activities_in_page_chooser(pages, request):
    # R2, R20: a submitter's own activities; a province moderator's, those awaiting their
    # review step. The chooser listed every unit's drafts, by draft title, to both.
    return activities_in_sight(pages, request.user)


class MyActivitiesPanel(Component):
    name = "my_activities"
    order = 50

    def __init__(self, request):
        self.request = request

    def render_html(self, parent_context=None):
        pages = annotate_review_state(
            ActivityPage.objects.filter(owner=self.request.user)
        ).order_by("-latest_revision_created_at")[:5]
        return render_to_string(
            "activities/admin/dashboard_panel.html",
            {"pages": pages, "my_activities_url": reverse("my_activities")},
            request=self.request,
        )


@hooks.register("construct_homepage_summary_items", order=100)  # after Wagtail adds it
def count_pages_for_superusers_only(request, items):
    """Wagtail's "N pages" counts every page under the activity index for anyone who may
    add there: a submitter saw the number of all units' drafts (R2), and each dashboard
    view counted a million rows. Their own activities are listed in the panel below."""
    if not request.user.is_superuser:
        items[:] = [item for item in items if not isinstance(item, PagesSummaryItem)]


@hooks.register("construct_homepage_panels")
def add_my_activities_panel(request, panels):
    if ActivityPage.objects.filter(owner=request.user).exists() or is_submitter_only(request.user):
        panels.append(MyActivitiesPanel(request))


def _warn(request, page):
    page = page.specific
    if isinstance(page, ActivityPage):
        for warning in page.get_warnings():
            messages.warning(request, warning)


@hooks.register("after_create_page")
def warn_after_create(request, page):
    _warn(request, page)


@hooks.register("after_edit_page")
def warn_after_edit(request, page):
    _warn(request, page)


@hooks.register("insert_editor_js")
def short_notice_live_warning():
    """R8: the short-notice warning beside 开始时间 while the start is typed or picked. A
    submitter's first button submits for review, so the warning after saving came too late.

    The hook has no request or page: it runs in every editor (pages, snippets) and the
    script acts only where the activity's start_at is. Its message, threshold, time zone and
    the server's clock come as data attributes (CSP: no inline script; no Chinese in JS).
    The message is ActivityPage.get_warnings' own."""
    return format_html(
        '<script src="{}" data-short-notice-days="{}" data-short-notice-message="{}" '
        'data-time-zone="{}" data-utc-offset="{}" data-now="{}"></script>',
        static("activities/js/short-notice.js"),
        f"{SHORT_NOTICE / datetime.timedelta(days=1):g}",
        SHORT_NOTICE_WARNING,
        # The admin shows and reads dates in the current zone (WAGTAIL_USER_TIME_ZONES
        # pins it to TIME_ZONE); the offset is the fallback where Intl lacks the zone.
        timezone.get_current_timezone_name(),
        int(timezone.localtime().utcoffset().total_seconds() // 60),
        # The server judges "less than 7 days" by its clock, not the browser's.
        int(timezone.now().timestamp() * 1000),
    )


@hooks.register("insert_editor_js")
def follow_ups_shown_under_yes():
    """R11: a flag's follow-ups show only while it is ticked (activities/js/follow-ups.js);
    which field follows which flag is the form's own FOLLOW_UPS."""
    return format_html(
        '<script src="{}" data-follow-ups="{}"></script>',
        static("activities/js/follow-ups.js"),
        json.dumps(FOLLOW_UPS),
    )


@hooks.register("insert_editor_js")
def rich_text_written_out_on_submit():
    """Text typed into a rich-text field less than 250 ms before saving or submitting was
    lost (Draftail writes its hidden input on a timer); activities/js/rich-text-flush.js
    writes it out when the form is sent."""
    return format_html('<script src="{}"></script>', static("activities/js/rich-text-flush.js"))


# After Wagtail's own "page" link type (order 0), which this replaces.
@hooks.register("register_rich_text_features", order=100)
def link_only_public_pages(features):
    features.register_link_type(PublicPageLinkHandler)


@hooks.register("construct_reports_menu")
def hide_page_types_report(request, menu_items):
    """The "Page types usage" report names the activity edited last nationwide, drafts
    included (R2): its menu item goes where its URL is refused (SubmitterScopeMiddleware)."""
    if not sees_page_types_report(request.user):
        menu_items[:] = [item for item in menu_items if item.name != "page-types-usage"]


from . import nomination_hooks, stats_hooks  # noqa: E402,F401
