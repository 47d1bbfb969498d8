"""The activity index holds every activity (R2, R27; found by an audit at the September
peak): a national moderator could unpublish it, taking the public listing down for every
visitor in one click, and was offered to copy or move it with its 36,000 children; the
"reorder" screen drew every child on one page in 100 seconds."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def test_r27_a_national_moderator_cannot_unpublish_copy_or_move_the_index(client, people):
    index = factories.index()
    factories.activity(owner=people["submitter"], publish=True)
    client.force_login(people["national"])
    for action in ("unpublish", "copy", "move", "delete"):
        response = client.post(f"/admin/pages/{index.pk}/{action}/", {"include_descendants": ""})
        assert response.status_code in (302, 403), action
        index.refresh_from_db()
        assert index.live, action
    assert client.get("/activities/").status_code == 200


def test_r27_the_superuser_still_may(client, people):
    index = factories.index()
    client.force_login(people["superuser"])
    assert client.get(f"/admin/pages/{index.pk}/unpublish/").status_code == 200


def test_nobody_reorders_the_activities_by_hand(client, people):
    index = factories.index()
    for user in (people["national"], people["superuser"]):
        client.force_login(user)
        response = client.get(f"/admin/pages/{index.pk}/", {"ordering": "ord", "q": ""})
        assert response.status_code == 302
        assert "ordering" not in response["Location"]
        html = client.get(f"/admin/pages/{index.pk}/").content.decode()
        assert "?ordering=ord" not in html
