from wagtail.users.apps import WagtailUsersAppConfig


class UsersAppConfig(WagtailUsersAppConfig):
    """Wagtail's user admin with our phone/real-name forms, and its group admin keeping the
    role groups (listed in INSTALLED_APPS in place of "wagtail.users")."""

    user_viewset = "accounts.viewsets.UserViewSet"
    group_viewset = "accounts.groups.GroupViewSet"
