"""R31 (and R30's calendar): an invisible control character in an activity's text, such as
Word's manual line break (U+000B) that survives pasting, made the RSS and Atom feeds answer
500 (XML refuses it), and a line break in a title broke the activity's calendar. The model
refuses control characters in what editors type, on the field, in the editor as for any
other save; the feeds and calendars strip them from rows stored before that rule or past it."""

import datetime
import xml.etree.ElementTree as ET

import icalendar
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, override
from wagtail.models import WorkflowState

from activities.models import ActivityPage
from tests import factories

from .editor import ADD_URL, editor_data
from .test_rules import model_errors, unsaved_page

pytestmark = pytest.mark.django_db

IN_WINDOW = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=datetime.UTC)
TITLE = "广州青少年机器人科普体验日"
ATOM = "{http://www.w3.org/2005/Atom}"


def single_line_message(code):
    with override("zh-hans"):
        return gettext(
            "Delete the invisible control character (%(code)s) in this field, such as a line "
            "break or tab pasted from elsewhere: it takes one line of plain text."
        ) % {"code": code}


def multi_line_message(code):
    with override("zh-hans"):
        return gettext(
            "Delete the invisible control character (%(code)s) in this text, such as a manual "
            "line break pasted from Word. Line breaks made with Enter and tabs are fine."
        ) % {"code": code}


@pytest.fixture(autouse=True)
def in_window():
    with time_machine.travel(IN_WINDOW, tick=False):
        yield


def has_control_character(text):
    return any(ord(char) < 0x20 and char not in "\t\n\r" for char in text)


# The rule, on the model -----------------------------------------------------------------

SINGLE_LINE = [
    "title",
    "address",
    "contact_person",
    "contact_phone",
    "audience",
    "scientists",
    "participation_channel",
    "promotion",
    "seo_title",
]
MULTI_LINE = ["content", "highlights", "search_description", "details"]
CONTROLS = {"\x0b": "U+000B", "\x01": "U+0001", "\x1f": "U+001F", "\x7f": "U+007F"}


def one_line_sample(field, char):
    # A contact phone must be a number people can dial (R13); the rest takes any text.
    return f"020{char}88888888" if field == "contact_phone" else f"广州{char}科普"


@pytest.mark.parametrize("char", list(CONTROLS), ids=list(CONTROLS.values()))
@pytest.mark.parametrize("field", SINGLE_LINE)
def test_r31_one_line_fields_refuse_any_control_character(field, char):
    """R31: a one-line field takes no control character, on the field, with its code."""
    page = unsaved_page(**{field: one_line_sample(field, char)})
    assert model_errors(page) == {field: [single_line_message(CONTROLS[char])]}


@pytest.mark.parametrize(("char", "code"), [("\n", "U+000A"), ("\t", "U+0009"), ("\r", "U+000D")])
@pytest.mark.parametrize("field", ["title", "address", "contact_person"])
def test_r31_one_line_fields_refuse_line_breaks_and_tabs(field, char, code):
    page = unsaved_page(**{field: f"广州{char}科普"})
    assert model_errors(page) == {field: [single_line_message(code)]}


@pytest.mark.parametrize("char", list(CONTROLS), ids=list(CONTROLS.values()))
@pytest.mark.parametrize("field", MULTI_LINE)
def test_r31_text_areas_refuse_control_characters(field, char):
    page = unsaved_page(**{field: f"<p>第一行{char}第二行</p>"})
    assert model_errors(page) == {field: [multi_line_message(CONTROLS[char])]}


@pytest.mark.parametrize("field", MULTI_LINE)
def test_r31_text_areas_keep_line_breaks_and_tabs(field):
    assert model_errors(unsaved_page(**{field: "<p>第一行\r\n第二行\n\t第三行\r</p>"})) == {}


def test_r31_revisions_and_live_saves_enforce_the_rule():
    """R31: Wagtail runs the model's rules on every revision and on every save of a live
    page, so an import or a shell is refused too, not only the editor."""
    with pytest.raises(ValidationError) as refused:
        factories.activity(title="广州\x0b科普", publish=True)
    assert set(refused.value.message_dict) == {"title"}
    assert not ActivityPage.objects.filter(live=True).exists()

    page = factories.activity(publish=True)
    page.address = "深圳市\x01福田区"
    with pytest.raises(ValidationError) as refused:
        page.save()
    assert set(refused.value.message_dict) == {"address"}
    page.refresh_from_db()
    assert page.address == ""


# The rule, in Wagtail's editor ------------------------------------------------------------


@pytest.fixture
def image(submitter):
    return factories.poster(submitter)


def post(client, image, action, **overrides):
    url = ADD_URL.format(index=factories.index().pk)
    return client.post(url, editor_data(image, factories.channel(), action=action, **overrides))


def field_errors(response):
    form = response.context["form"]
    with override("zh-hans"):
        return {name: [str(e) for e in errs] for name, errs in form.errors.items()}


@pytest.mark.parametrize("action", ["action-submit", None], ids=["submit", "draft"])
def test_r31_editor_shows_the_error_on_the_field_and_keeps_the_text(client, image, action):
    """R31: Word's line break pasted into the name and \\x01 into the content: the form
    comes back with each error on its field, what was typed kept, nothing saved."""
    title = "广州青少年\x0b机器人科普体验日"
    content = "机器人展示\x01、编程体验"
    response = post(client, image, action, title=title, content=content)
    assert response.status_code == 200
    errors = field_errors(response)
    assert errors["title"] == [single_line_message("U+000B")]
    assert errors["content"] == [multi_line_message("U+0001")]
    body = response.content.decode()
    with override("zh-hans"):
        # Rendered beside the field, in the form's language.
        assert single_line_message("U+000B") in body
    assert f'value="{title}"' in body
    assert content in body
    assert not ActivityPage.objects.exists()


def test_r31_editor_accepts_line_breaks_in_text_areas(client, image):
    response = post(client, image, "action-submit", content="机器人展示\r\n编程体验\r\n\t专家讲座")
    assert response.status_code == 302, field_errors(response)
    page = ActivityPage.objects.get(title=TITLE)
    assert WorkflowState.objects.for_instance(page).filter(status="in_progress").exists()


# Outputs, for rows stored past the rule -------------------------------------------------


@pytest.fixture
def stored():
    """A live activity whose text gained control characters by a queryset update (a row
    from before the rule, a script): nothing in the model checks that path."""
    page = factories.activity(publish=True, city_id="440300")
    ActivityPage.objects.filter(pk=page.pk).update(
        title="广州青少年\x0b机器人\x01科普\r\n体验日",
        address="深圳市\x0b福田区\x01市民中心\ufffe",
        content="机器人展示\x0b编程体验\x01\r\n专家讲座\x7f",
    )
    page.refresh_from_db()
    return page


@pytest.mark.parametrize("feed", ["rss", "atom"])
def test_r31_feeds_strip_control_characters_of_stored_rows(client, stored, feed):
    """R31: one such live activity made /activities/feed/rss/ and /atom/ answer 500."""
    response = client.get(f"/activities/feed/{feed}/")
    assert response.status_code == 200
    text = response.content.decode()
    assert not has_control_character(text)
    assert "\ufffe" not in text
    root = ET.fromstring(response.content)  # noqa: S314 - our own server's answer
    if feed == "rss":
        (item,) = root.findall("./channel/item")
        title, description = item.findtext("title"), item.findtext("description")
    else:
        (entry,) = root.findall(f"{ATOM}entry")
        title, description = entry.findtext(f"{ATOM}title"), entry.findtext(f"{ATOM}summary")
    # Line breaks of a one-line text are spaces; other control characters are dropped.
    assert title == "广州青少年 机器人科普 体验日"
    assert "广东省 深圳市 深圳市 福田区市民中心" in description
    assert "机器人展示 编程体验 专家讲座" in description


def test_r30_calendar_of_a_title_with_line_breaks_is_one_event(client, stored):
    """R30: the activity's calendar is 200 with one VEVENT; the title's CRLF neither stops
    it (icalendar refused X-WR-CALNAME with a line break: a 500) nor adds lines."""
    ActivityPage.objects.filter(pk=stored.pk).update(
        title="广州科普日\r\nX-INJECTED:1\r\nBEGIN:VEVENT\nUID:forged"
    )
    for url in (f"/activities/{stored.pk}/calendar.ics", "/activities/calendar.ics"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"\r\nX-INJECTED" not in response.content
        assert b"\r\nUID:forged" not in response.content
        calendar = icalendar.Calendar.from_ical(response.content)
        assert "X-INJECTED" not in calendar
        (event,) = calendar.walk("VEVENT")
        assert "X-INJECTED" not in event
        assert str(event["summary"]) == "广州科普日 X-INJECTED:1 BEGIN:VEVENT UID:forged"
        assert not has_control_character(str(event["description"]).replace("\n", ""))
        assert "机器人展示编程体验" in str(event["description"]).replace("\n", "")
    calendar = icalendar.Calendar.from_ical(
        client.get(f"/activities/{stored.pk}/calendar.ics").content
    )
    name = calendar["x-wr-calname"]
    assert "\n" not in name and "\r" not in name
    assert "广州科普日 X-INJECTED:1" in name
