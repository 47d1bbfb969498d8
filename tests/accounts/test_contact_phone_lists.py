"""R13, R4: a contact phone may hold one to three numbers, written as the guide itself
writes them ("联系电话：010-63589698，010-63589586"); each must be diallable, a wrong one is
named, and the public page links the first. Single numbers keep their rule and message."""

import pytest
from django.core.exceptions import ValidationError
from django.utils.translation import override

from accounts.validators import contact_numbers, tel_uri, validate_contact_phone
from tests import factories

SINGLE_MESSAGE = "Enter a phone number people can dial, e.g. 010-63589000 or 13800138000."

SEVERAL = {
    # As in the guide.
    "010-63589698，010-63589586": ["010-63589698", "010-63589586"],
    "010-63589698,010-63589586": ["010-63589698", "010-63589586"],
    "010-63589698、010-63589586": ["010-63589698", "010-63589586"],
    "010-63589698；13800000000": ["010-63589698", "13800000000"],
    "010-63589698;13800000000": ["010-63589698", "13800000000"],
    "010-63589698 ， 13800000000": ["010-63589698", "13800000000"],
    "010-63589698，020-87654321、13800000000": ["010-63589698", "020-87654321", "13800000000"],
    # The same area code's other line.
    "010-63589698/63589586": ["010-63589698", "010 63589586"],
    "010-63589698 / 6358-9586": ["010-63589698", "010 63589586"],
    "０７５５－１２３４５６７/７６５４３２１": ["0755-1234567", "0755 7654321"],
    "+86 10 6358 9698/6358 9586": ["+86 10 6358 9698", "010 63589586"],
    "(020)12345678转123/87654321": ["(020)12345678转123", "020 87654321"],
    "010-63589698/13800000000": ["010-63589698", "13800000000"],
}


def refusal(value):
    with pytest.raises(ValidationError) as caught, override("en"):
        validate_contact_phone(value)
    with override("en"):
        return caught.value.messages, caught.value.code


@pytest.mark.parametrize(("value", "numbers"), SEVERAL.items(), ids=list(SEVERAL))
def test_r13_several_numbers_as_the_guide_writes_them_are_accepted(value, numbers):
    validate_contact_phone(value)
    assert contact_numbers(value) == numbers


@pytest.mark.parametrize(
    "value",
    ["020-88888888", "13800138000", "+86 10 6358 9000", "400-123-4567", "(020)12345678转123"],
)
def test_r13_a_single_number_is_still_one_number(value):
    assert contact_numbers(value) == [value]


@pytest.mark.parametrize(
    ("value", "wrong"),
    [
        ("010-63589698，请找王老师", "请找王老师"),
        ("010-63589698，12", "12"),
        ("请致电王老师、13800000000", "请致电王老师"),
        ("010-63589698；020-8888888x", "020-8888888x"),
        ("010-63589698/123", "123"),
        ("010-63589698/9586", "9586"),
    ],
)
def test_r13_the_wrong_one_of_several_numbers_is_named(value, wrong):
    messages, code = refusal(value)
    assert messages == [
        f"“{wrong}” is not a phone number people can dial, e.g. 010-63589000 or 13800138000."
    ]
    assert code == "invalid_phone"


@pytest.mark.parametrize(
    "value",
    [
        "请致电王老师",
        "12",
        "+",
        "javascript:alert(1)",
        "，",
        "/",
        "010-63589698，",
        "、13800000000",
    ],
)
def test_r13_nonsense_keeps_the_single_number_message(value):
    assert refusal(value) == ([SINGLE_MESSAGE], "invalid_phone")


def test_r13_a_short_line_after_a_slash_needs_the_first_numbers_area_code():
    messages, code = refusal("13800000000/63589586")
    assert code == "line_without_area_code"
    assert "“63589586”" in messages[0] and "010-63589698/63589586" in messages[0]
    assert refusal("400-123-4567/63589586")[1] == "line_without_area_code"


def test_r13_at_most_three_numbers():
    messages, code = refusal("010-63589698，010-63589586，010-63589000，13800000000")
    assert (messages, code) == (["Give at most three phone numbers."], "too_many_phones")


@pytest.mark.parametrize(
    ("value", "uri"),
    [
        ("010-63589698，010-63589586", "tel:01063589698"),
        ("010-63589698/63589586", "tel:01063589698"),
        ("(020)12345678转123；13800000000", "tel:02012345678;ext=123"),
        ("+86 10 6358 9698、13800000000", "tel:+861063589698"),
        ("020-88888888", "tel:02088888888"),
        ("010-63589698，请找王老师", ""),
    ],
)
def test_r13_the_link_dials_the_first_number(value, uri):
    assert tel_uri(value) == uri


@pytest.mark.django_db
def test_r13_the_public_page_links_each_of_several_numbers(client):
    # It linked the first number under the whole text: tapping the second dialled the first.
    page = factories.activity(publish=True, contact_phone="010-63589698，010-63589586")
    html = client.get(page.url).content.decode()
    assert '<a href="tel:01063589698">010-63589698</a>，<a href="tel:01063589586">' in html


@pytest.mark.django_db
def test_r13_an_activity_with_several_numbers_can_be_submitted():
    page = factories.activity(contact_phone="010-63589698/63589586")
    assert "contact_phone" not in page.submission_errors()
    page.contact_phone = "010-63589698，请找王老师"
    assert "contact_phone" in page.submission_errors()
