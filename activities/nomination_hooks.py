"""Admin URLs, menu item and audit log actions of nominations (R33, R25)."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.log_actions import LogFormatter

from .nomination_views import (
    can_mark,
    nomination_form_view,
    nomination_list_view,
    nomination_review_view,
    nomination_video_view,
)


@hooks.register("register_admin_urls")
def register_nomination_urls():
    return [
        path("nominations/", nomination_list_view, name="nomination_list"),
        path("nominations/<id:page_id>/", nomination_form_view, name="nomination_form"),
        path("nominations/<id:page_id>/review/", nomination_review_view, name="nomination_review"),
        path(
            "nominations/<id:page_id>/videos/<id:video_id>/",
            nomination_video_view,
            name="nomination_video",
        ),
    ]


class NominationsMenuItem(MenuItem):
    def is_shown(self, request):
        return can_mark(request.user)


@hooks.register("register_admin_menu_item")
def register_nominations_menu_item():
    return NominationsMenuItem(
        _("Nominations"), reverse("nomination_list"), icon_name="pick", order=125
    )


ACTIONS = {
    "nominations.edit": (_("Edit nomination material"), _("Nomination material edited")),
    "nominations.complete": (
        _("Complete nomination material"),
        _("Nomination material completed"),
    ),
    "nominations.recommend": (
        _("Recommend as an excellent activity"),
        _("Recommended as an excellent activity"),
    ),
    "nominations.unrecommend": (_("Mark as not recommended"), _("Marked as not recommended")),
    "nominations.withdraw": (
        _("Withdraw recommendation"),
        _("Recommendation withdrawn: the material no longer meets the rules"),
    ),
}


class NominationLogFormatter(LogFormatter):
    def format_comment(self, log_entry):
        # The moderator's note, or the rules the material no longer meets.
        return log_entry.data.get("comment", "")


@hooks.register("register_log_actions")
def register_log_actions(actions):
    for action, (label, message) in ACTIONS.items():
        actions.register_action(action)(
            type(
                "NominationLogFormatter",
                (NominationLogFormatter,),
                {"label": label, "message": message},
            )
        )
