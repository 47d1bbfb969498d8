"""Wording of the public account pages (R1): the registration's organization filter box is
named in the page's language, and a failed login speaks of a mobile number, which has no
letter case. Asserted in English: the Chinese catalogue gets the new wording separately."""

import pytest
from bs4 import BeautifulSoup
from django.conf import settings

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_the_organization_filter_box_gets_translated_wording(english):
    soup = BeautifulSoup(english.get("/accounts/register/").content.decode(), "html.parser")
    select = soup.select_one("select#id_organization")
    assert select.has_attr("data-filterable")
    assert select["data-filter-placeholder"] == "Type to filter organizations"


def test_a_failed_login_speaks_of_the_mobile_number(english):
    account = factories.submitter()
    response = english.post(
        "/accounts/login/", {"username": account.phone, "password": "wrong-pass-2026"}
    )
    assert response.status_code == 200
    errors = BeautifulSoup(response.content.decode(), "html.parser").select_one(".form__errors")
    assert errors.get_text(strip=True) == "Enter a correct mobile number and password."
