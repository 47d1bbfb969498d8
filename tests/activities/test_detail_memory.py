"""What a detail page reads from the shared cache (#8, R30): its poster renditions, QR code
and site root paths are kept in each process, so a second view makes no round trip but
the two version reads; and whatever changes them shows at once, with the page cache off."""

import io
import os
from unittest import mock

import pytest
from bs4 import BeautifulSoup
from django.core.cache import caches
from django.core.files.images import ImageFile
from wagtail.images.models import Image
from wagtail.models import Site

from activities.posters import make_poster
from tests import factories

pytestmark = pytest.mark.django_db


def _soup(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


def _poster_src(soup):
    return soup.select_one(".activity__poster img")["src"]


def test_a_second_view_reads_only_the_versions_from_the_cache(client, owner, image):
    page = factories.activity(owner, publish=True, poster=image)
    client.get(page.url)  # generates the renditions
    first = client.get(page.url).content.decode()  # finds them
    backend = type(caches["default"])
    calls = []
    real_get, real_get_many = backend.get, backend.get_many
    inside_get_many = []

    def get(self, key, *args, **kwargs):
        if not inside_get_many:  # the local-memory cache's get_many calls get per key
            calls.append(key)
        return real_get(self, key, *args, **kwargs)

    def get_many(self, keys, *args, **kwargs):
        calls.append(tuple(keys))
        inside_get_many.append(True)
        try:
            return real_get_many(self, keys, *args, **kwargs)
        finally:
            inside_get_many.pop()

    with mock.patch.object(backend, "get", get), mock.patch.object(backend, "get_many", get_many):
        second = client.get(page.url).content.decode()
    assert second == first
    # The site and listing versions, then the page's own: nothing per rendition, QR code
    # or site root path.
    assert len(calls) == 2, calls
    soup = BeautifulSoup(second, "html.parser")
    assert _poster_src(soup).endswith(".webp") and soup.select_one(".share__qr svg")
    assert soup.select_one('link[rel="canonical"]')["href"].endswith(page.url)


def test_a_replaced_poster_file_shows_at_once(client, owner, image):
    page = factories.activity(owner, publish=True, poster=image)
    before = _poster_src(_soup(client, page.url))
    # What the image editor does when a new file is uploaded for the same image.
    image.renditions.all().delete()
    data = make_poster("替换后的海报", "2026年9月21日", "测试主办单位", size=(900, 1200))
    image.file = ImageFile(io.BytesIO(data), name="replaced.jpg")
    image._set_image_file_metadata()
    image.save()
    after = _poster_src(_soup(client, page.url))
    stored = os.path.splitext(os.path.basename(Image.objects.get(pk=image.pk).file.name))[0]
    assert after != before and stored in after


def test_a_changed_site_address_shows_at_once(client, owner):
    page = factories.activity(owner, publish=True)
    site = Site.objects.get(is_default_site=True)
    canonical = _soup(client, page.url).select_one('link[rel="canonical"]')["href"]
    assert canonical.startswith(site.root_url)
    site.hostname, site.port = "kepu.example.cn", 443
    site.save()
    canonical = _soup(client, page.url).select_one('link[rel="canonical"]')["href"]
    assert canonical.startswith("https://kepu.example.cn/"), canonical


def test_the_qr_code_follows_the_address(client, owner):
    page = factories.activity(owner, publish=True)
    first = _soup(client, page.url).select_one(".share__qr svg title").get_text()
    page.slug = "moved-activity"
    page.save_revision(user=owner).publish()
    page.refresh_from_db()
    second = _soup(client, page.url).select_one(".share__qr svg title").get_text()
    assert first != second and second.endswith("/moved-activity/")
