from django.conf import settings
from django.http import Http404
from django.urls import include, path, re_path
from django.views.decorators.cache import never_cache
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.admin.auth import require_admin_access
from wagtail.documents import urls as wagtaildocs_urls
from wagtail.documents.views.serve import serve as wagtail_serve_document
from wagtail.utils.urlpatterns import decorate_urlpatterns

from accounts import urls as accounts_urls
from accounts.views import AccountView, AdminLogoutView, PasswordResetView
from home.converters import is_db_id
from home.views import privacy, switch_language
from search import views as search_views
from workflow import reports as workflow_reports
from workflow.views import (
    DisableTaskView,
    DisableWorkflowView,
    EditTaskView,
    EditWorkflowView,
    enable_task,
)

# A database error outside a view (a middleware saving the session) is an outage: 503.
handler500 = "config.views.server_error"


def serve_document(request, document_id, document_filename):
    """Wagtail's document download, except that an id no row can have is a 404: Wagtail's
    pattern takes any run of digits, and thousands of them make int() itself fail."""
    if not is_db_id(document_id):
        raise Http404
    return wagtail_serve_document(request, document_id, document_filename)


# Admin views mounted ahead of Wagtail's own. Wagtail marks its admin URLs never_cache
# (Cache-Control: no-cache, no-store, private); these signed-in pages (the account page, the
# reports and their CSV/XLSX exports) sent no Cache-Control at all (PIPL audit).
admin_overrides = [
    path(
        "admin/account/",
        require_admin_access(AccountView.as_view()),
        name="wagtailadmin_account",
    ),
    path("admin/logout/", AdminLogoutView.as_view(), name="wagtailadmin_logout"),
    path(
        "admin/password_reset/",
        PasswordResetView.as_view(),
        name="wagtailadmin_password_reset",
    ),
    # Wagtail's workflow reports, with a query that answers at a million activities.
    *workflow_reports.urlpatterns(),
    # Wagtail's own disable views, refusing what review routing uses (R19) ...
    path("admin/workflows/disable/<int:pk>/", require_admin_access(DisableWorkflowView.as_view())),
    path(
        "admin/workflows/tasks/disable/<int:pk>/",
        require_admin_access(DisableTaskView.as_view()),
    ),
    # ... and their edit and enable views, keeping the routes as R19 says.
    path("admin/workflows/edit/<int:pk>/", require_admin_access(EditWorkflowView.as_view())),
    path("admin/workflows/tasks/enable/<int:pk>/", require_admin_access(enable_task)),
    path("admin/workflows/tasks/edit/<int:pk>/", require_admin_access(EditTaskView.as_view())),
]

urlpatterns = [
    *decorate_urlpatterns(admin_overrides, never_cache),
    path("admin/", include(wagtailadmin_urls)),
    re_path(r"^documents/(\d+)/(.*)$", serve_document),
    path("documents/", include(wagtaildocs_urls)),
    # Login, registration, password change: per person, never stored by a cache either.
    path(
        "accounts/",
        include(
            (decorate_urlpatterns(accounts_urls.urlpatterns, never_cache), accounts_urls.app_name)
        ),
    ),
    path("organizations/", include("organizations.urls")),
    path("search/", search_views.search, name="search"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("language/<str:code>/", switch_language, name="switch_language"),
    path("privacy/", privacy, name="privacy"),
    # API, feeds, iCalendar, sitemap.xml, robots.txt (R31)
    path("", include("config.api")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
