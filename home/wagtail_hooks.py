from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.ui.components import Component

from .models import CampaignSettings


@hooks.register("insert_global_admin_css")
def narrow_screen_admin_css():
    return format_html('<link rel="stylesheet" href="{}">', static("home/admin-narrow.css"))


class SupportContactPanel(Component):
    """The platform's technical support (the guide, (四)2), for anyone stuck in the admin:
    submitters most of all, who have no other way to learn whom to call."""

    name = "support_contact"
    # After Wagtail's and this project's own panels: help, not work.
    order = 1000

    def __init__(self, request, campaign):
        self.request = request
        self.campaign = campaign

    def render_html(self, parent_context=None):
        return render_to_string(
            "home/admin/support_panel.html", {"campaign": self.campaign}, request=self.request
        )


@hooks.register("construct_homepage_panels")
def add_support_contact_panel(request, panels):
    try:
        campaign = CampaignSettings.for_request(request)
    except CampaignSettings.DoesNotExist:  # no site answers this host
        return
    if campaign.shows_support_contact:
        panels.append(SupportContactPanel(request, campaign))


# Wagtail's help menu links to its English documentation (the release notes and the editor
# guide of Wagtail itself), which is no help to a unit publishing an activity; the
# platform's own support contact is on the dashboard.
WAGTAIL_DOCUMENTATION_ITEMS = ("editor-guide", "whats-new-in-wagtail-")


@hooks.register("construct_help_menu")
def keep_wagtails_documentation_for_superusers(request, menu_items):
    if request.user.is_superuser:
        return
    menu_items[:] = [
        item for item in menu_items if not item.name.startswith(WAGTAIL_DOCUMENTATION_ITEMS)
    ]
