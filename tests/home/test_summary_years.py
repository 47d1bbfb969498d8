"""R32: the public summary of earlier campaign years stays reachable.

The home page summarised the campaign year's approved activities only: once the
administrator moved the campaign year on, last year's published figures were nowhere on the
public site. Each year public activities take place in has its summary at /?year=<year>
(the campaign year's is the home page itself), linked from the summary; any other year, or
a year not written plainly, is a page not found, never a 500. The page cache keeps one page
per year."""

import datetime
import re

import pytest
from bs4 import BeautifulSoup
from wagtail.models import Site

from home.models import CampaignSettings
from tests import factories

pytestmark = pytest.mark.django_db

BEIJING = datetime.timezone(datetime.timedelta(hours=8))


def at(*args):
    return datetime.datetime(*args, tzinfo=BEIJING)


@pytest.fixture
def rolled_over():
    """Two activities in 2025 (one running over New Year 2025), one in 2026, and the
    campaign moved on to 2026."""
    owner = factories.submitter()
    for title, start, end in (
        ("去年的跨年科普展", at(2024, 12, 30, 9), at(2025, 1, 2, 17)),
        ("去年的机器人大赛", at(2025, 9, 20, 9), at(2025, 9, 20, 17)),
        ("今年的天文观测", at(2026, 9, 19, 19), at(2026, 9, 19, 22)),
    ):
        factories.activity(owner, publish=True, title=title, start_at=start, end_at=end)
    campaign = CampaignSettings.for_site(Site.objects.get(is_default_site=True))
    campaign.year = 2026
    campaign.window_start = campaign.window_end = None
    campaign.save()
    return campaign


def soup(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    return BeautifulSoup(response.content.decode(), "html.parser")


def total(page):
    return [int(number) for number in re.findall(r"\d+", page.select_one(".stats__total").text)]


def test_last_years_summary_stays_public_after_the_year_moved_on(client, rolled_over):
    home = soup(client, "/")
    assert "2026" in home.select_one(".stats h2").get_text() and total(home) == [1]
    years = {a.get_text(): a["href"] for a in home.select(".stats__years a")}
    assert years == {"2025": "/?year=2025#summary", "2024": "/?year=2024#summary"}
    assert home.select_one(".stats__years [aria-current]").get_text() == "2026"
    assert home.select_one('link[rel="canonical"]')["href"] == "http://localhost/"

    last = soup(client, years["2025"])
    assert "2025" in last.select_one(".stats h2").get_text() and total(last) == [2]
    guangdong = last.select_one('.stats__table a[href*="province=440000"]')
    assert "from=2025-01-01" in guangdong["href"] and "to=2025-12-31" in guangdong["href"]
    assert all("from=2025-01-01" in a["href"] for a in last.select(".type-links a"))
    assert "2025" in last.select_one(".type-links").find_previous("h2").get_text()
    assert last.select_one('link[rel="canonical"]')["href"] == "http://localhost/?year=2025"
    assert last.select_one(".stats__years [aria-current]").get_text() == "2025"
    # The campaign's own year links back to the home page itself.
    back = {a.get_text(): a["href"] for a in last.select(".stats__years a")}
    assert back["2026"] == "/#summary"

    # The exhibition over New Year counts in 2024 as well (the listing's date rule).
    assert total(soup(client, "/?year=2024")) == [1]
    # The campaign year named is the home page.
    named = soup(client, "/?year=2026")
    assert total(named) == [1]
    assert named.select_one('link[rel="canonical"]')["href"] == "http://localhost/"
    assert total(soup(client, "/?year=")) == [1]


@pytest.mark.parametrize(
    "year",
    [
        "2023",  # no activity
        "2027",
        "1999",
        "0",
        "-2025",
        "02025",
        "２０２５",
        "٢٠٢٥",
        "2025.0",
        " 2025",
        "abc",
        "9" * 5000,
    ],
)
def test_any_other_year_is_not_found(client, rolled_over, year):
    assert client.get("/", {"year": year}).status_code == 404


def test_the_page_cache_keeps_one_page_per_year(client, rolled_over, settings):
    settings.PAGE_CACHE_SECONDS = 300
    for _ in range(2):  # stored, then served from the cache
        assert total(soup(client, "/")) == [1]
        assert total(soup(client, "/?year=2025")) == [2]
        assert client.get("/?year=2023").status_code == 404
    assert client.get("/?year=2025").headers["X-Page-Cache"] == "hit"
