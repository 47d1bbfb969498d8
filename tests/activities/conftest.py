import pytest
from bs4 import BeautifulSoup

from tests import factories

from .editor import ADD_URL


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


@pytest.fixture
def submitter(client):
    """A signed-in submitter, for the editor's tests."""
    account = factories.submitter(real_name="王老师")
    client.force_login(account)
    return account


@pytest.fixture
def add_url():
    return ADD_URL.format(index=factories.index().pk)
