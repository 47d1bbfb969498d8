from wagtail.users.apps import WagtailUsersAppConfig


class UsersAppConfig(WagtailUsersAppConfig):
    """Wagtail's user admin with our phone/real-name forms (listed in INSTALLED_APPS in
    place of "wagtail.users")."""

    user_viewset = "accounts.viewsets.UserViewSet"
