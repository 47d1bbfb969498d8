"""A lone surrogate forged into the rich-text editor's JSON ("\\ud800") is refused with the
field's message, found by an attacker's audit: no UTF-8 text holds one, the database
driver could not encode it, and the save was a 500 (R13, R31)."""

import pytest

from tests import factories
from tests.activities.editor import EDIT_URL, open_editor

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff"])
def test_a_forged_lone_surrogate_in_the_details_is_a_form_error(client, escape):
    owner = factories.submitter()
    page = factories.activity(owner=owner)
    client.force_login(owner)
    data = open_editor(client, page)
    raw = data["details"][0]
    forged = raw.replace('"text": "', f'"text": "{escape}', 1)
    assert forged != raw
    data["details"] = [forged]
    response = client.post(EDIT_URL.format(pk=page.pk), data)
    assert response.status_code == 200
    assert f"U+{escape[2:].upper()}" in response.content.decode()
    page.refresh_from_db()
    assert escape not in (page.get_latest_revision().content.get("details") or "")
