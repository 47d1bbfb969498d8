"""A phone photo (12 MP, several MB) took about two seconds to upload: the picture was
decoded five times in one request. activities/uploads.py decodes it once, a JPEG at an
eighth of its size, to find damage; Wagtail then decoded it in full twice more to count its
pixels (already counted from the header) and twice to store its width and height (which the
header states). Counted here as decodes, not timed: the count is what costs the time."""

import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage
from PIL import ImageFile
from wagtail.images.models import Image
from wagtail.models import Collection

from activities.nomination_models import Nomination
from tests import factories

from .nominating import AFTER_END, post_data, url

pytestmark = pytest.mark.django_db

SIZE = (4000, 3000)  # 12 MP, what phones take


def photo(fmt="JPEG", size=SIZE):
    """A photo-sized picture with some detail, quick to make."""
    width, height = size
    red = PILImage.linear_gradient("L").resize(size)
    green = PILImage.radial_gradient("L").resize(size)
    blue = PILImage.effect_noise((width // 8, height // 8), 40).resize(size)
    buffer = io.BytesIO()
    PILImage.merge("RGB", (red, green, blue)).save(buffer, fmt, quality=92)
    return buffer.getvalue()


@pytest.fixture
def decodes(monkeypatch):
    """The size of every picture Pillow decodes, as decoded (a JPEG decoded in draft mode
    comes out smaller)."""
    seen = []
    load = ImageFile.ImageFile.load

    def counting_load(self):
        if self.tile:
            seen.append(self.size)
        return load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counting_load)
    return seen


def full(decodes, size=SIZE):
    return [decoded for decoded in decodes if decoded == size]


def test_an_admin_upload_of_a_12_megapixel_jpeg_decodes_it_once_and_small(client, decodes):
    client.force_login(factories.submitter())
    data = photo()
    decodes.clear()
    response = client.post(
        "/admin/images/add/",
        {
            "title": "手机照片",
            "file": SimpleUploadedFile("IMG_1000.jpg", data, content_type="image/jpeg"),
            "collection": Collection.get_first_root_node().pk,
        },
    )
    assert response.status_code == 302
    image = Image.objects.get(title="手机照片")
    assert (image.width, image.height) == SIZE
    # The damage check, at an eighth of the size; nothing at full size.
    assert full(decodes) == [], decodes
    assert decodes == [(SIZE[0] // 8, SIZE[1] // 8)], decodes


def test_a_png_upload_is_decoded_once(client, decodes):
    """PNG has no draft mode: the damage check decodes it in full, once."""
    client.force_login(factories.submitter())
    size = (2000, 1500)
    data = photo("PNG", size)
    decodes.clear()
    response = client.post(
        "/admin/images/add/",
        {
            "title": "截图",
            "file": SimpleUploadedFile("screen.png", data, content_type="image/png"),
            "collection": Collection.get_first_root_node().pk,
        },
    )
    assert response.status_code == 302
    assert Image.objects.get(title="截图").width == size[0]
    assert decodes == [size], decodes


def test_nomination_photos_are_not_decoded_in_full(client, owner, page, decodes):
    """R33: up to ten photos in one request, each formerly decoded in full twice after the
    check (the stored image's width and height)."""
    client.force_login(owner)
    data = photo()
    decodes.clear()
    with time_machine.travel(AFTER_END, tick=False):
        response = client.post(
            url(page),
            {
                **post_data(),
                "photos": [
                    SimpleUploadedFile(f"IMG_10{n}.jpg", data, content_type="image/jpeg")
                    for n in range(3)
                ],
                "participants_evidence": SimpleUploadedFile("people.jpg", data, "image/jpeg"),
            },
        )
    assert response.status_code == 302
    nomination = Nomination.objects.get(page=page)
    assert nomination.photos.count() == 3 and nomination.participants_evidence_id
    assert full(decodes) == [], decodes
    assert len(decodes) == 4, decodes
