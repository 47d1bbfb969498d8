from django.urls import path

from . import views

app_name = "organizations"

urlpatterns = [
    path("autocomplete/", views.autocomplete, name="autocomplete"),
    path("regions/", views.regions, name="regions"),
    path("join/", views.onboarding, name="onboarding"),
    path("requests/", views.my_requests, name="requests"),
]
