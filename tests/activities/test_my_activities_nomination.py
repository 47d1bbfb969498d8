"""R26 with R33: 我的活动 shows, on each activity's row, where its nomination (推优) stands —
not filed, started, complete and before the national moderators, their decision — until
when it can be filed, and the link to its form; in the listing's own queries."""

import datetime

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext, override

from activities.nomination_models import Nomination
from tests import factories

from .nominating import (
    AFTER_END,
    BEIJING,
    CREATED,
    complete_nomination,
    file_complete,
    make,
    post_data,
    url,
)

pytestmark = pytest.mark.django_db

MY_ACTIVITIES = "/admin/my-activities/"
# The form's last day: ten days after the activity ended on 2026-09-15.
LAST_DAY = "2026-09-25"
AFTER_WINDOW = datetime.datetime(2026, 9, 26, 9, 0, tzinfo=BEIJING)


def zh(message, **values):
    with override("zh-hans"):
        text = gettext(message)
    return text % values if values else text


def nomination_cells(client, moment):
    """Each row's nomination cell by activity title: (state, text, links)."""
    with time_machine.travel(moment, tick=False):
        response = client.get(MY_ACTIVITIES)
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    cells = {}
    for row in soup.select("table.listing tbody tr"):
        title = row.select_one("td").get_text(" ", strip=True)
        cell = row.select_one("td.nomination-cell")
        cells[title] = (
            cell.get("data-nomination-state"),
            " ".join(cell.get_text(" ", strip=True).split()),
            [link["href"] for link in cell.select("a")],
        )
    return cells


def cell_of(cells, title):
    [found] = [cell for name, cell in cells.items() if title in name]
    return found


def review(client, national, page, recommended):
    client.force_login(national)
    with time_machine.travel(AFTER_END, tick=False):
        response = client.post(
            f"/admin/nominations/{page.pk}/review/", {"recommended": recommended, "note": ""}
        )
    assert response.status_code == 302


def test_r33_each_row_shows_its_nominations_state_and_links_to_it(client, owner, national):
    draft = make(owner, publish=False, title="未通过审核的活动")
    with time_machine.travel(CREATED, tick=False):
        later = factories.activity(
            owner=owner,
            publish=True,
            title="尚未结束的活动",
            start_at=datetime.datetime(2026, 9, 28, 10, 0, tzinfo=BEIJING),
        )
    not_filed = make(owner, title="尚未填报的活动")
    started = make(owner, title="填报了一半的活动")
    submitted = make(owner, title="材料完整的活动")
    recommended = make(owner, title="推为优秀的活动")
    declined = make(owner, title="未被推优的活动")

    client.force_login(owner)
    with time_machine.travel(AFTER_END, tick=False):
        assert client.post(url(started), post_data(participants="10")).status_code == 200
        for page in (submitted, recommended, declined):
            assert file_complete(client, page).status_code == 302
    assert not Nomination.objects.get(page=started).is_complete
    review(client, national, recommended, "1")
    review(client, national, declined, "0")

    client.force_login(owner)
    cells = nomination_cells(client, AFTER_END)
    deadline = zh("Deadline: %(date)s", date=LAST_DAY)
    link = zh("Supplementary information")
    expected = {
        not_filed: ("not_filed", f"{zh('Not filed')} {deadline} {link}"),
        started: ("started", f"{zh('Started, incomplete')} {deadline} {link}"),
        submitted: ("submitted", f"{zh('Submitted, awaiting the decision')} {deadline} {link}"),
        recommended: ("recommended", f"{zh('Recommended as an excellent activity')} {link}"),
        declined: ("not_recommended", f"{zh('Reviewed, not recommended')} {deadline} {link}"),
    }
    for page, (state, text) in expected.items():
        assert cell_of(cells, page.title) == (state, text, [url(page)]), page.title
    # Nothing to file: the activity is not approved, or has not ended.
    for page in (draft, later):
        assert cell_of(cells, page.title) == (None, "—", []), page.title

    # After the window: what was never completed is closed; a decision stays.
    cells = nomination_cells(client, AFTER_WINDOW)
    closed = zh("Filing closed")
    assert cell_of(cells, not_filed.title) == (
        "not_filed",
        f"{zh('Not filed')} {closed} {link}",
        [url(not_filed)],
    )
    # Started: only its summary closed; material may still complete it (R33).
    summary_closed = zh("Summary closed: %(date)s", date=LAST_DAY)
    assert cell_of(cells, started.title)[:2] == (
        "started",
        f"{zh('Started, incomplete')} {summary_closed} {link}",
    )
    assert cell_of(cells, submitted.title)[:2] == (
        "submitted",
        f"{zh('Submitted, awaiting the decision')} {link}",
    )
    assert cell_of(cells, recommended.title)[0] == "recommended"


def count_queries(client):
    with time_machine.travel(AFTER_END, tick=False), CaptureQueriesContext(connection) as captured:
        response = client.get(MY_ACTIVITIES)
    assert response.status_code == 200
    return len(captured), response


def add_rows(owner, batch):
    """Three ended, approved activities: no nomination, one started, one complete."""
    pages = [make(owner, title=f"第{batch}批活动{number}") for number in range(3)]
    Nomination.objects.create(page=pages[1], participants=10)
    complete_nomination(pages[2])
    return pages


def test_r33_the_nomination_column_costs_no_query_per_row(client, owner):
    add_rows(owner, 1)
    client.force_login(owner)
    count_queries(client)  # the first visit creates the campaign's settings
    few, response = count_queries(client)
    add_rows(owner, 2)
    add_rows(owner, 3)
    many, response = count_queries(client)
    assert many == few
    states = [
        cell["data-nomination-state"]
        for cell in BeautifulSoup(response.content, "html.parser").select(
            "td.nomination-cell[data-nomination-state]"
        )
    ]
    assert sorted(states) == sorted(["not_filed", "started", "submitted"] * 3)
