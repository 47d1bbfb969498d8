"""The campaign year in the campaign settings (R15, R32) lies between 2000 and 2100, as the
statistics' year does: year 0, 10000 or 32767 made the settings form a 500, and year 1,
saved, made the statistics page a 500 for everyone. A year stored out of those bounds
(before them, or around the form) reads as the current year."""

import pytest
from bs4 import BeautifulSoup
from django.test import Client

from accounts import roles
from home.models import CampaignSettings, beijing_date
from tests import factories

from .test_support_contact import campaign, form_data, settings_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator():
    client = Client()
    client.force_login(factories.user(roles.ADMINISTRATORS))
    return client


def year_errors(response):
    assert response.status_code == 200
    return response.context["form"].errors.get("year")


@pytest.mark.parametrize("year", [0, 1, 1999, 2101, 10000, 32767, 40000])
def test_a_year_out_of_bounds_is_a_form_error(administrator, year):
    before = campaign().year
    response = administrator.post(settings_url(), form_data(year=year))
    assert year_errors(response), year
    assert campaign().year == before
    assert administrator.get("/admin/stats/").status_code == 200


@pytest.mark.parametrize("year", [2000, 2100])
def test_the_bounds_themselves_are_years(administrator, year):
    response = administrator.post(settings_url(), form_data(year=year))
    assert response.status_code == 302, response.context["form"].errors
    assert campaign().year == year
    response = administrator.get("/admin/stats/")
    assert response.status_code == 200
    assert response.context["year"] == year


@pytest.mark.parametrize("stored", [0, 1, 1999, 2101, 32767])
def test_a_year_stored_out_of_bounds_reads_as_this_year(administrator, client, stored):
    campaign().save()
    CampaignSettings.objects.update(year=stored)
    this_year = beijing_date().year

    response = administrator.get("/admin/stats/")
    assert response.status_code == 200
    assert response.context["year"] == this_year
    response = administrator.get(settings_url())
    assert response.status_code == 200
    box = BeautifulSoup(response.content, "html.parser").select_one("input[name=year]")
    assert box["value"] == str(this_year)
    assert client.get("/").status_code == 200
