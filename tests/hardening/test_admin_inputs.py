"""Issue #9 (hardening), R2: what the admin offers, and what anyone can type into its URLs,
answers with a page, never a 500; signing out takes a deliberate POST."""

import pytest
from django.contrib.sessions.models import Session

from tests import factories

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"


@pytest.fixture
def superuser(client):
    user = factories.user(None, is_superuser=True, is_staff=True, real_name="超级管理员")
    client.force_login(user)
    return user


@pytest.mark.parametrize(
    "url",
    [
        f"/admin/pages/{{index}}/?owner={HUGE}",
        f"/admin/pages/{{index}}/?owner=-{HUGE}",
        f"/admin/pages/{{index}}/?edited_by={HUGE}&owner=1",
        f"/admin/users/?group={HUGE}",
        f"/admin/reports/site-history/?user={HUGE}",
        f"/admin/workflows/tasks/index/?content_type={HUGE}",
        f"/admin/pages/usage/activities/activitypage/?owner={HUGE}",
        f"/admin/pages/{{index}}/?owner={'9' * 5000}",
    ],
)
def test_ids_no_row_can_have_are_no_500_in_admin_filters(client, superuser, url):
    """SQLite's driver raised OverflowError for an id past 64 bits in a model choice
    filter; such an id now names no row, like any other that does not exist."""
    response = client.get(url.format(index=factories.index().pk))
    assert response.status_code == 200


def test_a_search_for_a_long_number_keeps_it(client, superuser):
    """Search text is not an id: a long number typed into a search box stays as typed."""
    response = client.get(f"/admin/users/?q={HUGE}")
    assert response.status_code == 200
    assert HUGE in response.content.decode()


def test_image_search_combines_with_the_usage_and_tag_filters(client, superuser):
    """The image library offers search with its usage-count filter, and the chooser with
    its tags; the search backend's FilterField check made both a 500."""
    used = factories.poster(superuser, title="科普海报甲")
    used.tags.add("科普")
    factories.activity(owner=superuser, poster=used, title="用了海报的活动")
    factories.poster(superuser, title="科普海报乙")

    listing = client.get("/admin/images/?q=科普&usage_count_min=1")
    assert listing.status_code == 200
    assert "科普海报甲" in listing.content.decode()
    assert "科普海报乙" not in listing.content.decode()

    chooser = client.get("/admin/images/chooser/results/?q=科普&tag=科普")
    assert chooser.status_code == 200
    assert "科普海报甲" in chooser.content.decode()
    assert "科普海报乙" not in chooser.content.decode()


def test_a_link_to_the_logout_url_does_not_sign_out(client, superuser):
    """A GET (a link or redirect from any other site) was refused with 405, yet deleted the
    session cookie; the server's session stayed valid for a copied cookie."""
    response = client.get("/admin/logout/")
    assert response.status_code == 405
    assert "sessionid" not in response.cookies
    assert client.get("/admin/").status_code == 200

    session_key = client.session.session_key
    response = client.post("/admin/logout/")
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 302
    assert not Session.objects.filter(session_key=session_key).exists()


def test_the_image_library_finds_a_word_inside_a_chinese_title(client, superuser):
    """R34: a title is one run of Chinese, indexed as typed it was one token: 科普海报甲 was
    found by its first characters (a prefix) but not by 海报. Titles are indexed in words."""
    factories.poster(superuser, title="科普海报甲")
    factories.poster(superuser, title="活动照片乙")
    listing = client.get("/admin/images/?q=海报").content.decode()
    assert "科普海报甲" in listing
    assert "活动照片乙" not in listing
    chooser = client.get("/admin/images/chooser/results/?q=海报").content.decode()
    assert "科普海报甲" in chooser
