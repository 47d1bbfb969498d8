"""The account page's profile picture (R1, R34): a file that was not an image (renamed
fake.jpg), saved together with a changed real name, answered 200 with neither an error nor a
success message, and nothing was saved: Wagtail's avatar panel never shows its field's errors,
so the person saw the page again and believed the name was changed. Now the page says what
failed, shows the name as typed, and the picture passes the same checks as every other upload
(activities/uploads.py: format, size, pixels counted before decoding, no web page code)."""

import io

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from wagtail.users.models import UserProfile

from tests import factories
from tests.html_forms import posted_values

pytestmark = pytest.mark.django_db

ACCOUNT = "/admin/account/"


def png(size=(120, 120)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def person(client):
    user = factories.submitter(real_name="张三")
    client.force_login(user)
    return user


def account_form(client):
    """The account form's fields as the page shows them (file inputs left out)."""
    # Wagtail's account form posts to its own address: no action attribute.
    return posted_values(client.get(ACCOUNT).content.decode(), "")


def save(client, avatar, real_name="张三丰"):
    data = {**account_form(client), "name_email-real_name": real_name, "avatar-avatar": avatar}
    return client.post(ACCOUNT, data)


def shown(response):
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    messages = " ".join(m.get_text(" ", strip=True) for m in soup.select(".messages li"))
    errors = " ".join(e.get_text(" ", strip=True) for e in soup.select(".error-message"))
    name = soup.select_one("input[name=name_email-real_name]")
    return {
        "messages": messages,
        "errors": errors,
        "name": name["value"] if name else None,
    }


def test_a_file_that_is_not_an_image_is_refused_with_a_message_r1(client, person):
    fake = SimpleUploadedFile("fake.jpg", b"%PDF-1.4 not a picture at all", "image/jpeg")
    response = save(client, fake)
    assert response.status_code == 200
    page = shown(response)
    # The message names the section (Wagtail's heading, "资料图片") and the reason.
    assert "资料图片" in page["messages"]
    assert "不是图片" in page["messages"]
    assert "不是图片" in page["errors"]  # beside the file input too
    # What was typed is still there; nothing was saved behind the person's back.
    assert page["name"] == "张三丰"
    person.refresh_from_db()
    assert person.real_name == "张三"
    assert not UserProfile.get_for_user(person).avatar


def test_the_avatar_keeps_the_upload_size_limit_of_posters_r12(client, person, settings):
    settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = 200
    response = save(client, SimpleUploadedFile("me.png", png(), "image/png"))
    page = shown(response)
    assert response.status_code == 200
    assert "资料图片" in page["messages"]
    assert page["name"] == "张三丰"
    assert not UserProfile.get_for_user(person).avatar


def test_the_avatar_keeps_the_pixel_limit_of_posters_r12(client, person, settings):
    settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS = 100 * 100
    response = save(client, SimpleUploadedFile("me.png", png((120, 120)), "image/png"))
    page = shown(response)
    assert response.status_code == 200
    assert "像素" in page["messages"]
    assert not UserProfile.get_for_user(person).avatar


def test_a_picture_carrying_web_page_code_is_refused(client, person):
    data = png() + b"<script>alert(1)</script>"
    response = save(client, SimpleUploadedFile("me.png", data, "image/png"))
    assert response.status_code == 200
    assert "资料图片" in shown(response)["messages"]
    assert not UserProfile.get_for_user(person).avatar


def test_a_real_picture_and_the_name_are_saved(client, person):
    response = save(client, SimpleUploadedFile("me.png", png(), "image/png"))
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.real_name == "张三丰"
    assert UserProfile.get_for_user(person).avatar


def test_an_error_elsewhere_names_its_section_in_english_r34(client, person):
    """Any section's refusal is named, not only the picture's, in the admin's language."""
    profile = UserProfile.get_for_user(person)
    profile.preferred_language = "en"
    profile.save()
    data = {
        **account_form(client),
        "password-old_password": "test-pass-2026-x",
        "password-new_password1": "Fresh-Passw0rd-2026x",
        "password-new_password2": "Other-Passw0rd-2026x",
    }
    response = client.post(ACCOUNT, data)
    assert response.status_code == 200
    message = shown(response)["messages"]
    assert message.startswith("Your account settings were not saved. Password: ")
    assert "match" in message
