"""Images and page links in the details (活动详情, R13): the editor takes only what its buttons
insert, and what was stored before that rule never breaks a page.

- An image embedded by id is one the user may choose, as for the poster (R12): never another
  unit's upload or a nomination photo (R2, R33).
- An embed's id and format, and a page link's id, are checked on save: forged ones (stored,
  they answered 500 in the editor, the draft preview and, once approved, the public page)
  are left out, and a link to a page that does not exist is refused. Rows stored before
  that rule render without them (issue #9's rule: never a 500)."""

import datetime
import json

import pytest
import time_machine
from django.test import Client

from accounts import roles
from activities.forms import IMAGE_NOT_YOURS_MESSAGE, MISSING_PAGE_MESSAGE
from activities.models import ActivityPage
from activities.nomination_models import Nomination, NominationPhoto
from activities.rich_text import clean_db_html, without_bad_references
from tests import factories

from .editor import EDIT_URL, editor_data
from .test_editor_journey import errors_of

pytestmark = pytest.mark.django_db

IN_WINDOW = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=datetime.UTC)
TITLE = "嵌入图片的活动"


def details_with(entity_type, data, text="活动详情：请看图片"):
    """The Draftail ContentState a browser posts, with one entity: an IMAGE in an atomic
    block of its own, or a LINK over the first two characters of `text`."""
    blocks = [
        {
            "key": "b0",
            "type": "unstyled",
            "depth": 0,
            "text": text,
            "inlineStyleRanges": [],
            "entityRanges": []
            if entity_type == "IMAGE"
            else [{"offset": 0, "length": 2, "key": 0}],
        }
    ]
    if entity_type == "IMAGE":
        blocks.append(
            {
                "key": "b1",
                "type": "atomic",
                "depth": 0,
                "text": " ",
                "inlineStyleRanges": [],
                "entityRanges": [{"offset": 0, "length": 1, "key": 0}],
            }
        )
    mutability = "IMMUTABLE" if entity_type == "IMAGE" else "MUTABLE"
    entity = {"type": entity_type, "mutability": mutability, "data": data}
    return json.dumps({"blocks": blocks, "entityMap": {"0": entity}})


def nomination_photo(owner):
    """An image of `owner` that is a nomination photo of one of their activities (R33)."""
    image = factories.poster(owner, title="提名照片")
    page = factories.activity(owner=owner, publish=True, title="别的单位的已通过活动")
    nomination, _created = Nomination.objects.get_or_create(page=page)
    NominationPhoto.objects.create(nomination=nomination, image=image)
    return image


def post(client, url, poster, action="", **overrides):
    return client.post(
        url, editor_data(poster, factories.channel(), action, title=TITLE, **overrides)
    )


@pytest.mark.parametrize("whose", ["another unit's upload", "a nomination photo"])
@pytest.mark.parametrize("action", ["", "action-submit"])
@time_machine.travel(IN_WINDOW, tick=False)
def test_r2_r12_r33_an_image_the_user_may_not_choose_is_refused_in_the_details(
    client, submitter, add_url, whose, action
):
    """The poster field refuses another unit's image; the same id embedded in the details
    is refused too, with the poster's rule (accounts/upload_policy.py), a clear message and
    what was typed kept, and the form sent back does not show the picture."""
    other = factories.submitter()
    image = (
        factories.poster(other, title="别的单位的图片")
        if whose == "another unit's upload"
        else nomination_photo(other)
    )
    own = factories.poster(submitter)
    details = details_with("IMAGE", {"id": image.pk, "format": "fullwidth", "alt": "别人的"})
    response = post(client, add_url, own, action, details=details)
    assert response.status_code == 200
    assert errors_of(response)["details"] == [str(IMAGE_NOT_YOURS_MESSAGE)]
    assert not ActivityPage.objects.filter(title=TITLE).exists()
    html = response.content.decode()
    assert TITLE in html  # what was typed is kept
    assert image.file.url not in html
    assert not any(rendition.url in html for rendition in image.renditions.all())


@time_machine.travel(IN_WINDOW, tick=False)
def test_r12_r13_the_users_own_image_is_accepted_and_shown(client, submitter, add_url):
    own = factories.poster(submitter)
    details = details_with("IMAGE", {"id": own.pk, "format": "fullwidth", "alt": "活动现场"})
    assert post(client, add_url, own, details=details).status_code == 302
    page = ActivityPage.objects.get(title=TITLE)
    assert f'id="{own.pk}"' in page.details
    page.get_latest_revision().publish()
    page.refresh_from_db()
    response = Client().get(page.url)
    assert response.status_code == 200
    assert 'alt="活动现场"' in response.content.decode()


@time_machine.travel(IN_WINDOW, tick=False)
def test_r2_an_image_already_in_the_details_stays_when_others_edit(client):
    """Like the activity's own poster: a national moderator may not choose a submitter's
    upload, but saving the activity that already shows it is not refused."""
    owner = factories.submitter()
    image = factories.poster(owner)
    details = f'<p>详情</p><embed alt="现场" embedtype="image" format="fullwidth" id="{image.pk}"/>'
    page = factories.activity(owner=owner, poster=image, details=details)
    moderator = factories.user(roles.NATIONAL_MODERATORS, is_staff=True)
    client.force_login(moderator)
    data = details_with("IMAGE", {"id": image.pk, "format": "fullwidth", "alt": "现场"})
    response = post(client, EDIT_URL.format(pk=page.pk), image, details=data)
    assert response.status_code == 302, errors_of(response)


FORGED = {
    "an unknown format": ("IMAGE", {"format": "bogus", "alt": "x"}),
    "no format": ("IMAGE", {"alt": "x"}),
    "an id that is no number": ("IMAGE", {"id": "abc", "format": "fullwidth", "alt": "x"}),
    "an id that is a list": ("IMAGE", {"id": [1], "format": "fullwidth", "alt": "x"}),
    "an id past any row": ("IMAGE", {"id": 99999999999999999999, "format": "left", "alt": "x"}),
    "a page link id that is no number": ("LINK", {"linktype": "page", "id": "abc"}),
}


@pytest.mark.parametrize("forgery", FORGED)
@time_machine.travel(IN_WINDOW, tick=False)
def test_r13_forged_embeds_and_links_are_left_out_when_saved(client, submitter, add_url, forgery):
    """Data the editor's buttons never produce is left out on save, like the rest of a
    forged request's markup (tests/hardening/test_rich_text.py): the text around it is kept,
    and the editor, the preview and the public page answer."""
    own = factories.poster(submitter)
    entity_type, data = FORGED[forgery]
    if entity_type == "IMAGE" and "id" not in data:
        data = {**data, "id": own.pk}
    response = post(client, add_url, own, details=details_with(entity_type, data))
    assert response.status_code == 302, errors_of(response)
    page = ActivityPage.objects.get(title=TITLE)
    assert "详情：请看图片" in page.details
    assert "<embed" not in page.details and "linktype" not in page.details
    assert client.get(EDIT_URL.format(pk=page.pk)).status_code == 200
    assert client.get(f"/admin/pages/{page.pk}/view_draft/").status_code == 200
    page.get_latest_revision().publish()
    page.refresh_from_db()
    assert Client().get(page.url).status_code == 200


@pytest.mark.parametrize("action", ["", "action-submit"])
@time_machine.travel(IN_WINDOW, tick=False)
def test_r13_a_link_to_a_page_that_does_not_exist_is_refused(client, submitter, add_url, action):
    own = factories.poster(submitter)
    details = details_with("LINK", {"id": 99999999})
    response = post(client, add_url, own, action, details=details)
    assert response.status_code == 200
    assert errors_of(response)["details"] == [str(MISSING_PAGE_MESSAGE)]
    assert TITLE in response.content.decode()
    assert not ActivityPage.objects.filter(title=TITLE).exists()


@time_machine.travel(IN_WINDOW, tick=False)
def test_r13_a_link_to_an_existing_page_is_accepted(client, submitter, add_url):
    own = factories.poster(submitter)
    target = factories.index()
    details = details_with("LINK", {"id": target.pk, "url": target.url})
    assert post(client, add_url, own, details=details).status_code == 302
    assert f'linktype="page" id="{target.pk}"' in ActivityPage.objects.get(title=TITLE).details


def stored_bad_details(image):
    return (
        "<p>好的活动</p>"
        f'<embed alt="x" embedtype="image" format="bogus" id="{image.pk}"/>'
        f'<embed alt="y" embedtype="image" id="{image.pk}"/>'
        '<embed alt="z" embedtype="image" format="fullwidth" id="abc"/>'
        '<p><a linktype="page" id="abc">链接文字</a></p>'
        f"<embed alt='w' embedtype='image' format='nope' id='{image.pk}'>"
        f'<embed alt="保留" embedtype="image" format="fullwidth" id="{image.pk}"/>'
    )


@time_machine.travel(IN_WINDOW, tick=False)
def test_r13_r30_bad_embeds_stored_before_the_rule_break_no_page(client):
    """Rows saved before the editor checked embeds: the owner's and the moderator's editor,
    the draft preview, the public page and the API answer, leaving the bad embeds out and
    keeping the text, the link's words and the good image."""
    owner = factories.submitter()
    image = factories.poster(owner)
    page = factories.activity(owner=owner, poster=image, publish=True)
    bad = stored_bad_details(image)
    ActivityPage.objects.filter(pk=page.pk).update(details=bad)
    revision = page.get_latest_revision()
    revision.content["details"] = bad
    revision.save(update_fields=["content"])
    page.refresh_from_db()

    client.force_login(owner)
    editor = client.get(EDIT_URL.format(pk=page.pk))
    assert editor.status_code == 200
    assert client.get(f"/admin/pages/{page.pk}/view_draft/").status_code == 200
    client.force_login(factories.user(roles.NATIONAL_MODERATORS, is_staff=True))
    assert client.get(EDIT_URL.format(pk=page.pk)).status_code == 200

    visitor = Client()
    public = visitor.get(page.url)
    assert public.status_code == 200
    html = public.content.decode()
    assert "好的活动" in html and "链接文字" in html
    assert 'alt="保留"' in html
    assert not any(f'alt="{alt}"' in html for alt in "xyzw")
    api = visitor.get(f"/api/v2/activities/{page.pk}/")
    assert api.status_code == 200
    assert 'alt="保留"' in api.json()["details"]


def test_r13_cleaning_drops_embeds_that_would_fail_rendering():
    cleaned = clean_db_html(
        '<p>字</p><embed alt="a" embedtype="image" format="bogus" id="3"/>'
        '<embed alt="b" embedtype="image" format="left" id="3"/>',
        ("image",),
    )
    assert 'alt="a"' not in cleaned and 'alt="b"' in cleaned
    assert (
        without_bad_references(
            '<embed embedtype="image" format="left" id="99999999999999999999"/>'
            '<a linktype="page" id="1 or 1">字</a><a linktype="page" id="7">页</a>'
        )
        == '<a>字</a><a linktype="page" id="7">页</a>'
    )
