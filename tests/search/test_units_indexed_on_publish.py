"""R29: a unit added in an edit is found as soon as the edit is published.

Wagtail indexes a page in its post_save signal, inside Page.save and before modelcluster
writes the page's child rows (its host and organizer units); the index entry then held
the units of before, and a new host was found only after the next publication."""

import pytest

from activities.models import HostUnit, OrganizerUnit
from tests import factories

pytestmark = pytest.mark.django_db


def found(client, word):
    """The page of results for `word`, or "" when only some of its words matched (the
    any-word pass, search.segment.Terms: 协会 of 广州市科学技术协会)."""
    response = client.get("/search/", {"q": word})
    assert response.status_code == 200
    html = response.content.decode()
    return "" if 'class="listing-notice"' in html else html


def test_r29_a_unit_added_in_an_edit_is_found_once_published(client):
    owner = factories.submitter()
    page = factories.activity(owner, publish=True, title="周末社区开放日")
    assert "周末社区开放日" not in found(client, "青松天文爱好者协会")

    draft = page.get_latest_revision_as_object()
    draft.host_units.add(HostUnit(name="青松天文爱好者协会"))
    draft.organizer_units.add(OrganizerUnit(name="白杨地质研学社"))
    draft.save_revision(user=owner).publish()

    assert "周末社区开放日" in found(client, "青松天文爱好者协会")
    assert "周末社区开放日" in found(client, "白杨地质研学社")


def test_r29_a_unit_removed_in_an_edit_is_no_longer_found(client):
    owner = factories.submitter()
    page = factories.activity(owner, publish=True, hosts=("青松天文爱好者协会",), title="夜空课堂")
    assert "夜空课堂" in found(client, "青松天文爱好者协会")

    draft = page.get_latest_revision_as_object()
    draft.host_units.set([HostUnit(name="广州市科学技术协会")])
    draft.save_revision(user=owner).publish()

    assert "夜空课堂" not in found(client, "青松天文爱好者协会")


def test_r29_a_deleted_activity_leaves_the_index(client):
    """Wagtail's own removal is off with its indexing (search_auto_update); the activity's
    entry still goes with it."""
    from modelsearch.conf import get_app_config

    entries = get_app_config().get_model("IndexEntry").objects
    page = factories.activity(factories.submitter(), publish=True, title="星空之下的课堂")
    assert entries.filter(object_id=str(page.pk)).exists()
    page.delete()
    assert not entries.filter(object_id=str(page.pk)).exists()
