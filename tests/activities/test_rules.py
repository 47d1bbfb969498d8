"""R6–R15: each rule of an activity rejects bad input with its (Chinese) message and accepts
good input, both on the model (ActivityPage.full_clean(), submission_errors(), get_warnings())
and through Wagtail's real editor (tests/activities/editor.py: "action-submit" submits for
review, action=None saves a draft)."""

import contextlib
import datetime
import html
import io
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.images import ImageFile
from django.utils import timezone
from django.utils.translation import gettext, override
from PIL import Image as PillowImage
from wagtail.images.models import Image
from wagtail.models import Site, WorkflowState
from wagtail.test.utils.form_data import inline_formset

from activities.models import (
    ActivityPage,
    ActivityType,
    HostUnit,
    JointActionCategory,
    PartnerDepartment,
    PartnerSociety,
    SpecialActionCategory,
)
from home.models import CampaignSettings
from organizations.models import Organization
from tests import factories

from .editor import EDIT_URL, editor_data

pytestmark = pytest.mark.django_db

CST = ZoneInfo("Asia/Shanghai")
# Inside the default campaign window (21 Aug – 30 Sep), Beijing time.
IN_WINDOW = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=CST)
DAY = datetime.timedelta(days=1)

# The project's messages, as translated in locale/zh_Hans/LC_MESSAGES/django.po.
END_BEFORE_START = "结束时间不能早于开始时间。"
START_NOT_LATER = "活动开始时间应晚于填报时间：请在活动举办之前填报。"
SHORT_NOTICE = "活动开始时间距今少于7天，审核可能来不及完成。建议在活动举办前一周以上填报。"
CITY_MISMATCH = "所选城市不属于所选省份。"
COUNTY_MISMATCH = "所选区县不属于所选城市或省份。"
CHANNEL_NOT_CERTIFIED = "只有经过认证的组织才能作为归口单位。"
JOINT_ACTION_MISSING = "请至少勾选一个联合行动类别。"
SPECIAL_ACTION_MISSING = "请至少勾选一个科普专项行动类别。"
DEPARTMENT_MISSING = "请至少添加一个合作部委或委办厅局。"
SOCIETY_MISSING = "请至少添加一个合作学会。"
BOOKING_LINK_MISSING = "请填写第三方平台预约链接。"
HTTP_LINK = "请输入以 http:// 或 https:// 开头的完整网址。"
POSTER_FORMAT = "活动宣传图须为 JPEG、PNG 或 WebP 格式的图片。"
UNIT_ROW_EMPTY = "请从组织库中选择单位，或输入单位准确名称。"
UNIT_NOT_CERTIFIED = "只能选择已认证的组织。"


def title_too_long(count):
    return f"活动名称有 {count} 个字，不能超过 50 个字。"


def similar_names(names):
    return f"本年度已有同名或名称相近的活动：{names}。请使活动名称具有一定区分度。"


def category_mismatch(name, category):
    return f"“{name}”不属于所选类别（{category}）。"


def poster_pixels(width, height):
    return f"活动宣传图为 {width}×{height} 像素，短边至少须为 600 像素。"


def poster_too_big(megabytes):
    return f"活动宣传图大小为 {megabytes:.1f} MB，不能超过 10 MB。"


def submission_closed(year, opens, closes):
    return f"当前不在提交时间内：{year}年活动的提交时间为 {opens} 至 {closes}。您仍可保存草稿。"


def zh(message):
    with override("zh-hans"):
        return gettext(message)


# Django's and Wagtail's own messages, in the site's default language.
REQUIRED = zh("This field is required.")
BLANK = zh("This field cannot be blank.")
INVALID_CHOICE = zh("Select a valid choice. That choice is not one of the available choices.")
INVALID_URL = zh("Enter a valid URL.")
with override("zh-hans"):
    AT_LEAST_ONE_ROW = "请至少添加一个主办单位。"


def invalid_option(value):
    return zh("Select a valid choice. %(value)s is not one of the available choices.") % {
        "value": value
    }


def invalid_model_choice(value):
    return zh("Value %(value)r is not a valid choice.") % {"value": value}


def test_framework_messages_used_here_are_chinese():
    for message in (REQUIRED, BLANK, INVALID_CHOICE, INVALID_URL, AT_LEAST_ONE_ROW):
        assert re.search(r"[\u4e00-\u9fff]", message), message


# Fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture(autouse=True)
def in_window():
    """Every test runs at IN_WINDOW unless it travels elsewhere itself."""
    with time_machine.travel(IN_WINDOW, tick=False):
        yield


@pytest.fixture
def image(submitter):
    return factories.poster(submitter)


def gif_image(size=(900, 1200), owner=None):
    buffer = io.BytesIO()
    PillowImage.new("RGB", size, (200, 30, 30)).save(buffer, "GIF")
    return Image.objects.create(
        title="GIF 海报",
        file=ImageFile(io.BytesIO(buffer.getvalue()), name="poster.gif"),
        uploaded_by_user=owner,
    )


def certified(category):
    """A certified organization of each channel category (the library ships no county or
    "other" organization, so those are created)."""
    names = {
        "ministry": "教育部",
        "provincial": "广东省科学技术协会",
        "municipal": "广州市科学技术协会",
        "national_society": "中国数学会",
    }
    if category in names:
        org = Organization.objects.get(name=names[category], category=category)
    elif category == "county":
        org = Organization.objects.create(
            name="广州市天河区科学技术协会",
            category="county",
            province_id="440000",
            city_id="440100",
            county_id="440106",
            status=Organization.Status.CERTIFIED,
        )
    else:
        org = Organization.objects.create(
            name="广东科学中心",
            category="other",
            province_id="440000",
            status=Organization.Status.CERTIFIED,
        )
    assert org.is_certified
    return org


def pending_org(category="provincial", name="待认证的省级科协"):
    return Organization.objects.create(name=name, category=category, province_id="440000")


def unsaved_page(**overrides):
    """An ActivityPage placed (not saved) under the index, so Page.clean() finds its parent."""
    fields = factories.activity_fields(**overrides)
    if "poster" not in fields:
        fields["poster"] = factories.poster()
    parent = factories.index()
    page = ActivityPage(**fields)
    page.depth = parent.depth + 1
    page.path = parent.path + "ZZZZ"
    return page


def model_errors(page):
    """{field: [messages]} from full_clean(), evaluated in Chinese."""
    with override("zh-hans"):
        try:
            page.full_clean()
        except ValidationError as error:
            return {field: list(messages) for field, messages in error.message_dict.items()}
    return {}


def unit_errors(unit):
    with override("zh-hans"):
        try:
            unit.full_clean(exclude=["page"])
        except ValidationError as error:
            return {field: list(messages) for field, messages in error.message_dict.items()}
    return {}


def default_site():
    return Site.objects.get(is_default_site=True)


@contextlib.contextmanager
def signed_in_at(client, user, moment):
    """Travel to `moment` and sign in again there (a session from IN_WINDOW may have expired
    by then)."""
    with time_machine.travel(moment, tick=False):
        client.force_login(user)
        yield


def set_window(opens, closes, year=2026):
    campaign = CampaignSettings.for_site(default_site())
    campaign.year, campaign.window_start, campaign.window_end = year, opens, closes
    campaign.save()


MANY_TO_MANY = ("joint_action_categories", "special_action_categories")


def post(client, url, image, action="action-submit", channel=None, **overrides):
    """POST the editor form; many-to-many values are set after editor_data() flattens the
    nested data (nested_form_data would turn a list into `name-0` keys)."""
    ticked = {name: overrides.pop(name) for name in MANY_TO_MANY if name in overrides}
    data = editor_data(image, channel or factories.channel(), action=action, **overrides)
    data.update(ticked)
    return client.post(url, data)


def errors_of(response):
    """The editor form's errors by field (inline rows as `formset-index-field`), in Chinese."""
    form = response.context["form"]
    with override("zh-hans"):
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        for name, formset in form.formsets.items():
            for index, child in enumerate(formset.forms):
                for field, errs in child.errors.items():
                    errors[f"{name}-{index}-{field}"] = [str(e) for e in errs]
            if formset.non_form_errors():
                errors[name] = [str(e) for e in formset.non_form_errors()]
    return errors


def rendered_field_errors(response, name):
    """The error text Wagtail renders inside the field's own wrapper, beside its input."""
    body = response.content.decode()
    match = re.search(
        rf'data-contentpath="{name}">\s*<div class="w-field__errors"[^>]*>(.*?)</div>',
        body,
        re.DOTALL,
    )
    return " ".join(html.unescape(match.group(1)).split()) if match else ""


def assert_refused(response, field, message, existing=0):
    """Refused: the form comes back (200, never a 500) with `message` on `field`, and no
    activity was created."""
    assert response.status_code == 200
    errors = errors_of(response)
    assert message in errors.get(field, []), errors
    if field in response.context["form"].fields:
        assert message in rendered_field_errors(response, field)
    assert ActivityPage.objects.count() == existing


def assert_submitted(response, title="广州青少年机器人科普体验日"):
    """Accepted: redirected, created and waiting in the review workflow."""
    assert response.status_code == 302, errors_of(response)
    return in_review(title)


def in_review(title="广州青少年机器人科普体验日"):
    page = ActivityPage.objects.get(title=title)
    assert WorkflowState.objects.for_instance(page).filter(status="in_progress").exists()
    return page


def assert_draft_saved(response, title="广州青少年机器人科普体验日"):
    assert response.status_code == 302, errors_of(response)
    page = ActivityPage.objects.get(title=title)
    assert not WorkflowState.objects.for_instance(page).exists()
    return page.get_latest_revision_as_object()


def test_complete_activity_passes_every_model_rule():
    assert model_errors(unsaved_page()) == {}


# R6 Name ----------------------------------------------------------------------------------

NAME_50 = "全国科普日" * 10  # 50 Chinese characters, 150 bytes in UTF-8
NAME_51 = NAME_50 + "科"


def test_r6_fifty_chinese_characters_are_150_bytes():
    assert (len(NAME_50), len(NAME_50.encode())) == (50, 150)


@pytest.mark.parametrize(
    ("title", "error"),
    [(NAME_50, None), ("科", None), (NAME_51, title_too_long(51)), ("科" * 80, title_too_long(80))],
    ids=["50-chars", "1-char", "51-chars", "80-chars"],
)
def test_r6_name_length_is_counted_in_characters(title, error):
    errors = model_errors(unsaved_page(title=title))
    assert errors == ({"title": [error]} if error else {})


def test_r6_name_is_required():
    assert model_errors(unsaved_page(title=""))["title"] == [BLANK]


@pytest.mark.parametrize("action", ["action-submit", None], ids=["submit", "draft"])
def test_r6_editor_requires_a_name(client, add_url, image, action):
    assert_refused(post(client, add_url, image, action, title="  "), "title", REQUIRED)


def test_r6_editor_accepts_a_fifty_character_name(client, add_url, image):
    page = assert_submitted(post(client, add_url, image, title=NAME_50), title=NAME_50)
    assert len(page.title) == 50


@pytest.mark.parametrize("action", ["action-submit", None], ids=["submit", "draft"])
def test_r6_editor_rejects_a_51_character_name_beside_the_field(client, add_url, image, action):
    response = post(client, add_url, image, action=action, title=NAME_51)
    assert_refused(response, "title", title_too_long(51))
    assert f'value="{NAME_51}"' in response.content.decode()  # what was typed is kept


@pytest.mark.parametrize(
    ("existing", "new"),
    [
        ("全国科普日主场活动", "全国科普日 主场活动！"),
        ("全国科普日 主场活动！", "全国科普日主场活动"),
        ("全国科普日主场活动", "全国科普日\u3000主场活动!"),
        ("2026全国科普日·主场活动", "２０２６全国科普日主场活动"),
        ("AI科普日主场活动", "ａｉ 科普日 主场活动。"),
    ],
    ids=["space-and-bang", "reverse", "ideographic-space", "full-width-digits", "full-width-latin"],
)
def test_r6_same_name_modulo_spaces_punctuation_width_warns(existing, new):
    factories.activity(title=existing)
    with override("zh-hans"):
        warnings = [str(w) for w in unsaved_page(title=new).get_warnings()]
    assert warnings == [similar_names(existing)]


def test_r6_r2_another_units_unpublished_activity_is_counted_not_named():
    """The warning names live activities and the submitter's own; another unit's draft or
    activity under review is only counted (its name is not theirs to read)."""
    mine, theirs = factories.submitter(), factories.submitter()
    factories.activity(owner=theirs, title="全国科普日主场活动")
    factories.activity(owner=theirs, title="全国科普日主场活动！", publish=True)
    with override("zh-hans"):
        warnings = [
            str(w) for w in unsaved_page(title="全国科普日 主场活动", owner=mine).get_warnings()
        ]
    assert warnings[0] == similar_names("全国科普日主场活动！")
    assert "1" in warnings[1] and "全国科普日主场活动" not in warnings[1]
    assert len(warnings) == 2


@pytest.mark.parametrize(
    "new", ["青少年机器人编程体验营", "海洋科普知识讲座进社区"], ids=["different", "unrelated"]
)
def test_r6_clearly_different_name_draws_no_warning(new):
    factories.activity(title="全国科普日主场活动")
    assert unsaved_page(title=new).get_warnings() == []


def test_r6_same_name_in_another_campaign_year_draws_no_warning():
    factories.activity(title="全国科普日主场活动")
    next_year = timezone.now() + 365 * DAY
    assert unsaved_page(title="全国科普日主场活动", start_at=next_year).get_warnings() == []


def test_r6_editor_shows_the_similar_name_warning(client, add_url, image):
    factories.activity(title="全国科普日主场活动", publish=True)
    response = client.post(
        add_url,
        editor_data(image, factories.channel(), action=None, title="全国科普日 主场活动！"),
        follow=True,
    )
    assert response.status_code == 200
    assert similar_names("全国科普日主场活动") in html.unescape(response.content.decode())
    assert ActivityPage.objects.filter(title="全国科普日 主场活动！").exists()


def test_r6_editor_shows_no_similar_name_warning_for_a_distinct_name(client, add_url, image):
    factories.activity(title="全国科普日主场活动")
    response = client.post(
        add_url,
        editor_data(image, factories.channel(), action=None, title="青少年机器人编程体验营"),
        follow=True,
    )
    assert response.status_code == 200
    assert "本年度已有同名或名称相近的活动" not in html.unescape(response.content.decode())


# R7 Mode and type -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["online", "offline", "both"])
def test_r7_each_mode_is_accepted(mode):
    assert model_errors(unsaved_page(mode=mode)) == {}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"mode": ""}, "mode", BLANK),
        ({"mode": "boat"}, "mode", invalid_model_choice("boat")),
        ({"activity_type": None}, "activity_type", BLANK),
    ],
    ids=["mode-missing", "mode-invalid", "type-missing"],
)
def test_r7_model_rejects_missing_or_invalid_mode_and_type(overrides, field, message):
    assert model_errors(unsaved_page(**overrides)) == {field: [message]}


def test_r7_an_inactive_type_is_no_new_choice_but_stays_valid_where_it_is(client, add_url, image):
    """A retired type (启用 unticked) is refused as a new choice by the editor. The model
    accepts it: it refused it too, and then an activity that already had the type could be
    neither approved nor saved (tests/activities/test_admin_managed_options.py)."""
    inactive = ActivityType.objects.get(name="科普影视")
    inactive.is_active = False
    inactive.save()
    response = post(client, add_url, image, activity_type=inactive.pk)
    assert_refused(response, "activity_type", INVALID_CHOICE)
    assert "activity_type" not in model_errors(unsaved_page(activity_type=inactive))


@pytest.mark.parametrize("mode", ["online", "offline", "both"])
def test_r7_editor_accepts_each_mode(client, add_url, image, mode):
    assert assert_submitted(post(client, add_url, image, mode=mode)).mode == mode


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"mode": ""}, "mode", REQUIRED),
        ({"mode": "boat"}, "mode", invalid_option("boat")),
        ({"activity_type": ""}, "activity_type", REQUIRED),
        ({"activity_type": "999999"}, "activity_type", INVALID_CHOICE),
    ],
    ids=["mode-missing", "mode-invalid", "type-missing", "type-unknown"],
)
def test_r7_editor_rejects_missing_or_invalid_mode_and_type(
    client, add_url, image, overrides, field, message
):
    assert_refused(post(client, add_url, image, **overrides), field, message)


def test_r7_draft_without_mode_or_type_saves(client, add_url, image):
    draft = assert_draft_saved(post(client, add_url, image, None, mode="", activity_type=""))
    assert draft.mode == "" and draft.activity_type is None


def deactivate_type(name="科普影视"):
    inactive = ActivityType.objects.get(name=name)
    inactive.is_active = False
    inactive.save()
    return inactive


def test_r7_editor_refuses_an_inactive_type(client, add_url, image):
    response = post(client, add_url, image, activity_type=deactivate_type().pk)
    assert_refused(response, "activity_type", INVALID_CHOICE)


def test_r7_inactive_type_is_not_offered(client, add_url, submitter):
    retired = deactivate_type()
    form = client.get(add_url).context["form"]
    offered = {option.name for option in form.fields["activity_type"].queryset}
    assert "科普讲座" in offered
    assert retired.name not in offered
    html = client.get(add_url).content.decode()
    assert f'<option value="{retired.pk}"' not in html


# R8 Start and end -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("end_offset", "error"),
    [
        (datetime.timedelta(hours=3), None),
        (datetime.timedelta(0), None),
        (-datetime.timedelta(minutes=1), END_BEFORE_START),
        (-DAY, END_BEFORE_START),
    ],
    ids=["after", "equal", "minute-before", "day-before"],
)
def test_r8_end_not_before_start(end_offset, error):
    start = timezone.now() + 20 * DAY
    errors = model_errors(unsaved_page(start_at=start, end_at=start + end_offset))
    assert errors == ({"end_at": [error]} if error else {})


@pytest.mark.parametrize(
    ("start_offset", "refused"),
    [
        (-DAY, True),
        (datetime.timedelta(0), True),
        (datetime.timedelta(minutes=1), False),
        (20 * DAY, False),
    ],
    ids=["yesterday", "now", "in-a-minute", "in-20-days"],
)
def test_r8_submission_needs_a_start_later_than_now(start_offset, refused):
    page = unsaved_page(start_at=timezone.now() + start_offset)
    with override("zh-hans"):
        errors = {
            field: [str(m) for m in messages]
            for field, messages in page.submission_errors(site=default_site()).items()
        }
    assert errors == ({"start_at": [START_NOT_LATER]} if refused else {})


@pytest.mark.parametrize(
    ("start_offset", "warned"),
    [
        (datetime.timedelta(hours=2), True),
        (3 * DAY, True),
        (7 * DAY - datetime.timedelta(minutes=1), True),
        (7 * DAY, False),
        (20 * DAY, False),
    ],
    ids=["2-hours", "3-days", "just-under-7-days", "7-days", "20-days"],
)
def test_r8_short_notice_warning(start_offset, warned):
    page = unsaved_page(start_at=timezone.now() + start_offset)
    with override("zh-hans"):
        warnings = [str(w) for w in page.get_warnings()]
    assert warnings == ([SHORT_NOTICE] if warned else [])


def test_r8_editor_rejects_an_end_before_the_start(client, add_url, image):
    start = timezone.now() + 20 * DAY
    response = post(client, add_url, image, start_at=start, end_at=start - DAY)
    assert_refused(response, "end_at", END_BEFORE_START)


def test_r8_editor_accepts_an_end_equal_to_the_start(client, add_url, image):
    start = timezone.now() + 20 * DAY
    page = assert_submitted(post(client, add_url, image, start_at=start, end_at=start))
    assert page.start_at == page.end_at == start


@pytest.mark.parametrize("offset", [-DAY, -10 * DAY], ids=["yesterday", "ten-days-ago"])
def test_r8_editor_refuses_to_submit_a_start_in_the_past(client, add_url, image, offset):
    response = post(client, add_url, image, start_at=timezone.now() + offset)
    assert_refused(response, "start_at", START_NOT_LATER)


def test_r8_draft_with_a_start_in_the_past_still_saves(client, add_url, image):
    start = timezone.now() - DAY
    draft = assert_draft_saved(post(client, add_url, image, None, start_at=start))
    assert draft.start_at == start


@pytest.mark.parametrize("days", [1, 3, 6])
def test_r8_editor_warns_about_short_notice_but_submits(client, add_url, image, days):
    start = timezone.now() + days * DAY
    response = client.post(
        add_url, editor_data(image, factories.channel(), start_at=start), follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain
    assert SHORT_NOTICE in html.unescape(response.content.decode())
    in_review()


@pytest.mark.parametrize("days", [7, 20])
def test_r8_editor_does_not_warn_a_week_or_more_ahead(client, add_url, image, days):
    start = timezone.now() + days * DAY
    response = client.post(
        add_url, editor_data(image, factories.channel(), start_at=start), follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain
    assert "少于7天" not in html.unescape(response.content.decode())
    in_review()


# R9 Region --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("province", "city", "county"),
    [
        ("440000", None, None),
        ("440000", "440100", None),
        ("440000", "440100", "440106"),
        ("110000", None, "110108"),
        ("420000", None, "429004"),
    ],
    ids=["province-only", "city", "county", "beijing-district", "county-level-city-of-hubei"],
)
def test_r9_consistent_regions_are_accepted(province, city, county):
    page = unsaved_page(province_id=province, city_id=city, county_id=county)
    assert model_errors(page) == {}


@pytest.mark.parametrize(
    ("province", "city", "county", "field", "message"),
    [
        (None, None, None, "province", BLANK),
        ("440000", "130100", None, "city", CITY_MISMATCH),
        ("440000", "440100", "130102", "county", COUNTY_MISMATCH),
        ("440000", None, "440106", "county", COUNTY_MISMATCH),
        ("110000", None, "120101", "county", COUNTY_MISMATCH),
    ],
    ids=[
        "no-province",
        "city-of-hebei",
        "county-of-another-city",
        "county-skipping-its-city",
        "tianjin-district-in-beijing",
    ],
)
def test_r9_inconsistent_regions_are_rejected(province, city, county, field, message):
    page = unsaved_page(province_id=province, city_id=city, county_id=county)
    assert model_errors(page) == {field: [message]}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"province": "", "city": ""}, "province", REQUIRED),
        ({"city": "130100"}, "city", INVALID_CHOICE),
        ({"county": "130102"}, "county", INVALID_CHOICE),
        ({"city": "", "county": "440106"}, "county", INVALID_CHOICE),
    ],
    ids=["no-province", "city-of-hebei", "county-of-another-city", "county-skipping-its-city"],
)
def test_r9_editor_rejects_inconsistent_regions(client, add_url, image, overrides, field, message):
    assert_refused(post(client, add_url, image, **overrides), field, message)


def test_r9_editor_accepts_a_beijing_district_without_a_city(client, add_url, image):
    response = post(client, add_url, image, province="110000", city="", county="110108")
    page = assert_submitted(response)
    assert (page.province_id, page.city_id, page.county_id) == ("110000", None, "110108")


def test_r9_editor_accepts_province_city_and_county(client, add_url, image):
    page = assert_submitted(post(client, add_url, image, county="440106"))
    assert (page.province_id, page.city_id, page.county_id) == ("440000", "440100", "440106")


def test_r9_draft_without_province_saves(client, add_url, image):
    draft = assert_draft_saved(post(client, add_url, image, None, province="", city=""))
    assert draft.province_id is None


# R10 Responsible channel ------------------------------------------------------------------

CATEGORIES = ["ministry", "provincial", "municipal", "county", "national_society"]


def test_r10_other_is_not_a_channel_category():
    """The guide's five channel categories; 其他 is for partner units in the library. As a
    channel it routed a unit certified as 其他 past its province's review."""
    org = certified("other")
    errors = model_errors(unsaved_page(channel_category="other", channel=org))
    assert list(errors) == ["channel_category"]
    field = ActivityPage._meta.get_field("channel_category")
    assert [value for value, _label in field.choices] == CATEGORIES


@pytest.mark.parametrize("category", CATEGORIES)
def test_r10_a_certified_organization_of_the_chosen_category_is_accepted(category):
    org = certified(category)
    assert model_errors(unsaved_page(channel_category=category, channel=org)) == {}


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_r10_model_rejects_an_uncertified_channel(status):
    org = pending_org()
    org.status = status
    org.save()
    errors = model_errors(unsaved_page(channel_category="provincial", channel=org))
    assert errors == {"channel": [CHANNEL_NOT_CERTIFIED]}


@pytest.mark.parametrize(
    ("category", "org_category", "org_name", "label"),
    [
        ("provincial", "national_society", "中国数学会", "省科协"),
        ("national_society", "provincial", "广东省科学技术协会", "全国学会"),
        ("ministry", "municipal", "广州市科学技术协会", "有关部委"),
    ],
    ids=["society-as-provincial", "provincial-as-society", "municipal-as-ministry"],
)
def test_r10_model_rejects_a_channel_of_another_category(category, org_category, org_name, label):
    org = Organization.objects.get(name=org_name, category=org_category)
    errors = model_errors(unsaved_page(channel_category=category, channel=org))
    assert errors == {"channel": [category_mismatch(org_name, label)]}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"channel": None}, "channel"), ({"channel_category": ""}, "channel_category")],
    ids=["no-channel", "no-category"],
)
def test_r10_model_requires_category_and_channel(overrides, field):
    assert model_errors(unsaved_page(**overrides)) == {field: [BLANK]}


@pytest.mark.parametrize("category", CATEGORIES)
def test_r10_editor_accepts_a_certified_channel_of_each_category(client, add_url, image, category):
    org = certified(category)
    page = assert_submitted(post(client, add_url, image, channel=org))
    assert (page.channel_category, page.channel) == (category, org)


def test_r10_editor_refuses_a_pending_organization_forged_by_pk(client, add_url, image):
    org = pending_org()
    assert f'value="{org.pk}"' not in client.get(add_url).content.decode()
    response = post(client, add_url, image, channel=org)
    assert_refused(response, "channel", INVALID_CHOICE)


def test_r10_editor_refuses_a_pending_organization_in_a_draft_too(client, add_url, image):
    response = post(client, add_url, image, None, channel=pending_org())
    assert_refused(response, "channel", INVALID_CHOICE)


def test_r10_editor_rejects_a_channel_of_another_category(client, add_url, image):
    society = Organization.objects.get(name="中国数学会", category="national_society")
    response = post(client, add_url, image, channel=society, channel_category="provincial")
    assert_refused(response, "channel", category_mismatch("中国数学会", "省科协"))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"channel": ""}, "channel"), ({"channel_category": ""}, "channel_category")],
    ids=["no-channel", "no-category"],
)
def test_r10_editor_requires_category_and_channel(client, add_url, image, overrides, field):
    data = editor_data(image, factories.channel())
    data.update(overrides)
    assert_refused(client.post(add_url, data), field, REQUIRED)


# R11 Flags and their follow-ups -----------------------------------------------------------

FOLLOW_UPS = {
    "joint-action": ("joint_action_categories", JOINT_ACTION_MISSING),
    "special-action": ("special_action_categories", SPECIAL_ACTION_MISSING),
    "departments-by-name": ("has_partner_departments", DEPARTMENT_MISSING),
    "departments-from-library": ("has_partner_departments", DEPARTMENT_MISSING),
    "societies-by-name": ("has_partner_societies", SOCIETY_MISSING),
    "societies-from-library": ("has_partner_societies", SOCIETY_MISSING),
    "reservation": ("reservation_url", BOOKING_LINK_MISSING),
}


def model_follow_up(kind, filled):
    """Model fields for a "yes" flag with (filled) or without its follow-up."""
    first_joint = JointActionCategory.objects.order_by("sort_order").first()
    first_special = SpecialActionCategory.objects.order_by("sort_order").first()
    ministry = Organization.objects.get(name="教育部")
    society = Organization.objects.get(name="中国数学会")
    rows = {
        "joint-action": {
            "is_joint_action": True,
            "joint_action_categories": [first_joint] if filled else [],
        },
        "special-action": {
            "is_special_action": True,
            "special_action_categories": [first_special] if filled else [],
        },
        "departments-by-name": {
            "has_partner_departments": True,
            "partner_departments": [PartnerDepartment(name="广州市教育局")] if filled else [],
        },
        "departments-from-library": {
            "has_partner_departments": True,
            "partner_departments": [PartnerDepartment(organization=ministry)] if filled else [],
        },
        "societies-by-name": {
            "has_partner_societies": True,
            "partner_societies": [PartnerSociety(name="广东省天文学会")] if filled else [],
        },
        "societies-from-library": {
            "has_partner_societies": True,
            "partner_societies": [PartnerSociety(organization=society)] if filled else [],
        },
        "reservation": {
            "supports_reservation": True,
            "reservation_url": "https://example.com/book" if filled else "",
        },
    }
    return rows[kind]


def editor_follow_up(kind, filled):
    """The editor POST values for the same cases."""
    first_joint = JointActionCategory.objects.order_by("sort_order").first()
    first_special = SpecialActionCategory.objects.order_by("sort_order").first()
    ministry = Organization.objects.get(name="教育部")
    society = Organization.objects.get(name="中国数学会")

    def rows(row):
        return inline_formset([row] if filled else [])

    values = {
        "joint-action": {
            "is_joint_action": "on",
            "joint_action_categories": [first_joint.pk] if filled else [],
        },
        "special-action": {
            "is_special_action": "on",
            "special_action_categories": [first_special.pk] if filled else [],
        },
        "departments-by-name": {
            "has_partner_departments": "on",
            "partner_departments": rows({"organization": "", "name": "广州市教育局"}),
        },
        "departments-from-library": {
            "has_partner_departments": "on",
            "partner_departments": rows({"organization": ministry.pk, "name": ""}),
        },
        "societies-by-name": {
            "has_partner_societies": "on",
            "partner_societies": rows({"organization": "", "name": "广东省天文学会"}),
        },
        "societies-from-library": {
            "has_partner_societies": "on",
            "partner_societies": rows({"organization": society.pk, "name": ""}),
        },
        "reservation": {
            "supports_reservation": "on",
            "reservation_url": "https://example.com/book" if filled else "",
        },
    }
    return values[kind]


@pytest.mark.parametrize("kind", FOLLOW_UPS)
def test_r11_yes_without_its_follow_up_is_rejected(kind):
    field, message = FOLLOW_UPS[kind]
    assert model_errors(unsaved_page(**model_follow_up(kind, filled=False))) == {field: [message]}


@pytest.mark.parametrize("kind", FOLLOW_UPS)
def test_r11_yes_with_its_follow_up_is_accepted(kind):
    assert model_errors(unsaved_page(**model_follow_up(kind, filled=True))) == {}


def test_r11_no_flags_need_no_follow_ups():
    page = unsaved_page(
        is_joint_action=False,
        is_special_action=False,
        is_youth_festival=False,
        has_partner_departments=False,
        has_partner_societies=False,
        supports_reservation=False,
        reservation_url="",
    )
    assert model_errors(page) == {}


@pytest.mark.parametrize("kind", FOLLOW_UPS)
def test_r11_editor_rejects_yes_without_its_follow_up(client, add_url, image, kind):
    field, message = FOLLOW_UPS[kind]
    response = post(client, add_url, image, **editor_follow_up(kind, filled=False))
    assert_refused(response, field, message)


@pytest.mark.parametrize("kind", FOLLOW_UPS)
def test_r11_editor_accepts_yes_with_its_follow_up(client, add_url, image, kind):
    page = assert_submitted(post(client, add_url, image, **editor_follow_up(kind, filled=True)))
    stored = {
        "joint-action": lambda: list(page.joint_action_categories.values_list("name", flat=True)),
        "special-action": lambda: list(
            page.special_action_categories.values_list("name", flat=True)
        ),
        "departments-by-name": lambda: [u.name for u in page.partner_departments.all()],
        "departments-from-library": lambda: [u.name for u in page.partner_departments.all()],
        "societies-by-name": lambda: [u.name for u in page.partner_societies.all()],
        "societies-from-library": lambda: [u.name for u in page.partner_societies.all()],
        "reservation": lambda: [page.reservation_url],
    }[kind]()
    assert (
        stored
        == {
            "joint-action": ["科技志愿服务"],
            "special-action": ["青少年科学素质提升"],
            "departments-by-name": ["广州市教育局"],
            "departments-from-library": ["教育部"],
            "societies-by-name": ["广东省天文学会"],
            "societies-from-library": ["中国数学会"],
            "reservation": ["https://example.com/book"],
        }[kind]
    )


def test_r11_editor_a_deleted_partner_row_does_not_count(client, add_url, image):
    rows = inline_formset([{"organization": "", "name": "广州市教育局", "DELETE": "on"}])
    response = post(client, add_url, image, has_partner_departments="on", partner_departments=rows)
    assert_refused(response, "has_partner_departments", DEPARTMENT_MISSING)


GOOD_LINKS = ["https://example.com/book", "http://example.com/book?id=1"]
BAD_LINKS = ["javascript:alert(1)", "data:text/html,x", "/relative/path", "ftp://x.cn/a"]


@pytest.mark.parametrize("link", GOOD_LINKS)
def test_r11_http_and_https_reservation_links_are_accepted(link):
    page = unsaved_page(supports_reservation=True, reservation_url=link)
    assert model_errors(page) == {}


@pytest.mark.parametrize("link", BAD_LINKS)
def test_r11_other_reservation_links_are_rejected(link):
    page = unsaved_page(supports_reservation=True, reservation_url=link)
    errors = model_errors(page)
    assert set(errors) == {"reservation_url"}
    assert HTTP_LINK in errors["reservation_url"]


@pytest.mark.parametrize("link", GOOD_LINKS)
def test_r11_editor_accepts_http_and_https_reservation_links(client, add_url, image, link):
    response = post(client, add_url, image, supports_reservation="on", reservation_url=link)
    assert assert_submitted(response).reservation_url == link


@pytest.mark.parametrize("action", ["action-submit", None], ids=["submit", "draft"])
@pytest.mark.parametrize("link", BAD_LINKS)
def test_r11_editor_rejects_other_reservation_links(client, add_url, image, link, action):
    response = post(client, add_url, image, action, supports_reservation="on", reservation_url=link)
    assert response.status_code == 200
    errors = errors_of(response).get("reservation_url", [])
    assert {INVALID_URL, HTTP_LINK} & set(errors), errors
    assert not ActivityPage.objects.exists()


@pytest.mark.parametrize("link", BAD_LINKS)
def test_r11_editor_explains_that_links_must_start_with_http(client, add_url, image, link):
    response = post(client, add_url, image, supports_reservation="on", reservation_url=link)
    assert_refused(response, "reservation_url", HTTP_LINK)
    assert BOOKING_LINK_MISSING not in errors_of(response)["reservation_url"]


# R12 Poster -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "fmt"),
    [((600, 600), "PNG"), ((900, 1200), "JPEG"), ((900, 1200), "WEBP"), ((1600, 600), "PNG")],
    ids=["png-600x600", "jpeg", "webp", "landscape-600"],
)
def test_r12_jpeg_png_webp_of_at_least_600_pixels_are_accepted(size, fmt):
    assert model_errors(unsaved_page(poster=factories.poster(size=size, fmt=fmt))) == {}


@pytest.mark.parametrize(
    ("size", "fmt"),
    [((500, 800), "PNG"), ((800, 500), "PNG"), ((599, 1200), "JPEG"), ((900, 300), "WEBP")],
    ids=["png-500x800", "png-800x500", "jpeg-599", "webp-300"],
)
def test_r12_short_side_under_600_pixels_is_rejected(size, fmt):
    errors = model_errors(unsaved_page(poster=factories.poster(size=size, fmt=fmt)))
    assert errors == {"poster": [poster_pixels(*size)]}


def test_r12_gif_is_rejected_with_the_format_message():
    assert model_errors(unsaved_page(poster=gif_image())) == {"poster": [POSTER_FORMAT]}


@pytest.mark.parametrize(
    ("size", "error"),
    [(10 * 2**20, None), (11 * 2**20, poster_too_big(11))],
    ids=["10-MB", "11-MB"],
)
def test_r12_poster_of_more_than_10_mb_is_rejected(size, error):
    image = factories.poster()
    Image.objects.filter(pk=image.pk).update(file_size=size)
    image.refresh_from_db()
    assert model_errors(unsaved_page(poster=image)) == ({"poster": [error]} if error else {})


def test_r12_poster_is_required():
    assert model_errors(unsaved_page(poster=None)) == {"poster": [BLANK]}


def test_r12_editor_requires_a_poster_on_submit(client, add_url, submitter):
    assert_refused(post(client, add_url, None), "poster", REQUIRED)


def test_r12_editor_saves_a_draft_without_a_poster(client, add_url, submitter):
    assert assert_draft_saved(post(client, add_url, None, None)).poster is None


def test_r12_editor_rejects_a_png_with_a_short_side_under_600(client, add_url, submitter):
    small = factories.poster(submitter, size=(500, 800), fmt="PNG")
    assert_refused(post(client, add_url, small), "poster", poster_pixels(500, 800))


def test_r12_editor_rejects_a_gif(client, add_url, submitter):
    # The submitter's own upload: only those are choosable as their poster.
    assert_refused(post(client, add_url, gif_image(owner=submitter)), "poster", POSTER_FORMAT)


@pytest.mark.parametrize(
    ("size", "fmt"), [((600, 600), "PNG"), ((900, 1200), "WEBP")], ids=["png-600x600", "webp"]
)
def test_r12_editor_accepts_png_and_webp(client, add_url, submitter, size, fmt):
    poster = factories.poster(submitter, size=size, fmt=fmt)
    assert assert_submitted(post(client, add_url, poster)).poster == poster


# R13 Content ------------------------------------------------------------------------------

REQUIRED_CONTENT = [
    "details",
    "content",
    "audience",
    "scientists",
    "contact_person",
    "contact_phone",
]
OPTIONAL_CONTENT = {
    "contact_email": "wang@example.com",
    "highlights": "机器人现场编程对抗赛",
    "expected_participants": 300,
    "address": "广州市天河区科学馆一楼",
    "participation_channel": "关注公众号预约",
    "promotion": "广州科协公众号",
}


@pytest.mark.parametrize("field", REQUIRED_CONTENT)
def test_r13_each_key_fact_is_required(field):
    assert model_errors(unsaved_page(**{field: ""})) == {field: [BLANK]}


def test_r13_optional_facts_may_be_empty_or_filled():
    empty = {name: None if name == "expected_participants" else "" for name in OPTIONAL_CONTENT}
    assert model_errors(unsaved_page(**empty)) == {}
    assert model_errors(unsaved_page(**OPTIONAL_CONTENT)) == {}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("details", "null"),  # what Draftail sends when nothing was typed
        ("content", ""),
        ("content", "   "),
        ("audience", ""),
        ("scientists", ""),
        ("contact_person", ""),
        ("contact_phone", ""),
    ],
    ids=[
        "details",
        "content",
        "content-blank",
        "audience",
        "scientists",
        "contact_person",
        "contact_phone",
    ],
)
def test_r13_editor_names_each_missing_key_fact(client, add_url, image, field, value):
    assert_refused(post(client, add_url, image, **{field: value}), field, REQUIRED)


def test_r13_editor_saves_a_draft_without_key_facts(client, add_url, image):
    missing = dict.fromkeys(REQUIRED_CONTENT[1:], "")
    draft = assert_draft_saved(post(client, add_url, image, None, details="null", **missing))
    assert (draft.details, draft.content, draft.contact_phone) == ("", "", "")


def test_r13_editor_submits_with_optional_facts_empty(client, add_url, image):
    page = assert_submitted(post(client, add_url, image))
    assert page.highlights == page.address == page.contact_email == ""
    assert page.expected_participants is None


def test_r13_editor_keeps_optional_facts_when_filled(client, add_url, image):
    page = assert_submitted(post(client, add_url, image, **OPTIONAL_CONTENT))
    assert {name: getattr(page, name) for name in OPTIONAL_CONTENT} == OPTIONAL_CONTENT


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("contact_email", "wang@", zh("Enter a valid email address.")),
        ("expected_participants", "-5", None),
    ],
    ids=["email", "participants"],
)
def test_r13_filled_optional_facts_are_still_validated(
    client, add_url, image, field, value, message
):
    response = post(client, add_url, image, **{field: value})
    assert response.status_code == 200
    errors = errors_of(response)
    assert set(errors) == {field}
    if message:
        assert errors[field] == [message]
    assert not ActivityPage.objects.exists()


# R14 Host and organizer units -------------------------------------------------------------


def test_r14_unit_row_with_neither_organization_nor_name_is_rejected():
    assert unit_errors(HostUnit(organization=None, name="   ")) == {"name": [UNIT_ROW_EMPTY]}


def test_r14_unit_row_typed_as_plain_text_keeps_the_name():
    unit = HostUnit(name="  广州市青少年科技教育协会 ")
    assert unit_errors(unit) == {}
    assert unit.name == "广州市青少年科技教育协会"


def test_r14_unit_row_from_the_library_stores_the_organizations_name():
    org = Organization.objects.get(name="广州市科学技术协会")
    unit = HostUnit(organization=org, name="随手写的名字")
    assert unit_errors(unit) == {}
    assert unit.name == "广州市科学技术协会"


def test_r14_unit_row_with_an_uncertified_organization_is_rejected():
    unit = HostUnit(organization=pending_org("other", "待认证的主办单位"))
    assert unit_errors(unit) == {"organization": [UNIT_NOT_CERTIFIED]}


def test_r14_editor_requires_at_least_one_host_unit(client, add_url, image):
    response = post(client, add_url, image, host_units=[])
    assert_refused(response, "host_units", AT_LEAST_ONE_ROW)
    assert AT_LEAST_ONE_ROW in response.content.decode()


def test_r14_editor_saves_a_draft_without_host_units(client, add_url, image):
    assert_draft_saved(post(client, add_url, image, None, host_units=[]))
    assert not HostUnit.objects.exists()


def test_r14_editor_rejects_a_host_row_with_neither_organization_nor_name(client, add_url, image):
    response = post(client, add_url, image, host_units=[{"organization": "", "name": ""}])
    assert_refused(response, "host_units-0-name", UNIT_ROW_EMPTY)


@pytest.mark.parametrize("typed", ["", "随手写的名字"], ids=["no-name", "other-name"])
def test_r14_editor_host_row_from_the_library_stores_its_name(client, add_url, image, typed):
    org = Organization.objects.get(name="广州市科学技术协会")
    hosts = [{"organization": org.pk, "name": typed}]
    page = assert_submitted(post(client, add_url, image, host_units=hosts))
    assert [(u.organization, u.name) for u in page.host_units.all()] == [
        (org, "广州市科学技术协会")
    ]
    revision = page.get_latest_revision_as_object()
    assert [u.name for u in revision.host_units.all()] == ["广州市科学技术协会"]


def test_r14_editor_refuses_an_uncertified_host_organization(client, add_url, image):
    org = pending_org("other", "待认证的主办单位")
    response = post(client, add_url, image, host_units=[{"organization": org.pk, "name": ""}])
    assert_refused(response, "host_units-0-organization", UNIT_NOT_CERTIFIED)


def test_r14_editor_accepts_several_hosts_and_organizers(client, add_url, image):
    org = Organization.objects.get(name="广东省科学技术协会", category="provincial")
    hosts = [{"organization": org.pk, "name": ""}, {"organization": "", "name": "广州市教育局"}]
    organizers = inline_formset([{"organization": "", "name": "广州市科学技术馆"}])
    page = assert_submitted(
        post(client, add_url, image, host_units=hosts, organizer_units=organizers)
    )
    assert [u.name for u in page.host_units.all()] == ["广东省科学技术协会", "广州市教育局"]
    assert [u.name for u in page.organizer_units.all()] == ["广州市科学技术馆"]


# R15 Campaign window ----------------------------------------------------------------------

WINDOW_MOMENTS = [
    (datetime.datetime(2026, 8, 20, 10, 0, tzinfo=CST), False),
    (datetime.datetime(2026, 8, 20, 23, 59, tzinfo=CST), False),
    (datetime.datetime(2026, 8, 21, 0, 30, tzinfo=CST), True),  # still 20 Aug in UTC
    (datetime.datetime(2026, 9, 30, 23, 30, tzinfo=CST), True),
    (datetime.datetime(2026, 10, 1, 0, 30, tzinfo=CST), False),  # still 30 Sep in UTC
    (datetime.datetime(2026, 10, 1, 10, 0, tzinfo=CST), False),
]
WINDOW_IDS = ["08-20", "08-20-late", "08-21-early", "09-30-late", "10-01-early", "10-01"]
DEFAULT_CLOSED = submission_closed(2026, "2026-08-21", "2026-09-30")


def window_errors(moment):
    page = unsaved_page(start_at=moment + 20 * DAY)
    with override("zh-hans"):
        return {
            field: [str(m) for m in messages]
            for field, messages in page.submission_errors(moment, site=default_site()).items()
        }


@pytest.mark.parametrize(("moment", "is_open"), WINDOW_MOMENTS, ids=WINDOW_IDS)
def test_r15_default_window_is_21_august_to_30_september_beijing_time(moment, is_open):
    assert window_errors(moment) == ({} if is_open else {"__all__": [DEFAULT_CLOSED]})


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (datetime.datetime(2026, 6, 30, 12, 0, tzinfo=CST), False),
        (datetime.datetime(2026, 7, 1, 9, 0, tzinfo=CST), True),
        (datetime.datetime(2026, 7, 31, 20, 0, tzinfo=CST), True),
        (datetime.datetime(2026, 8, 25, 10, 0, tzinfo=CST), False),
    ],
    ids=["06-30", "07-01", "07-31", "08-25"],
)
def test_r15_custom_window_is_honoured(moment, is_open):
    set_window(datetime.date(2026, 7, 1), datetime.date(2026, 7, 31))
    closed = submission_closed(2026, "2026-07-01", "2026-07-31")
    assert window_errors(moment) == ({} if is_open else {"__all__": [closed]})


@pytest.mark.parametrize(("moment", "is_open"), WINDOW_MOMENTS, ids=WINDOW_IDS)
def test_r15_editor_submits_only_inside_the_window(
    client, add_url, submitter, image, moment, is_open
):
    with signed_in_at(client, submitter, moment):
        response = post(client, add_url, image, start_at=moment + 20 * DAY)
    if is_open:
        assert_submitted(response)
    else:
        assert_refused(response, "__all__", DEFAULT_CLOSED)
        body = html.unescape(response.content.decode())
        assert DEFAULT_CLOSED in body
        assert "2026-08-21" in body and "2026-09-30" in body


@pytest.mark.parametrize(("moment", "is_open"), WINDOW_MOMENTS, ids=WINDOW_IDS)
@pytest.mark.parametrize("zone", ["Pacific/Honolulu", "Pacific/Kiritimati"])
def test_r15_the_window_is_beijing_days_in_any_active_zone(moment, is_open, zone):
    """Wagtail's admin runs each request in the user's chosen zone: the window was judged
    by the user's own calendar."""
    with timezone.override(ZoneInfo(zone)):
        assert window_errors(moment) == ({} if is_open else {"__all__": [DEFAULT_CLOSED]})


def test_r15_an_admin_time_zone_chosen_before_no_longer_applies(client, add_url, submitter, image):
    """A submitter who had chosen Honolulu on the account page: a start typed as 09:00 was
    stored as 09:00 in Honolulu, and the campaign stayed open into Beijing's next day."""
    import importlib

    from django.apps import apps
    from wagtail.admin.localization import get_available_admin_time_zones
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(submitter)
    profile.current_time_zone = "Pacific/Honolulu"
    profile.save()
    migration = importlib.import_module("accounts.migrations.0005_one_admin_time_zone")
    migration.clear_chosen_zones(apps, None)
    assert get_available_admin_time_zones() == ["Asia/Shanghai"]

    closed_in_beijing = datetime.datetime(2026, 10, 1, 0, 30, tzinfo=CST)  # 30 Sep, Honolulu
    with signed_in_at(client, submitter, closed_in_beijing):
        assert "Pacific/Honolulu" not in client.get("/admin/account/").content.decode()
        response = post(client, add_url, image, start_at=closed_in_beijing + 20 * DAY)
    assert_refused(response, "__all__", DEFAULT_CLOSED)

    with signed_in_at(client, submitter, datetime.datetime(2026, 9, 1, 10, 0, tzinfo=CST)):
        page = assert_submitted(
            post(client, add_url, image, start_at=datetime.datetime(2026, 9, 20, 9, 0, tzinfo=CST))
        )
    assert timezone.localtime(page.start_at, CST).hour == 9


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (datetime.datetime(2026, 7, 15, 10, 0, tzinfo=CST), True),
        (datetime.datetime(2026, 9, 1, 10, 0, tzinfo=CST), False),
    ],
    ids=["07-15", "09-01"],
)
def test_r15_editor_honours_a_custom_window(client, add_url, submitter, image, moment, is_open):
    set_window(datetime.date(2026, 7, 1), datetime.date(2026, 7, 31))
    with signed_in_at(client, submitter, moment):
        response = post(client, add_url, image, start_at=moment + 20 * DAY)
    if is_open:
        assert_submitted(response)
    else:
        closed = submission_closed(2026, "2026-07-01", "2026-07-31")
        assert_refused(response, "__all__", closed)
        assert closed in html.unescape(response.content.decode())


@pytest.mark.parametrize(
    "moment",
    [
        datetime.datetime(2026, 1, 15, 10, 0, tzinfo=CST),
        datetime.datetime(2026, 8, 20, 10, 0, tzinfo=CST),
        datetime.datetime(2026, 9, 1, 10, 0, tzinfo=CST),
        datetime.datetime(2026, 10, 1, 10, 0, tzinfo=CST),
        datetime.datetime(2026, 12, 31, 23, 0, tzinfo=CST),
    ],
    ids=["01-15", "08-20", "09-01", "10-01", "12-31"],
)
def test_r15_drafts_save_any_day(client, add_url, submitter, image, moment):
    with signed_in_at(client, submitter, moment):
        response = post(client, add_url, image, None, start_at=moment + 20 * DAY)
    assert_draft_saved(response)


def test_r15_draft_saved_before_the_window_is_submitted_once_it_opens(
    client, add_url, submitter, image
):
    before = datetime.datetime(2026, 8, 20, 10, 0, tzinfo=CST)
    start = before + 20 * DAY
    with signed_in_at(client, submitter, before):
        assert_draft_saved(post(client, add_url, image, None, start_at=start))
        page = ActivityPage.objects.get()
        refused = post(client, EDIT_URL.format(pk=page.pk), image, start_at=start)
        assert refused.status_code == 200
        assert DEFAULT_CLOSED in errors_of(refused)["__all__"]
    with signed_in_at(client, submitter, before + DAY):
        response = post(client, EDIT_URL.format(pk=page.pk), image, start_at=start)
    assert response.status_code == 302, errors_of(response)
    assert WorkflowState.objects.for_instance(page).filter(status="in_progress").exists()


def test_r15_refused_submission_does_not_claim_an_unsaved_draft_was_saved(
    client, add_url, submitter, image
):
    with signed_in_at(client, submitter, datetime.datetime(2026, 10, 1, 10, 0, tzinfo=CST)):
        response = post(client, add_url, image)
    assert response.status_code == 200
    claims_saved = "草稿已保存" in html.unescape(response.content.decode())
    assert not claims_saved or ActivityPage.objects.exists()


def test_r15_changes_requested_in_the_window_are_resubmitted_after_it(
    client, add_url, submitter, image
):
    """The window bounds new submissions, not the corrections a review asked for: changes
    requested on 30 September could otherwise never be resubmitted. A new submission after
    the window is still refused."""
    from accounts import roles

    last_day = datetime.datetime(2026, 9, 30, 10, 0, tzinfo=CST)
    start = last_day + 20 * DAY
    with signed_in_at(client, submitter, last_day):
        assert_submitted(post(client, add_url, image, start_at=start))
        page = ActivityPage.objects.get()
        state = WorkflowState.objects.for_instance(page).get().current_task_state
        moderator = factories.user(roles.PROVINCE_MODERATORS, province="440000")
        state.task.specific.on_action(
            state, moderator, "reject", comment="请补充地点", reasons=["poster"]
        )
    after = last_day + 3 * DAY
    with signed_in_at(client, submitter, after):
        response = post(client, EDIT_URL.format(pk=page.pk), image, start_at=start)
        assert response.status_code == 302, errors_of(response)
        assert WorkflowState.objects.for_instance(page).get().status == "in_progress"
        refused = post(client, add_url, image, start_at=start, title="窗口关闭后的新活动")
        assert DEFAULT_CLOSED in errors_of(refused)["__all__"]


STARTED = "活动已经开始，修改不能再提交审核；网站上仍显示已通过的版本。"


def test_r8_r23_a_correction_of_a_started_live_activity_says_why_it_cannot_be_submitted(
    client, submitter
):
    """Found by a new user's audit: the unit corrected only the phone of an approved
    activity that had begun, and "submit" blamed the start time they had not touched. R8
    still holds (no submission after the start); the message now says what happened, and a
    start moved into the past is still the start's error."""
    page = factories.activity(
        owner=submitter, publish=True, start_at=timezone.now() - DAY, title="已开始的活动"
    )
    client.force_login(submitter)
    from .editor import open_editor

    data = open_editor(client, page)
    data["contact_phone"] = ["020-87654321"]
    data["action-submit"] = ["1"]
    response = client.post(EDIT_URL.format(pk=page.pk), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert STARTED in html and START_NOT_LATER not in html
    assert 'value="020-87654321"' in html

    data["start_at"] = [timezone.localtime(timezone.now() - 2 * DAY).strftime("%Y-%m-%d %H:%M")]
    response = client.post(EDIT_URL.format(pk=page.pk), data)
    assert response.status_code == 200
    assert START_NOT_LATER in response.content.decode()


@pytest.mark.parametrize(
    ("start", "end", "refused"),
    [
        (datetime.date(2026, 8, 21), datetime.date(2026, 9, 30), True),  # last year's, left
        (datetime.date(2028, 1, 1), datetime.date(2028, 2, 1), True),
        (datetime.date(2026, 11, 7), datetime.date(2027, 2, 5), False),  # into the year
        (datetime.date(2027, 12, 1), datetime.date(2028, 1, 31), False),  # out of it
        (None, None, False),  # 21 August to 30 September of the year
    ],
)
def test_r15_the_window_must_include_days_of_the_campaign_year(start, end, refused):
    """Found by an audit: year 2027 saved with last year's window closed submission for the
    whole campaign, with a message naming a 2026 window for the 2027 campaign."""
    from django.core.exceptions import ValidationError

    campaign = CampaignSettings.for_site(default_site())
    campaign.year, campaign.window_start, campaign.window_end = 2027, start, end
    if not refused:
        campaign.full_clean()
        return
    with override("zh-hans"), pytest.raises(ValidationError) as error:
        campaign.full_clean()
    assert error.value.message_dict["window_start"] == [
        "发布时间段须包含2027年度活动的日期：请修改日期，或留空（默认为8月21日至9月30日）。"
    ]
