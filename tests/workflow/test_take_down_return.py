"""Take-down and put-back return the moderator to where they came from (R18).

Both redirected to Wagtail's page explorer, whose states mislabel activities (a taken-down
activity reads "draft"), and lost the filters of the list the moderator was working
through. Now the form and the confirmation carry `next`, taken from an explicit `next` or
the page that linked to them, on this site only; without one, 全部活动.
"""

import pytest
from bs4 import BeautifulSoup

from activities.models import ActivityPage
from tests import factories
from workflow.models import TakeDown

pytestmark = pytest.mark.django_db

LIST = "/admin/all-activities/"
FILTERED = "/admin/all-activities/?listing_state=on&province=440000"


def take_down_url(page):
    return f"/admin/review/take-down/{page.pk}/"


def restore_url(page):
    return f"/admin/review/restore/{page.pk}/"


def live_activity(people, title="下架后返回列表的活动"):
    return factories.activity(owner=people["submitter"], publish=True, title=title)


def form_of(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return soup.select_one("main form[method=post]"), soup


def messages_after(client, url):
    response = client.get(url, follow=True)
    assert response.status_code == 200
    return [str(message) for message in response.context["messages"]]


def test_take_down_from_the_filtered_list_returns_to_it(client, people):
    page = live_activity(people)
    client.force_login(people["national"])
    # The list links here; the browser names the list, with its filters, as referer.
    listing = client.get(FILTERED).content.decode()
    assert take_down_url(page) in listing

    response = client.get(take_down_url(page), HTTP_REFERER=f"http://testserver{FILTERED}")
    form, soup = form_of(response)
    assert form.select_one("input[name=next]")["value"] == FILTERED
    assert soup.select_one(f'main a[href="{FILTERED}"]') is not None  # cancel

    # A reason left out: the form comes back, still carrying where to return.
    response = client.post(take_down_url(page), {"reason": "", "next": FILTERED})
    assert response.status_code == 200
    assert form_of(response)[0].select_one("input[name=next]")["value"] == FILTERED

    response = client.post(take_down_url(page), {"reason": "海报不合规", "next": FILTERED})
    assert (response.status_code, response["Location"]) == (302, FILTERED)
    assert not ActivityPage.objects.get(pk=page.pk).live
    assert any(page.title in message for message in messages_after(client, FILTERED))


def test_put_back_from_the_filtered_list_returns_to_it(client, people):
    page = live_activity(people, title="恢复后返回列表的活动")
    client.force_login(people["national"])
    client.post(take_down_url(page), {"reason": "海报不合规"})
    filtered = f"{LIST}?listing_state=taken_down"

    response = client.get(take_down_url(page), {"next": filtered})
    form, soup = form_of(response)
    assert form["action"] == restore_url(page)
    assert form.select_one("input[name=next]")["value"] == filtered
    assert soup.select_one(f'main a[href="{filtered}"]') is not None

    response = client.post(restore_url(page), {"next": filtered})
    assert (response.status_code, response["Location"]) == (302, filtered)
    assert ActivityPage.objects.get(pk=page.pk).live
    assert any(page.title in message for message in messages_after(client, filtered))


@pytest.mark.parametrize(
    "elsewhere",
    ["https://evil.example/admin/", "//evil.example/admin/", "javascript:alert(1)"],
)
def test_another_site_is_never_a_destination(client, people, elsewhere):
    page = live_activity(people)
    client.force_login(people["national"])

    response = client.get(take_down_url(page), {"next": elsewhere}, HTTP_REFERER=elsewhere)
    assert form_of(response)[0].select_one("input[name=next]")["value"] == LIST

    response = client.post(
        take_down_url(page), {"reason": "海报不合规", "next": elsewhere}, HTTP_REFERER=elsewhere
    )
    assert (response.status_code, response["Location"]) == (302, LIST)

    response = client.post(restore_url(page), {"next": elsewhere}, HTTP_REFERER=elsewhere)
    assert (response.status_code, response["Location"]) == (302, LIST)
    assert TakeDown.objects.get(page=page).restored_at is not None


def test_without_a_source_the_list_of_all_activities(client, people):
    """Not Wagtail's explorer, which shows a taken-down activity as a draft."""
    page = live_activity(people)
    client.force_login(people["national"])
    response = client.post(take_down_url(page), {"reason": "海报不合规"})
    assert (response.status_code, response["Location"]) == (302, LIST)
    # The confirmation posted from its own page names that page as referer: not a place
    # to return to once the activity is back.
    response = client.post(
        restore_url(page), HTTP_REFERER=f"http://testserver{take_down_url(page)}"
    )
    assert (response.status_code, response["Location"]) == (302, LIST)


def test_from_the_editor_back_to_the_editor(client, people):
    page = live_activity(people)
    client.force_login(people["national"])
    editor = f"/admin/pages/{page.pk}/edit/"
    response = client.get(take_down_url(page), HTTP_REFERER=f"http://testserver{editor}")
    assert form_of(response)[0].select_one("input[name=next]")["value"] == editor
    response = client.post(take_down_url(page), {"reason": "海报不合规", "next": editor})
    assert (response.status_code, response["Location"]) == (302, editor)


@pytest.mark.parametrize(
    "odd",
    [
        "http://testserver//evil.example/admin/",  # leaves a protocol-relative path
        "wagtailadmin_home",  # redirect() would take a bare word for a URL name
        "nowhere",
    ],
)
def test_odd_destinations_fall_back_to_the_list(client, people, odd):
    page = live_activity(people)
    client.force_login(people["national"])
    response = client.post(take_down_url(page), {"reason": "海报不合规", "next": odd})
    assert (response.status_code, response["Location"]) == (302, LIST)
