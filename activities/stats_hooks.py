"""Admin URL and menu item of the statistics report (R32)."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from .stats_views import can_view_stats, stats_view


@hooks.register("register_admin_urls")
def register_stats_urls():
    return [path("stats/", stats_view, name="activity_stats")]


class StatsMenuItem(MenuItem):
    def is_shown(self, request):
        return can_view_stats(request.user)


@hooks.register("register_admin_menu_item")
def register_stats_menu_item():
    return StatsMenuItem(_("Statistics"), reverse("activity_stats"), icon_name="table", order=120)
