"""Uploaded photos lose where they were taken (PIPL audit, high; R12 posters, R33 nomination
photos and participant evidence).

A phone JPEG carries its GPS position, the camera and often its owner's name in EXIF and XMP;
the original is public (/media/original_images/<name>) and Willow copied the EXIF into the
JPEG renditions. activities/uploads.py now cuts EXIF, XMP, comments and whatever follows the
picture out of every JPEG, PNG and WebP it checks, without re-encoding the picture; one that
its orientation turns is turned upright first. manage.py strip_image_metadata does the same
to what was stored before."""

import io
import os

import pytest
import time_machine
from django.core.files.images import ImageFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image as PILImage
from PIL import ImageChops
from PIL import ImageFile as PILImageFile
from wagtail.images.models import Image

from activities.nomination_models import Nomination
from activities.uploads import image_problems

from .nominating import AFTER_END, post_data, url
from .test_upload_speed import SIZE, photo

pytestmark = pytest.mark.django_db

MAKE, MODEL, ORIENTATION, GPS_IFD = 0x010F, 0x0110, 0x0112, 0x8825
RED = (220, 30, 30)
NOMINATION_SIZE = (900, 600)
BLUE = (30, 30, 220)
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
    b'22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="39,54.45N"/></rdf:RDF></x:xmpmeta>'
)


def exif(orientation=None):
    tags = PILImage.Exif()
    tags[MAKE] = "Apple"
    tags[MODEL] = "iPhone 15 Pro"
    if orientation:
        tags[ORIENTATION] = orientation
    gps = tags.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 50.0)})
    return tags.tobytes()


def halves(size=(600, 400)):
    """Red left half, blue right half, as the sensor recorded it."""
    picture = PILImage.new("RGB", size, RED)
    picture.paste(BLUE, (size[0] // 2, 0, *size))
    return picture


def phone_jpeg(picture=None, orientation=None, trailer=b""):
    """A JPEG as phones write it: EXIF with GPS and the camera, XMP, a comment; `trailer` is
    what some append after the picture (a motion photo's video)."""
    buffer = io.BytesIO()
    (picture or halves()).save(
        buffer, "JPEG", quality=90, exif=exif(orientation), xmp=XMP, comment=b"Shot on iPhone"
    )
    return buffer.getvalue() + trailer


def assert_no_metadata(data):
    picture = PILImage.open(io.BytesIO(data))
    tags = picture.getexif()
    assert GPS_IFD not in tags and not tags.get_ifd(GPS_IFD), dict(tags)
    assert MAKE not in tags and MODEL not in tags, dict(tags)
    assert "exif" not in picture.info and "xmp" not in picture.info, picture.info.keys()
    assert b"GPS" not in data and b"iPhone" not in data and b"Apple" not in data
    return picture


def stored(image):
    with image.file.open("rb") as file:
        return file.read()


def add_image(client, collection, name, data, content_type="image/jpeg", title="活动海报"):
    response = client.post(
        "/admin/images/add/",
        {
            "title": title,
            "file": SimpleUploadedFile(name, data, content_type=content_type),
            "collection": collection,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    return Image.objects.get(title=title)


# Uploads -------------------------------------------------------------------------------------


def test_a_poster_keeps_no_gps_or_camera_in_its_original_or_renditions(
    submitter_client, collection
):
    data = phone_jpeg()
    assert PILImage.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the test's premise
    image = add_image(submitter_client, collection, "IMG_2001.jpg", data)
    kept = stored(image)
    picture = assert_no_metadata(kept)
    # The picture itself is not re-encoded: the same pixels, the same scan bytes.
    assert kept.endswith(data[data.index(b"\xff\xda") :])
    assert ImageChops.difference(picture, PILImage.open(io.BytesIO(data))).getbbox() is None
    assert image.file_size == len(kept)
    for spec in ("width-300", "fill-200x200|format-jpeg", "max-400x400|format-png"):
        rendition = image.get_rendition(spec)
        with rendition.file.open("rb") as file:
            assert_no_metadata(file.read())


def test_the_editors_chooser_upload_keeps_no_gps(submitter_client, collection):
    answer = submitter_client.post(
        "/admin/images/chooser/create/",
        {
            "image-chooser-upload-title": "编辑器里上传",
            "image-chooser-upload-file": SimpleUploadedFile(
                "IMG_2002.jpeg", phone_jpeg(), content_type="image/jpeg"
            ),
            "image-chooser-upload-collection": collection,
        },
    ).json()
    assert answer["step"] == "chosen", answer
    assert_no_metadata(stored(Image.objects.get(title="编辑器里上传")))


def test_nomination_photos_and_evidence_keep_no_gps(client, owner, page):
    # A nomination photo's short side is at least 600 pixels (R33).
    client.force_login(owner)
    with time_machine.travel(AFTER_END, tick=False):
        response = client.post(
            url(page),
            {
                **post_data(),
                "photos": [
                    SimpleUploadedFile(
                        f"IMG_30{n}.jpg", phone_jpeg(halves(NOMINATION_SIZE)), "image/jpeg"
                    )
                    for n in range(3)
                ],
                "participants_evidence": SimpleUploadedFile(
                    "现场.jpg", phone_jpeg(halves(NOMINATION_SIZE)), "image/jpeg"
                ),
            },
        )
    assert response.status_code == 302
    nomination = Nomination.objects.get(page=page)
    images = [photo.image for photo in nomination.photos.all()]
    images.append(nomination.participants_evidence)
    assert len(images) == 4
    for image in images:
        assert_no_metadata(stored(image))
        with image.get_rendition("max-800x800").file.open("rb") as file:
            assert_no_metadata(file.read())


def test_a_turned_photo_is_stored_upright_without_an_orientation(submitter_client, collection):
    """EXIF orientation 6: shown turned 90° clockwise. Without the tag the picture must be
    turned itself, or it would show on its side."""
    image = add_image(submitter_client, collection, "IMG_2003.jpg", phone_jpeg(orientation=6))
    picture = assert_no_metadata(stored(image))
    assert picture.getexif().get(ORIENTATION, 1) == 1
    assert picture.size == (400, 600) == (image.width, image.height)
    rgb = picture.convert("RGB")
    assert all(abs(a - b) < 40 for a, b in zip(rgb.getpixel((200, 150)), RED, strict=True))
    assert all(abs(a - b) < 40 for a, b in zip(rgb.getpixel((200, 450)), BLUE, strict=True))


def test_a_png_loses_its_exif_and_text_chunks(submitter_client, collection):
    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_itxt("XML:com.adobe.xmp", XMP.decode())
    text.add_text("Author", "Apple iPhone")
    buffer = io.BytesIO()
    halves().save(buffer, "PNG", exif=exif(), pnginfo=text)
    data = buffer.getvalue()
    assert b"eXIf" in data
    image = add_image(submitter_client, collection, "截图.png", data, "image/png", "截图")
    kept = stored(image)
    for chunk in (b"eXIf", b"iTXt", b"tEXt", b"zTXt"):
        assert chunk not in kept, chunk
    picture = assert_no_metadata(kept)
    assert picture.format == "PNG"
    assert ImageChops.difference(picture, halves()).getbbox() is None


def test_a_webp_loses_its_exif_and_xmp(submitter_client, collection):
    buffer = io.BytesIO()
    halves().save(buffer, "WEBP", quality=80, exif=exif(), xmp=XMP)
    data = buffer.getvalue()
    image = add_image(submitter_client, collection, "poster.webp", data, "image/webp", "WebP")
    kept = stored(image)
    assert b"EXIF" not in kept and b"XMP " not in kept
    picture = assert_no_metadata(kept)
    picture.load()
    assert picture.size == (600, 400)
    # The picture's own chunk is the uploaded one, byte for byte.
    assert kept[kept.index(b"VP8 ") :] in data


def test_what_follows_the_picture_is_not_stored():
    """Phones append a motion photo's video (with its own GPS) after the JPEG's end."""
    video = b"\x00\x00\x00\x18ftypmp42" + b"GPS 39.9075N 116.3972E" * 10
    upload = SimpleUploadedFile("MVIMG_1.jpg", phone_jpeg(trailer=video), "image/jpeg")
    assert image_problems(upload) == []
    kept = upload.read()
    assert kept.endswith(b"\xff\xd9") and video not in kept
    assert_no_metadata(kept)


def test_an_icc_profile_is_kept():
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    halves().save(buffer, "JPEG", exif=exif(6), icc_profile=profile)
    for data in (buffer.getvalue(), phone_jpeg()[:2] + buffer.getvalue()[2:]):
        upload = SimpleUploadedFile("IMG.jpg", data, "image/jpeg")
        assert image_problems(upload) == []
        picture = assert_no_metadata(upload.read())
        assert picture.info.get("icc_profile") == profile


@pytest.fixture
def decodes(monkeypatch):
    """The size of every picture Pillow decodes, as decoded (test_upload_speed)."""
    seen = []
    load = PILImageFile.ImageFile.load

    def counting_load(self):
        if self.tile:
            seen.append(self.size)
        return load(self)

    monkeypatch.setattr(PILImageFile.ImageFile, "load", counting_load)
    return seen


def test_a_turned_12_megapixel_photo_is_decoded_once(submitter_client, collection, decodes):
    """The damage check decodes a photo to be turned in full instead of at an eighth: still
    one decode (an upright one stays at the eighth: test_upload_speed)."""
    picture = PILImage.open(io.BytesIO(photo()))
    data = phone_jpeg(picture, orientation=6)
    decodes.clear()
    image = add_image(submitter_client, collection, "IMG_4000.jpg", data)
    assert (image.width, image.height) == (SIZE[1], SIZE[0])
    assert decodes == [SIZE], decodes
    assert_no_metadata(stored(image))


# Images stored before: manage.py strip_image_metadata ----------------------------------------


def stored_as_uploaded(owner, data, name="IMG_5000.jpg"):
    """An image saved as the upload path stored it before the fix: with its metadata."""
    image = Image(title=name, uploaded_by_user=owner, file=ImageFile(io.BytesIO(data), name=name))
    image._set_image_file_metadata()
    image.save()
    return image


def test_the_command_strips_stored_originals_and_drops_their_renditions(
    owner, django_capture_on_commit_callbacks
):
    data = phone_jpeg(orientation=6)
    image = stored_as_uploaded(owner, data)
    name = image.file.name
    rendition = image.get_rendition("width-100")
    rendition_path = default_storage.path(rendition.file.name)
    assert PILImage.open(io.BytesIO(stored(image))).getexif().get_ifd(GPS_IFD)

    out = io.StringIO()
    call_command("strip_image_metadata", "--dry-run", stdout=out)
    assert "1" in out.getvalue()
    assert stored(image) == data and image.renditions.count() == 1

    with django_capture_on_commit_callbacks(execute=True):  # Wagtail deletes files then
        call_command("strip_image_metadata", stdout=io.StringIO())
    image.refresh_from_db()
    assert image.file.name == name
    picture = assert_no_metadata(stored(image))
    assert picture.size == (400, 600) == (image.width, image.height)
    assert image.file_size == len(stored(image))
    assert image.renditions.count() == 0
    assert not os.path.exists(rendition_path)
    with image.get_rendition("width-100").file.open("rb") as file:
        assert_no_metadata(file.read())

    # Idempotent: nothing left to strip, nothing rewritten or dropped.
    before = stored(image)
    out = io.StringIO()
    call_command("strip_image_metadata", stdout=out)
    assert stored(image) == before and image.renditions.count() == 1
    assert "0" in out.getvalue()


def test_the_command_strips_stored_avatars(owner):
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(owner)
    profile.avatar.save("face.jpg", ImageFile(io.BytesIO(phone_jpeg()), name="face.jpg"))
    call_command("strip_image_metadata", stdout=io.StringIO())
    profile.refresh_from_db()
    with profile.avatar.open("rb") as file:
        assert_no_metadata(file.read())


def test_an_avatar_upload_keeps_no_gps(client, owner):
    """The account page's profile picture (Wagtail stores one of at most 400 pixels as it
    came) is public too: /media/avatar_images/..."""
    from wagtail.users.models import UserProfile

    from tests.html_forms import posted_values

    client.force_login(owner)
    form = posted_values(client.get("/admin/account/").content.decode(), "")
    avatar = SimpleUploadedFile("me.jpg", phone_jpeg(halves((300, 200))), "image/jpeg")
    response = client.post("/admin/account/", {**form, "avatar-avatar": avatar})
    assert response.status_code == 302
    profile = UserProfile.get_for_user(owner)
    assert profile.avatar
    with profile.avatar.open("rb") as file:
        assert_no_metadata(file.read())


# Found by the attacker audit ------------------------------------------------------------------


def tables_renumbered(data, by=2):
    """The JPEG with its quantization tables' ids moved up by `by` (2 and 3 instead of 0 and
    1), in the tables and in the frame's components: valid, decoded by any reader."""
    data = bytearray(data)
    position = 2
    while position < len(data):
        marker = data[position + 1]
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        if marker == 0xDB:
            table = position + 4
            while table < position + 2 + length:
                precision = data[table] >> 4
                data[table] += by
                table += 1 + 64 * (2 if precision else 1)
        elif marker == 0xC0:
            for component in range(data[position + 9]):
                data[position + 10 + 3 * component + 2] += by
        elif marker == 0xDA:
            break
        position += 2 + length
    return bytes(data)


def test_a_turned_jpeg_with_tables_2_and_3_is_stored_upright(submitter_client, collection):
    """Pillow saves tables numbered from 0 only: quality="keep" and the turned copy's own
    tables raised a ValueError, a 500 any submitter could cause."""
    data = tables_renumbered(phone_jpeg(orientation=6))
    PILImage.open(io.BytesIO(data)).load()  # a valid JPEG
    image = add_image(submitter_client, collection, "IMG_2023.jpg", data)
    picture = assert_no_metadata(stored(image))
    assert picture.size == (400, 600)


@pytest.mark.parametrize("kind", ["jpeg", "png"])
def test_a_file_of_endless_empty_blocks_is_refused_at_once(kind):
    """10 MB of empty JPEG comments before the picture, or of empty PNG chunks: Pillow read
    each in Python, 5-6 s of a worker per upload. The walk stops at MAX_BLOCKS."""
    import time

    from activities.uploads import DAMAGED_MESSAGE

    buffer = io.BytesIO()
    small = PILImage.new("RGB", (64, 64), RED)
    if kind == "jpeg":
        small.save(buffer, "JPEG")
        data = buffer.getvalue()
        scan = data.index(b"\xff\xda")
        data = data[:scan] + b"\xff\xfe\x00\x02" * 2_000_000 + data[scan:]
    else:
        small.save(buffer, "PNG")
        data = buffer.getvalue()
        end = data.rindex(b"IEND") - 4
        empty = b"\x00\x00\x00\x00zzZz" + (0x5A5A7A7A).to_bytes(4, "big")
        data = data[:end] + empty * 700_000 + data[end:]
    started = time.perf_counter()
    problems = image_problems(
        SimpleUploadedFile(f"blocks.{'jpg' if kind == 'jpeg' else kind}", data)
    )
    assert [str(problem) for problem in problems] == [str(DAMAGED_MESSAGE)]
    assert time.perf_counter() - started < 0.5


def test_a_picture_that_grows_past_the_limit_when_turned_is_refused():
    """A lossy WebP turned upright is encoded again and may grow (165 KB became 364 KB):
    never stored beyond the upload limit."""
    buffer = io.BytesIO()
    noise = PILImage.effect_noise((600, 400), 80).convert("RGB")
    noise.save(buffer, "WEBP", quality=5, exif=exif(6))
    data = buffer.getvalue()
    problems = image_problems(SimpleUploadedFile("turned.webp", data), max_bytes=len(data) + 1)
    assert problems and "转正后图片大小为" in str(problems[0])
