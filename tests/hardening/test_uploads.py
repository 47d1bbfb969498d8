"""Issue #9 (hardening), R12, R33: hostile files through every upload the product has, over
real HTTP as the people who may upload them.

Wagtail's image forms (add, multiple add, the editor's chooser upload), the document forms
(administrators only) and the nomination's photos, participant photo and videos. Each bad
file is refused with a clear message in Chinese, nothing is written under MEDIA_ROOT and no
Image or Document row is created; what else was typed in the form is kept."""

import datetime
import io
import os
import struct
import zipfile
import zlib
from zoneinfo import ZoneInfo

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image as PILImage
from wagtail.documents.models import Document
from wagtail.images.models import Image

from activities.nomination_models import Nomination, video_problems
from activities.posters import make_poster
from tests import factories
from tests.activities.nominating import post_data

pytestmark = pytest.mark.django_db

BEIJING = ZoneInfo("Asia/Shanghai")
CREATED = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=BEIJING)
START = datetime.datetime(2026, 9, 15, 10, 0, tzinfo=BEIJING)
END = datetime.datetime(2026, 9, 15, 13, 0, tzinfo=BEIJING)
AFTER_END = datetime.datetime(2026, 9, 16, 9, 0, tzinfo=BEIJING)
MB = 1024 * 1024

# The reasons, as the product words them: (source text, values).
MAX_PIXELS = f"{64_000_000:,}"
NOT_AN_IMAGE = ("This file is not an image, or it is damaged.", {})
DAMAGED = ("The image is damaged or incomplete; save it again and upload the new file.", {})
BOMB = ("The image has too many pixels; at most %(max)s are allowed.", {"max": MAX_PIXELS})
LARGE = (
    "The image has too many pixels (%(width)d × %(height)d); at most %(max)s are allowed.",
    {"width": 9000, "height": 9000, "max": MAX_PIXELS},
)
WEB_CODE = (
    "The file also contains web page code, which an image must not; upload a plain image.",
    {},
)
GIF_AS_PNG = (
    "The name ends in .%(extension)s but the file is a %(format)s image; convert it first.",
    {"extension": "png", "format": "GIF"},
)
NOT_ALLOWED = (
    "Only these image formats can be uploaded: %(formats)s.",
    {"formats": "JPG, JPEG, PNG, WEBP, HEIC, HEIF"},
)


def too_big(size):
    # Sizes are formatted in the page's language, so only when the text is wanted.
    return (
        "The file is %(size)s; at most %(max)s can be uploaded.",
        {"size": lambda: filesizeformat(size), "max": lambda: filesizeformat(10 * MB)},
    )


def expected_text(reason):
    """The reason as the page shows it, in the page's language (zh-hans)."""
    source, values = reason
    with translation.override("zh-hans"):
        values = {key: value() if callable(value) else value for key, value in values.items()}
        return gettext(source) % values if values else gettext(source)


# Files ---------------------------------------------------------------------------------


def _poster(fmt="JPEG"):
    return make_poster("全国科普日上传测试", "2026年9月20日", "测试主办单位", fmt=fmt)


def _chunk(kind, data):
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_declaring(width, height):
    """A small PNG whose header declares width × height pixels (a decompression bomb: it
    would need width × height × 3 bytes once decoded)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 4096, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", rows)
        + _chunk(b"IEND", b"")
    )


def png_with_text(text):
    """A valid PNG carrying `text` in a tEXt chunk before its end."""
    data = _poster("PNG")
    end = data.rindex(b"IEND") - 4
    return data[:end] + _chunk(b"tEXt", b"Comment\x00" + text) + data[end:]


def gif():
    buffer = io.BytesIO()
    PILImage.new("RGB", (800, 800), (30, 120, 200)).save(buffer, "GIF")
    return buffer.getvalue()


SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="800" height="800">'
    b"<script>alert(1)</script></svg>"
)
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 50 + b"PE\x00\x00" * 64


def bad_images():
    """(name, bytes, the reason the product must give)."""
    jpeg, png = _poster("JPEG"), _poster("PNG")
    oversized = jpeg + b"\x00" * (10 * MB)
    return [
        ("text.jpg", "这不是图片。\n".encode() * 200, NOT_AN_IMAGE),
        (
            "page.png",
            b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
            NOT_AN_IMAGE,
        ),
        ("program.jpg", PE, NOT_AN_IMAGE),
        ("cut.jpg", jpeg[: len(jpeg) // 2], DAMAGED),
        ("cut.png", png[: len(png) // 2], DAMAGED),
        ("bomb.png", png_declaring(50_000, 50_000), BOMB),
        ("large.png", png_declaring(9_000, 9_000), LARGE),
        ("script.svg", SVG, NOT_ALLOWED),
        ("script.png", SVG, NOT_AN_IMAGE),
        ("oversized.jpg", oversized, too_big(len(oversized))),
        ("polyglot.jpg", jpeg + b"<script>alert(document.cookie)</script>", WEB_CODE),
        ("polyglot.png", png_with_text(b"<html><body onload=alert(1)>"), WEB_CODE),
        ("animation.png", gif(), GIF_AS_PNG),
    ]


BAD_IMAGES = bad_images()
IMAGE_IDS = [name for name, _data, _reason in BAD_IMAGES]


def has_cjk(text):
    return any("\u4e00" <= char <= "\u9fff" for char in text)


# Harness -------------------------------------------------------------------------------


def media_files():
    root = settings.MEDIA_ROOT
    found = set()
    for folder, _dirs, files in os.walk(root):
        for name in files:
            found.add(os.path.relpath(os.path.join(folder, name), root))
    return found


def upload(name, data, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def error_texts(html):
    soup = BeautifulSoup(html, "html.parser")
    return [node.get_text(" ", strip=True) for node in soup.select(".error-message")]


def field_errors(response, field="file"):
    """The form's messages for `field`, one by one, as the page shows them (zh-hans)."""
    with translation.override("zh-hans"):
        return [str(message) for message in response.context["form"].errors.get(field, [])]


def check_refusal(response, reason=None):
    """Every message is in Chinese, the expected one among them, and the page shows them."""
    messages = field_errors(response)
    assert messages, "the refusal must be explained"
    assert all(has_cjk(message) for message in messages), messages
    if reason is not None:
        assert expected_text(reason) in messages, messages
    shown = " ".join(error_texts(response.content.decode()))
    assert all(message in shown for message in messages), shown


# Wagtail's image forms (R12: posters are uploaded here) ------------------------------------


def test_a_good_poster_is_stored(submitter_client, collection):
    """The harness sees a write when there is one: a real poster is accepted."""
    before = media_files()
    response = submitter_client.post(
        "/admin/images/add/",
        {"title": "合格海报", "file": upload("poster.jpg", _poster()), "collection": collection},
    )
    assert response.status_code == 302
    assert Image.objects.filter(title="合格海报").exists()
    assert any(path.startswith("original_images/") for path in media_files() - before)


def test_good_posters_pass_the_multiple_uploader_and_the_chooser(submitter_client, collection):
    answer = submitter_client.post(
        "/admin/images/multiple/add/",
        {"files[]": upload("poster.webp", _poster("WEBP")), "collection": collection},
    ).json()
    assert answer["success"] is True
    answer = submitter_client.post(
        "/admin/images/chooser/create/",
        {
            "image-chooser-upload-title": "编辑器里上传",
            "image-chooser-upload-file": upload("poster.png", _poster("PNG")),
            "image-chooser-upload-collection": collection,
        },
    ).json()
    assert answer["step"] == "chosen"
    assert Image.objects.count() == 2


def test_r27_uploaded_images_are_stored_under_names_nobody_can_guess(submitter_client, collection):
    """Media is public: the first 海报.jpg was stored as original_images/HaiBao.jpg, so a
    draft's poster could be fetched by guessing a common name. Through each way in, the
    stored name is random; the title keeps the name people see."""
    submitter_client.post(
        "/admin/images/add/",
        {"title": "海报", "file": upload("海报.jpg", _poster()), "collection": collection},
    )
    submitter_client.post(
        "/admin/images/multiple/add/",
        {"files[]": upload("poster.webp", _poster("WEBP")), "collection": collection},
    )
    submitter_client.post(
        "/admin/images/chooser/create/",
        {
            "image-chooser-upload-title": "编辑器里上传",
            "image-chooser-upload-file": upload("1.png", _poster("PNG")),
            "image-chooser-upload-collection": collection,
        },
    )
    images = list(Image.objects.order_by("pk"))
    assert [image.title for image in images] == ["海报", "poster.webp", "编辑器里上传"]
    names = [os.path.basename(image.file.name) for image in images]
    for name, extension in zip(names, ("jpg", "webp", "png"), strict=True):
        assert len(name) == 32 + 1 + len(extension) and name.endswith("." + extension), name
    assert not any(("HaiBao" in name or "poster" in name or name == "1.png") for name in names)
    rendition = images[0].get_rendition("max-165x165")
    assert names[0].split(".")[0] in rendition.file.name
    # A file saved again keeps its name.
    images[0].title = "改名的海报"
    images[0].save()
    assert os.path.basename(Image.objects.get(pk=images[0].pk).file.name) == names[0]


@pytest.mark.parametrize(("name", "data", "reason"), BAD_IMAGES, ids=IMAGE_IDS)
def test_image_add_refuses_bad_files_and_keeps_the_title(
    submitter_client, collection, name, data, reason
):
    """Issue #9: /admin/images/add/ refuses, says why in Chinese, writes nothing and keeps
    the title that was typed."""
    before = media_files()
    response = submitter_client.post(
        "/admin/images/add/",
        {
            "title": "活动海报（请保留）",
            "description": "海报说明",
            "file": upload(name, data),
            "collection": collection,
        },
    )
    assert response.status_code == 200
    check_refusal(response, reason)
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.find("input", attrs={"name": "title"})["value"] == "活动海报（请保留）"
    assert not Image.objects.exists()
    assert media_files() == before


@pytest.mark.parametrize(("name", "data", "reason"), BAD_IMAGES, ids=IMAGE_IDS)
def test_multiple_image_upload_refuses_bad_files(submitter_client, collection, name, data, reason):
    """Issue #9: the drag-and-drop uploader (/admin/images/multiple/add/)."""
    before = media_files()
    response = submitter_client.post(
        "/admin/images/multiple/add/", {"files[]": upload(name, data), "collection": collection}
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["success"] is False
    messages = answer["error_message"].split("\n")
    assert expected_text(reason) in messages and all(map(has_cjk, messages)), messages
    assert not Image.objects.exists()
    assert media_files() == before


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [case for case in BAD_IMAGES if case[0] in {"cut.jpg", "bomb.png", "polyglot.jpg"}],
    ids=["cut.jpg", "bomb.png", "polyglot.jpg"],
)
def test_editor_chooser_upload_refuses_bad_files(submitter_client, collection, name, data, reason):
    """Issue #9: the upload tab of the image chooser the activity editor opens."""
    before = media_files()
    response = submitter_client.post(
        "/admin/images/chooser/create/",
        {
            "image-chooser-upload-title": "编辑器里上传",
            "image-chooser-upload-file": upload(name, data),
            "image-chooser-upload-collection": collection,
        },
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer.get("step") != "chosen"
    errors = error_texts(answer["htmlFragment"] if "htmlFragment" in answer else answer["html"])
    assert any(expected_text(reason) in message for message in errors), errors
    assert not Image.objects.exists()
    assert media_files() == before


# Documents (administrators only) ----------------------------------------------------------


def docx():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_submitters_cannot_upload_documents(submitter_client, collection):
    """R2: submitters hold no document permission; the form refuses them and stores nothing."""
    before = media_files()
    response = submitter_client.post(
        "/admin/documents/add/",
        {"title": "文件", "file": upload("a.pdf", b"%PDF-1.7\n%%EOF"), "collection": collection},
    )
    assert response.status_code in {302, 403}
    assert not Document.objects.exists()
    assert media_files() == before


BAD_DOCUMENTS = [
    ("program.pdf", PE),
    ("page.pdf", b"<html><script>alert(1)</script></html>"),
    ("fake.docx", b"PK\x03\x04 not really an archive"),
    ("archive.xlsx", b"PK" + b"\x00" * 100),
    ("binary.txt", b"\x00\x01\x02MZ" * 100),
    ("oversized.pdf", b"%PDF-1.7\n" + b"0" * (20 * MB)),
]


@pytest.mark.parametrize(("name", "data"), BAD_DOCUMENTS, ids=[n for n, _d in BAD_DOCUMENTS])
def test_document_add_refuses_content_that_is_not_its_type(admin_client, collection, name, data):
    """Issue #9: a document's content must match its extension and stay under 20 MB."""
    before = media_files()
    response = admin_client.post(
        "/admin/documents/add/",
        {"title": "活动方案（请保留）", "file": upload(name, data), "collection": collection},
    )
    assert response.status_code == 200
    check_refusal(response)
    assert len(field_errors(response)) == 1, "one reason, not a second one about the name"
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.find("input", attrs={"name": "title"})["value"] == "活动方案（请保留）"
    assert not Document.objects.exists()
    assert media_files() == before


@pytest.mark.parametrize(
    ("name", "data"),
    [("plan.pdf", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF"), ("plan.docx", docx())]
    + [("名单.csv", "姓名,单位\n张三,广州市科协\n".encode("gb18030"))],
    ids=["pdf", "docx", "gb18030-csv"],
)
def test_document_add_accepts_real_documents(admin_client, collection, name, data):
    response = admin_client.post(
        "/admin/documents/add/",
        {"title": name, "file": upload(name, data), "collection": collection},
    )
    assert response.status_code == 302
    assert Document.objects.filter(title=name).exists()


def test_multiple_document_upload_refuses_a_disguised_program(admin_client, collection):
    before = media_files()
    response = admin_client.post(
        "/admin/documents/multiple/add/",
        {"files[]": upload("setup.pdf", PE), "collection": collection},
    )
    answer = response.json()
    assert answer["success"] is False
    assert all(map(has_cjk, answer["error_message"].split("\n"))), answer
    assert not Document.objects.exists()
    assert media_files() == before


# Nomination photos and videos (R33) -------------------------------------------------------


@pytest.fixture
def nomination_page():
    owner = factories.submitter()
    with time_machine.travel(CREATED, tick=False):
        page = factories.activity(owner=owner, publish=True, start_at=START, end_at=END)
    return owner, page


def page_texts(html):
    soup = BeautifulSoup(html, "html.parser")
    return soup, soup.get_text(" ", strip=True)


@pytest.mark.parametrize(("name", "data", "reason"), BAD_IMAGES, ids=IMAGE_IDS)
def test_nomination_refuses_bad_photos_and_keeps_what_was_typed(
    client, nomination_page, name, data, reason
):
    """Issue #9, R33: a bad photo or participant photo is refused with its name and the
    reason; the summary typed alongside stays in the form."""
    owner, page = nomination_page
    client.force_login(owner)
    before = media_files()
    images_before = Image.objects.count()
    with time_machine.travel(AFTER_END, tick=False):
        response = client.post(
            f"/admin/nominations/{page.pk}/",
            {
                # Too few participants as well: the form itself is invalid and re-rendered.
                **post_data(participants="10", lessons="经验教训写在这里，" * 3),
                "photos": [upload(name, data)],
                "participants_evidence": upload(f"现场-{name}", data),
            },
        )
    assert response.status_code == 200
    soup, text = page_texts(response.content.decode())
    reason_text = expected_text(reason)
    assert f"{name}: " in text and f"现场-{name}: " in text
    assert text.count(reason_text) >= 2, reason_text
    assert Image.objects.count() == images_before
    assert media_files() == before
    assert soup.find("input", attrs={"name": "participants"})["value"] == "10"
    assert soup.find("textarea", attrs={"name": "lessons"}).get_text().strip() == (
        "经验教训写在这里，" * 3
    )
    assert (
        soup.find("input", attrs={"name": "reports-0-title"})["value"] == "机器人科普体验日走进校园"
    )
    nomination = Nomination.objects.get(page=page)
    assert nomination.photos.count() == 0 and nomination.participants_evidence_id is None


BAD_VIDEOS = [
    ("poster.mp4", _poster()),
    ("page.mp4", b"<html><script>alert(1)</script></html>"),
    ("program.mp4", PE),
    ("script.svg", SVG),
    ("clip.exe", PE),
]


@pytest.mark.parametrize(("name", "data"), BAD_VIDEOS, ids=[n for n, _d in BAD_VIDEOS])
def test_nomination_refuses_files_that_are_not_videos(client, nomination_page, name, data):
    owner, page = nomination_page
    client.force_login(owner)
    before = media_files()
    with time_machine.travel(AFTER_END, tick=False):
        response = client.post(
            f"/admin/nominations/{page.pk}/",
            {**post_data(), "videos": [upload(name, data)]},
        )
    assert response.status_code == 200
    soup, text = page_texts(response.content.decode())
    messages = text.split(f"{name}: ")[1:]
    assert messages and has_cjk(messages[0][:40]), text[:500]
    assert Nomination.objects.get(page=page).videos.count() == 0
    assert not any(path.startswith("nomination_videos/") for path in media_files() - before)
    assert soup.find("input", attrs={"name": "reports-0-url"})["value"] == (
        "https://example.com/news/1"
    )


def test_video_size_limit_is_checked_before_the_file_is_read():
    """R33: a video over 200 MB is refused from its declared size alone (the file here is
    empty: its content is never opened)."""
    oversized = TemporaryUploadedFile("long.mp4", "video/mp4", 201 * MB, None)
    try:
        problems, seconds = video_problems(oversized)
    finally:
        oversized.close()
    assert seconds is None
    with translation.override("zh-hans"):
        message = str(problems[0])
    assert "201.0" in message and has_cjk(message)


def test_a_good_photo_is_stored(client, nomination_page):
    """The nomination harness sees writes: three real photos are kept."""
    owner, page = nomination_page
    client.force_login(owner)
    before = media_files()
    with time_machine.travel(AFTER_END, tick=False):
        client.post(
            f"/admin/nominations/{page.pk}/",
            {
                **post_data(),
                "photos": [upload(f"p{number}.jpg", _poster()) for number in range(3)],
                "participants_evidence": upload("people.png", _poster("PNG")),
            },
        )
    nomination = Nomination.objects.get(page=page)
    assert nomination.photos.count() == 3 and nomination.participants_evidence_id
    assert len([p for p in media_files() - before if p.startswith("original_images/")]) == 4
