"""Rules on the text of an activity that Django's own checks miss (audit A, findings 1, 6,
8 and 9), on the model, so that the editor, the copy page, imports and the API share them:

- R13: the free texts without a column size (content, highlights, details, the search
  description) have a maximum length, refused with a message, never a 500;
- R6, R13, R14: required text must show something (a zero-width space is no name);
- R6, R31: one-line fields take no direction control (a right-to-left override);
- R6: the name is at most 50 characters as readers count them, NFC-normalised;
- R6: Wagtail's copy page applies the name's rules to the copy's new name."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, override
from wagtail.models import WorkflowState
from wagtail.test.utils.form_data import rich_text

from activities.models import (
    DETAILS_MAX_HTML,
    DETAILS_MAX_TEXT,
    TEXT_MAX_LENGTHS,
    ActivityPage,
    HostUnit,
)
from activities.text import has_visible_character, perceived_length
from tests import factories

from .editor import ADD_URL, editor_data
from .test_control_characters import single_line_message
from .test_rules import REQUIRED, UNIT_ROW_EMPTY, model_errors, title_too_long, unsaved_page

pytestmark = pytest.mark.django_db

IN_WINDOW = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=datetime.UTC)

# Invisible characters that str.strip() and Django's "required" took for text.
INVISIBLE = {
    "U+200B": "\u200b",  # zero-width space
    "U+200C": "\u200c",  # zero-width non-joiner
    "U+200D": "\u200d",  # zero-width joiner
    "U+FEFF": "\ufeff",  # byte order mark
    "U+2060": "\u2060",  # word joiner
    "U+3164": "\u3164",  # Hangul filler
    "U+2800": "\u2800",  # blank Braille pattern
    "U+3000+U+200B": "\u3000\u200b",  # full-width space and zero-width space
}
DIRECTION_CONTROLS = {
    "U+202E": "\u202e",  # right-to-left override
    "U+202D": "\u202d",  # left-to-right override
    "U+202B": "\u202b",  # right-to-left embedding
    "U+2067": "\u2067",  # right-to-left isolate
}
FAMILY = "👨\u200d👩\u200d👧\u200d👦"


def zh(message, **values):
    with override("zh-hans"):
        return gettext(message) % values if values else gettext(message)


def too_long(count, limit):
    return zh(
        "This text has %(count)d characters; at most %(max)d are allowed.", count=count, max=limit
    )


def details_too_long(count):
    return zh(
        "The details have %(count)d characters of text; at most %(max)d are allowed.",
        count=count,
        max=DETAILS_MAX_TEXT,
    )


def direction_control(code):
    return zh(
        "Delete the invisible direction control (%(code)s) in this field: it makes the text "
        "read in another order than it was typed.",
        code=code,
    )


@pytest.fixture(autouse=True)
def in_window():
    with time_machine.travel(IN_WINDOW, tick=False):
        yield


@pytest.fixture
def image(submitter):
    return factories.poster(submitter)


def post(client, image, action="action-submit", **overrides):
    url = ADD_URL.format(index=factories.index().pk)
    return client.post(url, editor_data(image, factories.channel(), action=action, **overrides))


def form_errors(response):
    form = response.context["form"]
    with override("zh-hans"):
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        for name, formset in form.formsets.items():
            for index, child in enumerate(formset.forms):
                for field, errs in child.errors.items():
                    errors[f"{name}-{index}-{field}"] = [str(e) for e in errs]
    return errors


# R13: lengths ----------------------------------------------------------------------------


@pytest.mark.parametrize("field", sorted(TEXT_MAX_LENGTHS))
def test_r13_free_texts_have_a_maximum_length(field):
    limit = TEXT_MAX_LENGTHS[field]
    assert model_errors(unsaved_page(**{field: "科" * limit})) == {}
    errors = model_errors(unsaved_page(**{field: "科" * (limit + 1)}))
    assert errors == {field: [too_long(limit + 1, limit)]}


def test_r13_the_bounds_leave_room_for_what_the_guide_asks():
    """Generous: the guide asks for the content and the highlights as a clause each of a
    short summary (the seeded activities write a line); the details are the article, and
    tests/hardening/test_rich_text.py stores 30,000 characters of them as a real text."""
    assert TEXT_MAX_LENGTHS["content"] >= 2_000
    assert TEXT_MAX_LENGTHS["highlights"] >= 2_000
    assert DETAILS_MAX_TEXT >= 30_000


def test_r13_details_count_their_text_not_their_markup():
    """Bold paragraphs of 99 characters, just within the bound: longer than it with their
    markup, but the bound counts what readers read."""
    paragraphs = "".join(f"<p><b>{'科' * 99}</b></p>" for _ in range(DETAILS_MAX_TEXT // 100))
    assert len(paragraphs) > DETAILS_MAX_TEXT
    assert model_errors(unsaved_page(details=paragraphs)) == {}
    errors = model_errors(unsaved_page(details="<p>" + "科" * (DETAILS_MAX_TEXT + 1) + "</p>"))
    assert errors == {"details": [details_too_long(DETAILS_MAX_TEXT + 1)]}


def test_r13_details_markup_has_a_bound_too():
    details = "<p>科普</p>" + "<p><b><i>科</i></b></p>" * (DETAILS_MAX_HTML // 20)
    assert len(details) > DETAILS_MAX_HTML
    errors = model_errors(unsaved_page(details=details))
    assert list(errors) == ["details"]
    assert str(DETAILS_MAX_HTML) in errors["details"][0]


@pytest.mark.parametrize("action", ["action-submit", None], ids=["submit", "draft"])
def test_r13_editor_refuses_a_huge_content_quickly_with_its_message(client, image, action):
    """R13 (audit finding 1): 40,000 × 科 in the content took 73 s on a draft save; now the
    form comes back with the message at once, the text kept, nothing saved."""
    content = "科" * 40_000
    response = post(client, image, action, content=content)
    assert response.status_code == 200
    assert form_errors(response) == {"content": [too_long(40_000, TEXT_MAX_LENGTHS["content"])]}
    assert response.context["form"]["content"].value() == content
    assert not ActivityPage.objects.exists()


def test_r13_editor_refuses_huge_details_with_its_message(client, image):
    details = rich_text("<p>" + "科" * (DETAILS_MAX_TEXT + 5) + "</p>")
    response = post(client, image, None, details=details)
    assert response.status_code == 200
    assert form_errors(response) == {"details": [details_too_long(DETAILS_MAX_TEXT + 5)]}


def test_r13_r29_a_long_draft_within_the_bounds_saves_and_is_indexed(client, image):
    """The longest details allowed, one repeated character (the worst case for jieba),
    saved as a draft: indexed in linear time (search/segment.py)."""
    details = rich_text("<p>" + "科" * DETAILS_MAX_TEXT + "</p>")
    response = post(client, image, None, details=details)
    assert response.status_code == 302
    page = ActivityPage.objects.get()
    # Every character of the details is in the index's words.
    assert page.search_text().count("科") >= DETAILS_MAX_TEXT


# R6, R13, R14: required text shows something ---------------------------------------------


@pytest.mark.parametrize("blank", list(INVISIBLE.values()), ids=list(INVISIBLE))
@pytest.mark.parametrize("field", ["title", "contact_person", "audience", "content", "scientists"])
def test_r6_r13_required_text_of_invisible_characters_is_missing(field, blank):
    assert model_errors(unsaved_page(**{field: blank * 2})) == {field: [REQUIRED]}


@pytest.mark.parametrize("blank", list(INVISIBLE.values()), ids=list(INVISIBLE))
def test_r13_details_of_invisible_characters_are_missing(blank):
    assert model_errors(unsaved_page(details=f"<p>{blank}</p>")) == {"details": [REQUIRED]}
    assert model_errors(unsaved_page(details="<p>&#8203;&zwj;</p>")) == {"details": [REQUIRED]}


def test_r6_r13_visible_text_with_invisible_characters_in_it_is_kept():
    """Joiners inside visible text stay (an emoji family, a name): only text that shows
    nothing at all is missing. Punctuation and symbols show."""
    for title in (f"亲子科普日{FAMILY}", "科普\u200b日", "？？？", "★"):
        assert model_errors(unsaved_page(title=title)) == {}, title
    assert model_errors(unsaved_page(details='<p><embed embedtype="image" id="1"/></p>')) == {}


def test_r14_a_unit_name_of_invisible_characters_is_missing():
    unit = HostUnit(name="\u200b\ufeff")
    with override("zh-hans"), pytest.raises(ValidationError) as refused:
        unit.clean()
    assert refused.value.message_dict == {"name": [UNIT_ROW_EMPTY]}


def test_r6_r13_r14_editor_refuses_invisible_required_text(client, image):
    """Audit finding 6: this submission went to province review with an invisible name,
    contact and host unit."""
    response = post(
        client,
        image,
        title="\u200b\u200b",
        contact_person="\u200b",
        details=rich_text("<p>\u200b</p>"),
        host_units=[{"organization": "", "name": "\u200b"}],
    )
    assert response.status_code == 200
    errors = form_errors(response)
    assert errors["title"] == [REQUIRED]
    assert errors["contact_person"] == [REQUIRED]
    assert errors["details"] == [REQUIRED]
    assert errors["host_units-0-name"] == [UNIT_ROW_EMPTY]
    assert not ActivityPage.objects.exists()
    assert not WorkflowState.objects.exists()


def test_visible_characters():
    assert not has_visible_character("")
    assert not has_visible_character(" \u3000\u200b\u200c\u200d\ufeff\u2060\u3164\u2800\u0301")
    assert all(has_visible_character(text) for text in ("科", "a", "1", "，", "★", FAMILY))


# R6, R31: direction controls ----------------------------------------------------------------


@pytest.mark.parametrize("code", list(DIRECTION_CONTROLS))
@pytest.mark.parametrize("field", ["title", "contact_person", "address", "audience"])
def test_r6_r31_one_line_fields_refuse_direction_controls(field, code):
    page = unsaved_page(**{field: f"科普日{DIRECTION_CONTROLS[code]}动活"})
    assert model_errors(page) == {field: [direction_control(code)]}


def test_r6_direction_marks_are_harmless_and_stay():
    """The marks (LRM, RLM, ALM) change no order and are kept."""
    assert model_errors(unsaved_page(title="科普日\u200e\u200f\u061c活动")) == {}


def test_r14_a_unit_name_refuses_direction_controls():
    unit = HostUnit(name="广州市\u202e协科")
    with override("zh-hans"), pytest.raises(ValidationError) as refused:
        unit.clean()
    assert refused.value.message_dict == {"name": [direction_control("U+202E")]}


def test_r6_editor_refuses_a_right_to_left_override_in_the_name(client, image):
    """Audit finding 6: a name with U+202E was submitted (it reads backwards)."""
    response = post(client, image, title="科普日\u202e动活")
    assert response.status_code == 200
    assert form_errors(response) == {"title": [direction_control("U+202E")]}
    assert not ActivityPage.objects.exists()


# R6: the name's length as readers count it ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("全国科普日", 5),
        ("e\u0301", 1),  # é as e and a combining accent
        (FAMILY, 1),
        (FAMILY * 10, 10),
        ("👍🏽", 1),  # a skin tone
        ("🇨🇳🇺🇸", 2),  # two flags
        ("1\ufe0f\u20e3", 1),  # a keycap
        ("🏳\ufe0f\u200d🌈", 1),
    ],
)
def test_r6_perceived_length(text, count):
    assert perceived_length(text) == count


def test_r6_a_name_is_counted_as_readers_count_it():
    """Audit finding 9: é typed as two code points counted 2, a family emoji 7 (ten of
    them: "活动名称有 70 个字")."""
    decomposed = "e\u0301" * 50
    assert model_errors(unsaved_page(title=decomposed)) == {}
    assert model_errors(unsaved_page(title=FAMILY * 10 + "科" * 40)) == {}
    assert model_errors(unsaved_page(title=FAMILY * 10 + "科" * 41)) == {
        "title": [title_too_long(51)]
    }
    assert model_errors(unsaved_page(title="科" * 51)) == {"title": [title_too_long(51)]}


def test_r6_a_name_is_stored_composed():
    page = factories.activity(title="Caf" + "e\u0301" + "科普日")
    page.refresh_from_db()
    assert page.title == "Café科普日" == page.draft_title
    assert len(page.title) == 7


def test_r6_editor_accepts_a_name_of_fifty_accented_letters(client, image):
    response = post(client, image, None, title="e\u0301" * 50)
    assert response.status_code == 302
    assert ActivityPage.objects.get().title == "é" * 50


# R6: copying ----------------------------------------------------------------------------------


@pytest.fixture
def live_activity(submitter):
    return factories.activity(owner=submitter, publish=True, title="被复制的活动")


def copy(client, page, title, slug="copied-activity"):
    data = {
        "new_title": title,
        "new_slug": slug,
        "new_parent_page": factories.index().pk,
    }
    return client.post(f"/admin/pages/{page.pk}/copy/", data)


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("复制" + "长" * 60, title_too_long(62)),
        ("复制\x0b控制", single_line_message("U+000B")),
        ("复制\u202e控制", direction_control("U+202E")),
        ("\u200b\u200b", REQUIRED),
    ],
    ids=["too-long", "control", "override", "invisible"],
)
def test_r6_r31_the_copy_page_applies_the_name_rules(client, live_activity, title, message):
    """Audit finding 8: the copy page stored a 62-character name, or one holding a control
    character, on the copy. Now the copy form says why, as the editor does."""
    response = copy(client, live_activity, title)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["new_title"]
    with override("zh-hans"):
        assert [str(error) for error in errors["new_title"]] == [message]
    assert ActivityPage.objects.count() == 1


def test_r6_the_copy_page_copies_with_a_good_name(client, live_activity):
    response = copy(client, live_activity, "复制出的活动" + "e\u0301")
    assert response.status_code == 302
    # The title NFC-normalised; a submitter's copy takes its slug from it (test_promote_tab).
    copied = ActivityPage.objects.get(slug="复制出的活动é")
    assert copied.title == "复制出的活动é"
    assert not copied.live
