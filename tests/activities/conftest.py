import pytest
from bs4 import BeautifulSoup

from tests import factories


def titles(response):
    """The titles of the activity cards on a listing or search page, in order."""
    soup = BeautifulSoup(response.content, "html.parser")
    return [h.get_text(strip=True) for h in soup.select("li.activity-card .activity-card__title")]


@pytest.fixture
def owner():
    return factories.submitter()


@pytest.fixture
def image(owner):
    return factories.poster(owner)
