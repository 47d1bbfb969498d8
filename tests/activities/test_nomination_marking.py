"""推优 recommendation (R33, R25): completeness follows the stored material, recommended
material is locked, every filing and marking is in the audit log, and the moderators' list
is paginated."""

import io

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from wagtail.images.models import Image
from wagtail.log_actions import registry as log_registry
from wagtail.models import PageLogEntry

from accounts import roles
from activities.models import ActivityPage
from activities.nomination_models import Nomination, NominationPhoto
from tests import factories

from .nominating import AFTER_END, file_complete, png, stored_post_data, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return factories.user(is_superuser=True)


@pytest.fixture
def filed(client, owner, page):
    client.force_login(owner)
    with time_machine.travel(AFTER_END, tick=False):
        assert file_complete(client, page).status_code == 302
    return Nomination.objects.get(page=page)


def post(client, page, data):
    with time_machine.travel(AFTER_END, tick=False):
        return client.post(url(page), data)


def recommend(client, user, page, note="", decision="1"):
    client.force_login(user)
    return client.post(f"{url(page)}review/", {"recommended": decision, "note": note})


def entries(page, action):
    return list(PageLogEntry.objects.filter(page=page, action=action).order_by("pk"))


def has_badge(client, page):
    client.logout()
    return "badge--recommended" in client.get(page.url).content.decode()


# Completeness is what is stored ---------------------------------------------------------------


def test_r33_a_refused_value_leaves_complete_material_complete(client, filed, page):
    response = post(client, page, stored_post_data(filed, participants="-5"))
    assert response.status_code == 200 and "participants" in response.context["form"].errors
    filed.refresh_from_db()
    assert filed.participants == 120
    assert filed.is_complete
    listing_user = factories.user(roles.NATIONAL_MODERATORS)
    client.force_login(listing_user)
    listed = client.get("/admin/nominations/", {"completeness": "complete"})
    assert filed in list(listed.context["nominations"])


def test_r33_marking_reads_the_rules_not_the_stored_flag(client, filed, page, national):
    """Photos gone without the form (here straight from the table) leave the stored flag
    behind; marking checks the material itself."""
    NominationPhoto.objects.filter(pk=filed.photos.first().pk).delete()
    assert Nomination.objects.get(pk=filed.pk).is_complete  # stale
    client.force_login(national)
    client.post("/admin/nominations/", {"selected": [filed.pk], "action": "recommend"})
    response = recommend(client, national, page)
    assert response.status_code == 200
    filed.refresh_from_db()
    assert not filed.recommended and not filed.is_complete


def test_r33_the_library_cannot_delete_nomination_photos_and_a_deletion_elsewhere_counts(
    client, filed, page, owner, national, superuser
):
    evidence = filed.participants_evidence
    client.force_login(owner)
    client.post(f"/admin/images/{evidence.pk}/delete/")
    assert Image.objects.filter(pk=evidence.pk).exists()
    client.force_login(superuser)
    assert client.post(f"/admin/images/{evidence.pk}/delete/").status_code == 302
    assert not Image.objects.filter(pk=evidence.pk).exists()
    filed.refresh_from_db()
    assert filed.participants_evidence_id is None and not filed.is_complete
    assert recommend(client, national, page).status_code == 200
    filed.refresh_from_db()
    assert not filed.recommended


# Recommended material --------------------------------------------------------------------------


def test_r33_recommended_material_is_locked_for_the_submitter(client, filed, page, owner, national):
    assert recommend(client, national, page, note="案例典型").status_code == 302
    client.force_login(owner)
    with time_machine.travel(AFTER_END, tick=False):
        form = client.get(url(page))
    assert form.status_code == 200 and form.context["closed"]
    photos = [photo.pk for photo in filed.photos.all()]
    response = post(client, page, stored_post_data(filed, delete_photo=photos))
    assert response.status_code == 403
    filed.refresh_from_db()
    assert filed.photos.count() == 3 and filed.recommended
    assert has_badge(client, page)

    # Withdrawn by the moderators, the material can change again.
    recommend(client, national, page, decision="0")
    client.force_login(owner)
    post(client, page, stored_post_data(filed, delete_photo=photos[:1]))
    assert filed.photos.count() == 2


def test_r33_r25_material_deleted_elsewhere_withdraws_the_recommendation_logged(
    client, filed, page, national, superuser
):
    assert recommend(client, national, page).status_code == 302
    assert has_badge(client, page)
    image = filed.photos.first().image
    client.force_login(superuser)
    client.post(f"/admin/images/{image.pk}/delete/")
    filed.refresh_from_db()
    assert not filed.recommended and not filed.is_complete
    [entry] = entries(page, "nominations.withdraw")
    assert entry.user == superuser
    assert "2" in entry.comment  # the photo rule, with the two photos left
    assert not has_badge(client, page)


# The audit log (R25) ---------------------------------------------------------------------------


def test_r25_recommending_and_not_recommending_are_logged_with_the_note(
    client, filed, page, owner, national, superuser
):
    recommend(client, national, page, note="案例典型，值得推广")
    client.post("/admin/nominations/", {"selected": [filed.pk], "action": "unrecommend"})
    client.post(
        "/admin/nominations/",
        {"selected": [filed.pk], "action": "recommend", "note": "复评后推荐"},
    )
    [first, second] = entries(page, "nominations.recommend")
    [withdrawn] = entries(page, "nominations.unrecommend")
    assert (first.user, first.comment) == (national, "案例典型，值得推广")
    assert (withdrawn.user, withdrawn.comment) == (national, "")
    assert (second.user, second.comment) == (national, "复评后推荐")
    assert first.timestamp <= withdrawn.timestamp <= second.timestamp

    client.force_login(superuser)
    history = client.get(f"/admin/pages/{page.pk}/history/").content.decode()
    assert "案例典型，值得推广" in history and "复评后推荐" in history
    with translation.override("en"):
        assert str(first.message) == "Recommended as an excellent activity"
        assert str(withdrawn.message) == "Marked as not recommended"
        labels = dict(log_registry.get_choices())
        assert str(labels["nominations.recommend"]) == "Recommend as an excellent activity"


def test_r25_filing_and_completing_are_logged(client, owner, page):
    client.force_login(owner)
    with time_machine.travel(AFTER_END, tick=False):
        file_complete(client, page, photos=2)
    [edited] = entries(page, "nominations.edit")
    assert edited.user == owner and edited.data["photos_added"] == 2
    assert not entries(page, "nominations.complete")
    nomination = Nomination.objects.get(page=page)
    post(client, page, {**stored_post_data(nomination), "photos": [png("p2.png")]})
    [completed] = entries(page, "nominations.complete")
    assert completed.user == owner and completed.data["photos_added"] == 1
    # Saving again without a change adds nothing.
    post(client, page, stored_post_data(nomination))
    assert len(PageLogEntry.objects.filter(page=page, action__startswith="nominations.")) == 2


# The moderators' list ---------------------------------------------------------------------------


def test_r33_the_list_shows_every_nomination_by_pages_with_the_count_and_filters(client, national):
    """The list stopped at 500 rows without a word; now 50 a page, the total shown, and the
    filters kept from page to page."""
    before = set(ActivityPage.objects.values_list("pk", flat=True))
    call_command("seed_activities", count=510, pending=0, stdout=io.StringIO())
    pages = ActivityPage.objects.exclude(pk__in=before).order_by("pk")
    Nomination.objects.bulk_create(Nomination(page=page) for page in pages)
    total = Nomination.objects.count()
    assert total > 500
    client.force_login(national)

    response = client.get("/admin/nominations/", {"completeness": "incomplete"})
    assert response.status_code == 200
    page_obj = response.context["page_obj"]
    assert page_obj.paginator.count == total and len(page_obj.object_list) == 50
    soup = BeautifulSoup(response.content, "html.parser")
    assert f"{total}" in soup.select_one(".pagination__end").get_text()
    last = page_obj.paginator.num_pages
    link = soup.select_one(f'.pagination a[href*="p={last}"]')["href"]
    assert "completeness=incomplete" in link

    seen, query_counts = set(), set()
    for number in range(1, last + 1):
        with CaptureQueriesContext(connection) as queries:
            shown = client.get("/admin/nominations/", {"completeness": "incomplete", "p": number})
        seen |= {nomination.pk for nomination in shown.context["nominations"]}
        query_counts.add(len(queries))
    assert len(seen) == total
    assert len(query_counts) == 1  # the same queries on every page, none per row

    nobody = client.get("/admin/nominations/", {"completeness": "complete"}).context
    assert nobody["page_obj"].paginator.count == 0
