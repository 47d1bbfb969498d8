"""Phone photos in HEIC/HEIF, what iPhones take by default (activities/uploads.py).

They were refused ("only JPG, JPEG, PNG, WEBP"), and HEIC is a format no browser but Safari
shows. Now a HEIC or HEIF photo passes the same checks as every other image (pixels counted
before decoding, damaged files, web page code) and is stored as an upright JPEG: through the
admin's image forms (posters), the nomination photos (R33) and for the moderator who looks at
them. The HEIC files are made here with pillow_heif."""

import functools
import io
import os
import re

import pillow_heif
import pytest
import time_machine
from bs4 import BeautifulSoup
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image as PILImage
from wagtail.images.models import Image

from activities.models import poster_problems
from activities.nomination_models import Nomination

from .nominating import AFTER_END, post_data, url

pytestmark = pytest.mark.django_db

pillow_heif.register_heif_opener()

RED = (220, 30, 30)
BLUE = (30, 30, 220)
ORIENTATION = 0x0112
# EXIF orientation 6: the camera was held upright; the picture is shown turned 90° clockwise.
TURNED = 6


@functools.cache
def heic(size=(1200, 800), orientation=None, quality=70):
    """A HEIC photo: red left half, blue right half, as its sensor recorded it. With an
    orientation, pillow_heif stores it as the HEIF transform iPhones write (irot)."""
    picture = PILImage.new("RGB", size, RED)
    picture.paste(BLUE, (size[0] // 2, 0, *size))
    if orientation is None:
        buffer = io.BytesIO()
        pillow_heif.from_pillow(picture).save(buffer, quality=quality)
        return buffer.getvalue()
    exif = PILImage.Exif()
    exif[ORIENTATION] = orientation
    buffer = io.BytesIO()
    picture.save(buffer, "HEIF", quality=quality, exif=exif.tobytes())
    return buffer.getvalue()


def upload(name, data):
    return SimpleUploadedFile(name, data, content_type="image/heic")


def opened(image):
    with image.file.open("rb") as stored:
        picture = PILImage.open(io.BytesIO(stored.read()))
        picture.load()
    return picture


def close(color, expected, tolerance=40):
    return all(abs(a - b) <= tolerance for a, b in zip(color, expected, strict=True))


def assert_upright_jpeg(image, size=(800, 1200)):
    """Stored as a JPEG under a .jpg name, turned as the phone showed it: red above blue."""
    assert image.file.name.endswith(".jpg"), image.file.name
    picture = opened(image)
    assert picture.format == "JPEG"
    assert picture.size == size == (image.width, image.height)
    assert picture.getexif().get(ORIENTATION, 1) == 1
    width, height = size
    if width < height:
        assert close(picture.getpixel((width // 2, height // 4)), RED)
        assert close(picture.getpixel((width // 2, 3 * height // 4)), BLUE)


def reason_text(source, **values):
    """The reason as the page shows it (zh-hans); callables give values in that language."""
    with translation.override("zh-hans"):
        values = {key: value() if callable(value) else value for key, value in values.items()}
        return gettext(source) % values if values else gettext(source)


def add_image(client, collection, name, data, title="活动海报"):
    return client.post(
        "/admin/images/add/",
        {"title": title, "file": upload(name, data), "collection": collection},
    )


def field_errors(response):
    with translation.override("zh-hans"):
        return [str(message) for message in response.context["form"].errors.get("file", [])]


def original_files():
    root = default_storage.location
    found = set()
    for folder, _dirs, files in os.walk(root):
        found.update(os.path.join(folder, name) for name in files)
    return {path for path in found if "original_images" in path}


# The admin's image forms (posters, R12) -----------------------------------------------------


def test_an_iphone_heic_photo_is_stored_as_an_upright_jpeg(submitter_client, collection):
    response = add_image(submitter_client, collection, "IMG_0001.HEIC", heic(orientation=TURNED))
    assert response.status_code == 302, field_errors(response)
    image = Image.objects.get(title="活动海报")
    assert_upright_jpeg(image)
    # A poster must be JPEG, PNG or WebP (R12): the converted photo is one.
    assert poster_problems(image) == []


def test_the_upload_pages_offer_heic_files():
    """Browsers' file dialogs filter by the accept attribute; Wagtail adds image/heic when
    HEIC is allowed, and the drag-and-drop uploader filters by the allowed extensions."""
    from wagtail.images.utils import get_accept_attributes, get_allowed_image_extensions

    assert {"heic", "heif"} <= set(get_allowed_image_extensions())
    assert "image/heic" in get_accept_attributes()


def test_the_multiple_uploader_and_the_chooser_accept_heic_and_heif(submitter_client, collection):
    answer = submitter_client.post(
        "/admin/images/multiple/add/",
        {"files[]": upload("IMG_0002.heif", heic(orientation=TURNED)), "collection": collection},
    ).json()
    assert answer["success"] is True, answer
    answer = submitter_client.post(
        "/admin/images/chooser/create/",
        {
            "image-chooser-upload-title": "编辑器里上传",
            "image-chooser-upload-file": upload("IMG_0003.HEIC", heic()),
            "image-chooser-upload-collection": collection,
        },
    ).json()
    assert answer["step"] == "chosen", answer
    first, second = Image.objects.order_by("pk")
    assert first.title == "IMG_0002.heif"
    assert_upright_jpeg(first)
    assert_upright_jpeg(second, size=(1200, 800))


# Nomination photos (R33), as the national moderator sees them -------------------------------


def test_heic_nomination_photos_are_shown_to_the_national_moderator(client, owner, page, national):
    client.force_login(owner)
    with time_machine.travel(AFTER_END, tick=False):
        response = client.post(
            url(page),
            {
                **post_data(),
                "photos": [upload(f"IMG_00{n}.HEIC", heic(orientation=TURNED)) for n in range(3)],
                "participants_evidence": upload("现场.heic", heic()),
            },
        )
    assert response.status_code == 302, BeautifulSoup(response.content, "html.parser").get_text(
        " ", strip=True
    )[:800]
    nomination = Nomination.objects.get(page=page)
    assert nomination.is_complete
    photos = [photo.image for photo in nomination.photos.all()]
    assert len(photos) == 3
    for image in photos:
        assert_upright_jpeg(image)
    assert_upright_jpeg(nomination.participants_evidence, size=(1200, 800))

    client.force_login(national)
    with time_machine.travel(AFTER_END, tick=False):
        review = client.get(f"{url(page)}review/")
    assert review.status_code == 200
    sources = [
        img["src"] for img in BeautifulSoup(review.content, "html.parser").select("main img[src]")
    ]
    sources = [src for src in sources if "/images/" in src]
    assert len(sources) == 4, sources
    for src in sources:
        assert not re.search(r"\.hei[cf]\b", src, re.IGNORECASE), src
        with default_storage.open(src.split("/media/", 1)[1], "rb") as served:
            picture = PILImage.open(io.BytesIO(served.read()))
        assert picture.format in {"JPEG", "PNG", "WEBP"}, src


# The checks hold for HEIC too ------------------------------------------------------------


NOT_AN_IMAGE = "This file is not an image, or it is damaged."
DAMAGED = "The image is damaged or incomplete; save it again and upload the new file."


def test_a_damaged_heic_is_refused_and_nothing_is_stored(submitter_client, collection):
    data = heic()
    before = original_files()
    response = add_image(submitter_client, collection, "IMG_0004.HEIC", data[: len(data) // 2])
    assert response.status_code == 200
    messages = field_errors(response)
    assert {reason_text(NOT_AN_IMAGE), reason_text(DAMAGED)} & set(messages), messages
    assert not Image.objects.exists()
    assert original_files() == before


def test_a_heic_carrying_web_page_code_is_refused(submitter_client, collection):
    data = heic() + b"<script>alert(document.cookie)</script>"
    response = add_image(submitter_client, collection, "IMG_0005.HEIC", data)
    assert response.status_code == 200
    assert field_errors(response) == [
        reason_text(
            "The file also contains web page code, which an image must not; upload a plain image."
        )
    ]
    assert not Image.objects.exists()


def test_a_heic_over_the_pixel_limit_is_refused_before_it_is_decoded(
    submitter_client, collection, settings
):
    settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS = 500_000
    response = add_image(submitter_client, collection, "IMG_0006.HEIC", heic())
    assert field_errors(response) == [
        reason_text(
            "The image has too many pixels (%(width)d × %(height)d); at most %(max)s are allowed.",
            width=1200,
            height=800,
            max="500,000",
        )
    ]
    assert not Image.objects.exists()


CROPPED_BOMB = os.path.join(os.path.dirname(__file__), "data", "clap-16-of-11900.heic")


def test_a_heic_cropped_to_a_few_pixels_is_counted_at_its_decoded_size(
    submitter_client, collection
):
    """A 32 KB HEIC coding 11,900 × 11,900 pixels (141.6 million, 2.2 times the limit) with
    a crop (clap) box to 16 × 16: it states 16 × 16, and libheif decodes it all before
    cropping (about 500 MB). Found by an attacker audit; stored before as a 16 × 16 JPEG."""
    with open(CROPPED_BOMB, "rb") as file:
        data = file.read()
    response = add_image(submitter_client, collection, "p0.heic", data)
    assert field_errors(response) == [
        reason_text(
            "The image has too many pixels (%(width)d × %(height)d); at most %(max)s are allowed.",
            width=11900,
            height=11900,
            max="64,000,000",
        )
    ]
    assert not Image.objects.exists()


def test_a_heic_whose_jpeg_would_exceed_the_size_limit_is_refused(
    submitter_client, collection, settings
):
    """HEIC compresses about twice as well as JPEG: a photo under the limit can make a JPEG
    over it, even at the lowest quality tried. It is refused with the reason, not stored
    over the limit."""
    data = heic()
    settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = len(data) + 100
    response = add_image(submitter_client, collection, "IMG_0007.HEIC", data)
    assert response.status_code == 200
    assert field_errors(response) == [
        reason_text(
            "Converted to JPEG so that browsers can show it, this photo would be larger than "
            "%(max)s; save it as a JPEG of at most %(max)s and upload that.",
            max=lambda: filesizeformat(len(data) + 100),
        )
    ]
    assert not Image.objects.exists()
