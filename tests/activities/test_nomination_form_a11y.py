"""R33's form for screen reader users (an accessibility audit): the photos are described
by their place, not the uploaded file's name (IMG_0930.jpg), each remove box says which
photo it removes, and an upload's error is tied to its file field."""

import pytest
import time_machine
from bs4 import BeautifulSoup

from tests import factories

from .nominating import AFTER_END, file_complete, make, post_data, url

pytestmark = pytest.mark.django_db


def test_r33_photos_have_numbered_descriptions_and_named_remove_boxes(client):
    owner = factories.submitter()
    page = make(owner)
    client.force_login(owner)
    with time_machine.travel(AFTER_END, tick=False):
        assert file_complete(client, page).status_code in (200, 302)
        soup = BeautifulSoup(client.get(url(page)).content, "html.parser")
    photos = soup.select("ul.nomination-photos li")
    assert [item.img["alt"] for item in photos] == ["照片 1", "照片 2", "照片 3"]
    assert [" ".join(item.label.get_text().split()) for item in photos] == [
        "删除照片 1",
        "删除照片 2",
        "删除照片 3",
    ]
    evidence = soup.find("img", alt="参与人数佐证照片")
    assert evidence is not None


def test_r33_an_upload_error_is_tied_to_its_file_field(client):
    owner = factories.submitter()
    page = make(owner)
    client.force_login(owner)
    with time_machine.travel(AFTER_END, tick=False):
        response = client.post(url(page), post_data())
    soup = BeautifulSoup(response.content, "html.parser")
    photos = soup.find("input", id="id_photos")
    assert photos["aria-invalid"] == "true"
    errors = soup.find(id=photos["aria-describedby"])
    assert errors is not None and "照片" in errors.get_text()
