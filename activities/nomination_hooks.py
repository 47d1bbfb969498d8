"""Admin URLs and menu item of nominations (R33)."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from .nomination_views import (
    can_mark,
    nomination_form_view,
    nomination_list_view,
    nomination_review_view,
)


@hooks.register("register_admin_urls")
def register_nomination_urls():
    return [
        path("nominations/", nomination_list_view, name="nomination_list"),
        path("nominations/<id:page_id>/", nomination_form_view, name="nomination_form"),
        path("nominations/<id:page_id>/review/", nomination_review_view, name="nomination_review"),
    ]


class NominationsMenuItem(MenuItem):
    def is_shown(self, request):
        return can_mark(request.user)


@hooks.register("register_admin_menu_item")
def register_nominations_menu_item():
    return NominationsMenuItem(
        _("Nominations"), reverse("nomination_list"), icon_name="pick", order=125
    )
