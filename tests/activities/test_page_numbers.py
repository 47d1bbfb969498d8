"""R28: pagination answers as Django's own views do. A page past the last (or before the
first) is not found; it was the last page (or page 1) under another number, an endless
supply of duplicate pages for crawlers. Something that is not a number is page 1. The
API pages by offset: past the end its items are empty and its total is still given, as
in Wagtail's and Django REST framework's APIs."""

import pytest

from tests import factories

from .conftest import titles

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(owner, image, monkeypatch):
    """Three activities, two a page: two pages."""
    monkeypatch.setattr("activities.listing.PER_PAGE", 2)
    return [
        factories.activity(owner, publish=True, poster=image, title=f"机器人科普讲座{number}")
        for number in range(3)
    ]


def test_a_page_that_does_not_exist_is_not_found(client, three):
    for path in ("/activities/?", "/search/?q=机器人&"):
        assert len(titles(client.get(f"{path}page=2"))) == 1
        for number in ("3", "99999999999999999999999", "0", "-5", "9" * 5000):
            assert client.get(f"{path}page={number}").status_code == 404, (path, number)
        for not_a_number in ("abc", "", "1.5", "%00"):
            response = client.get(f"{path}page={not_a_number}")
            assert response.status_code == 200, (path, not_a_number)
            assert len(titles(response)) == 2
    # The API by offset: past the end, no items and the total.
    for offset in ("3", "99999999999999999999999"):
        answer = client.get("/api/v2/activities/", {"offset": offset})
        assert answer.status_code == 200
        assert answer.json()["items"] == [] and answer.json()["meta"]["total_count"] == 3


def test_an_empty_result_is_one_empty_page(client, three):
    response = client.get("/activities/", {"province": "110000"})
    assert response.status_code == 200 and titles(response) == []
    assert client.get("/activities/", {"province": "110000", "page": 2}).status_code == 404


def test_pages_past_the_deepest_offered_are_neither_linked_nor_served(client, three, monkeypatch):
    """MAX_PAGE bounds how deep the listing reads; the last page linked is that one."""
    monkeypatch.setattr("activities.listing.MAX_PAGE", 1)
    response = client.get("/activities/")
    assert "page=2" not in response.content.decode()
    assert client.get("/activities/", {"page": 2}).status_code == 404
