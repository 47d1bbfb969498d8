from django.http import HttpResponse
from django.urls import include, path


def floor(request):
    """The plainest Django view, behind the project's whole middleware stack."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("__floor__/", floor), path("", include("config.urls"))]
