import pytest
from bs4 import BeautifulSoup

from accounts import roles
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
def national():
    return factories.user(roles.NATIONAL_MODERATORS)


@pytest.fixture
def page(owner):
    """An approved activity of `owner` that ended on 2026-09-15, for its supplementary
    information (tests/activities/nominating.py)."""
    from .nominating import make

    return make(owner)


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
