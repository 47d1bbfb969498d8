"""Deep listing pages skip the activities before them through the activity table alone
(#8, R28): its `listed` copy of Wagtail's `live` and partial indexes, instead of a probe of
the page table per skipped activity. The page's own rows are still read with Wagtail's
conditions. These tests hold the meaning; the bench holds the speed."""

import datetime
import importlib
from unittest import mock

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Page

from accounts import roles
from activities import listing
from activities.models import ActivityIndexPage, ActivityPage
from tests import factories
from workflow.takedown import take_down

from .conftest import titles

pytestmark = pytest.mark.django_db


def listed(page):
    return ActivityPage.objects.values_list("listed", flat=True).get(pk=page.pk)


def test_listed_follows_live_through_publishing_take_down_and_expiry(owner, image):
    page = factories.activity(owner, poster=image)
    assert listed(page) is False
    page.get_latest_revision().publish()
    assert listed(page) is True
    moderator = factories.user(roles.NATIONAL_MODERATORS)
    take_down(ActivityPage.objects.get(pk=page.pk), moderator, "内容与实际不符")
    assert listed(page) is False
    page = ActivityPage.objects.get(pk=page.pk)
    page.save_revision(user=owner).publish()
    assert listed(page) is True
    # Wagtail's scheduled unpublishing.
    page = ActivityPage.objects.get(pk=page.pk)
    page.expire_at = timezone.now() - datetime.timedelta(minutes=1)
    page.save()
    call_command("publish_scheduled", verbosity=0)
    assert not Page.objects.get(pk=page.pk).live
    assert listed(page) is False
    # A live copy saves only its publication fields (Page.copy(keep_live=True)).
    other = factories.activity(owner, publish=True, poster=image, title="被复制的活动")
    copy = other.copy(update_attrs={"slug": "copied"}, keep_live=True, user=owner)
    assert Page.objects.get(pk=copy.pk).live and listed(copy) is True
    for activity in ActivityPage.objects.all():
        assert activity.listed == activity.live


@pytest.fixture
def many(owner, image):
    """Live activities in all three states, plus a draft and one taken down."""
    now = timezone.now()
    day = datetime.timedelta(days=1)
    pages = []
    for number in range(9):
        start = now + (number - 4) * 3 * day
        pages.append(
            factories.activity(
                owner,
                publish=True,
                poster=image,
                title=f"第{number}场科普活动",
                start_at=start,
                end_at=start + 2 * day,
            )
        )
    factories.activity(owner, poster=image, title="草稿活动")
    gone = factories.activity(owner, publish=True, poster=image, title="被下架的活动")
    take_down(gone, factories.user(roles.NATIONAL_MODERATORS), "内容与实际不符")
    return pages


def every_page(client, **params):
    """Every page of the listing, two cards a page, each skipped to as a deep page."""
    pages = []
    with (
        mock.patch.object(listing.Segments, "DEFERRED_JOIN_OFFSET", 0),
        mock.patch.object(listing, "PER_PAGE", 2),
    ):
        number, last = 1, 1
        while number <= last:
            response = client.get("/activities/", {**params, "page": number})
            pages.append(titles(response))
            number, last = number + 1, response.context["paginator"].num_pages
    return pages


@pytest.mark.parametrize(
    "params",
    [{}, {"sort": "newest"}, {"state": "ended"}, {"mode": "offline"}, {"province": "440000"}],
)
def test_deep_pages_are_the_same_through_the_activity_table(client, many, params):
    through_pages = every_page(client, **params)
    with mock.patch.object(listing, "navigation_queryset", return_value=None):
        expected = every_page(client, **params)
    assert through_pages == expected
    shown = [title for page in through_pages for title in page]
    assert "草稿活动" not in shown and "被下架的活动" not in shown
    if not params:
        assert len(shown) == len(set(shown)) == 9


def test_a_deep_page_skips_without_reading_the_page_table(client, many):
    with (
        mock.patch.object(listing.Segments, "DEFERRED_JOIN_OFFSET", 0),
        mock.patch.object(listing, "PER_PAGE", 2),
        CaptureQueriesContext(connection) as queries,
    ):
        assert len(titles(client.get("/activities/", {"page": 3}))) == 2
        assert len(titles(client.get("/activities/", {"page": 3, "mode": "offline"}))) == 2
    skipping = [q["sql"] for q in queries.captured_queries if "OFFSET" in q["sql"].upper()]
    assert len(skipping) >= 2
    assert all("wagtailcore_page" not in sql and "listed" in sql for sql in skipping)


def test_a_stale_copy_never_shows_an_unpublished_activity(client, many):
    """`listed` is only the way to the page: an activity it wrongly says is live (written
    around the model, say) is still not shown, since the page's rows are read with
    Wagtail's `live`."""
    ActivityPage.objects.filter(title__in=["草稿活动", "被下架的活动"]).update(listed=True)
    shown = [title for page in every_page(client) for title in page]
    assert "草稿活动" not in shown and "被下架的活动" not in shown


def test_with_a_second_index_page_the_page_table_decides(client, many):
    index = factories.index()
    index.get_parent().add_child(
        instance=ActivityIndexPage(title="另一个活动目录", slug="other-activities")
    )
    assert listing.navigation_queryset({}, root=index) is None
    assert listing.navigation_queryset({}) is not None  # the API: every activity
    shown = [title for page in every_page(client) for title in page]
    assert len(shown) == len(set(shown)) == 9


def test_the_migration_copies_live(owner, image):
    migration = importlib.import_module("activities.migrations.0008_listed")
    live = factories.activity(owner, publish=True, poster=image)
    draft = factories.activity(owner, poster=image, title="草稿活动")
    ActivityPage.objects.update(listed=True)  # as the column is added
    migration.unlist_the_unpublished(apps, None)
    assert listed(live) is True and listed(draft) is False
