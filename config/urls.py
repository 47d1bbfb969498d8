from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.admin.auth import require_admin_access
from wagtail.documents import urls as wagtaildocs_urls

from accounts import urls as accounts_urls
from accounts.views import AccountView
from search import views as search_views

urlpatterns = [
    # Our account settings view replaces Wagtail's so the name panel edits real_name.
    path(
        "admin/account/",
        require_admin_access(AccountView.as_view()),
        name="wagtailadmin_account",
    ),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include(accounts_urls)),
    path("organizations/", include("organizations.urls")),
    path("search/", search_views.search, name="search"),
    path("i18n/", include("django.conf.urls.i18n")),
    # API, feeds, iCalendar, sitemap.xml, robots.txt (R31)
    path("", include("config.api")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
