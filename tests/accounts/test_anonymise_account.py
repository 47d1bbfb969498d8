"""R1, PIPL art. 47 (个人信息删除权 / 账号注销): the privacy policy tells people to ask the
platform's support to close their account and delete or anonymise their personal
information, and nothing could do it: deletion is refused for owners of activities, and
deactivation kept the number, name, e-mail, picture, sessions and login records.

"Close and anonymise account" (accounts.anonymise; a user bulk action for platform
administrators and superusers, one account from its editor, and `manage.py
anonymise_account <phone>` for support staff) keeps the row, which owns activities and
history, and removes everything that identifies or reaches the person."""

import io
import re

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils.translation import gettext, override
from PIL import Image
from wagtail.models import ModelLogEntry
from wagtail.users.models import UserProfile

from accounts import roles
from accounts.anonymise import AnonymiseRefused, anonymise, anonymised_name
from accounts.models import User
from activities.models import ActivityPage
from tests import factories
from tests.workflow.conftest import submit

pytestmark = pytest.mark.django_db

PASSWORD = "test-pass-2026-x"  # tests.factories.user
BULK = "/admin/bulk/accounts/user/anonymise/?id={pk}&next=/admin/users/"
EDIT = "/admin/users/edit/{pk}/"
CLOSED = "已注销用户 #{pk}"  # the proposed zh_Hans of "Closed account #%(id)s"
ACTIVITIES_STAY = (
    "Their activities stay published as they are, including the contact person and contact "
    "phone typed on them. If the person asks, take those activities down or edit their "
    "contact details: closing the account does not."
)


def zh(message):
    """As the (Chinese) admin shows it."""
    with override("zh-hans"):
        return gettext(message)


@pytest.fixture
def person():
    user = factories.submitter(
        real_name="陈晓", email="chenxiao@example.cn", organization=factories.channel()
    )
    return user


@pytest.fixture
def platform_admin():
    return factories.user(roles.ADMINISTRATORS, real_name="平台管理员")


def png():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (30, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def axes_rows(phone):
    fields = {
        "username": phone,
        "ip_address": "203.0.113.7",
        "user_agent": "Mozilla/5.0",
        "http_accept": "*/*",
        "path_info": "/admin/login/",
    }
    AccessAttempt.objects.create(**fields, get_data="", post_data="", failures_since_start=2)
    AccessFailureLog.objects.create(**fields)
    AccessLog.objects.create(**fields)


def axes_count(phone):
    return sum(
        model.objects.filter(username=phone).count()
        for model in (AccessAttempt, AccessFailureLog, AccessLog)
    )


def close_in_admin(client, user, by):
    client.force_login(by)
    confirmation = client.get(BULK.format(pk=user.pk))
    assert confirmation.status_code == 200
    assert [item["item"] for item in confirmation.context["items"]] == [user]
    response = client.post(BULK.format(pk=user.pk))
    assert response.status_code == 302
    return confirmation, response


def assert_anonymised(user, old_phone):
    user.refresh_from_db()
    assert user.phone != old_phone and not user.phone.isdigit()
    assert user.real_name == anonymised_name(user)
    assert user.email == "" and user.organization_id is None and user.province_id is None
    assert not user.is_active and not user.has_usable_password()
    assert not user.groups.exists() and not user.is_superuser
    assert not user.is_real_name_verified


@pytest.mark.parametrize("who", ["platform_admin", "superuser"])
def test_an_administrator_closes_an_account_in_the_admin(client, person, who, request):
    """Through the real admin: the confirmation says what goes and that the activities and
    their contact details stay; the POST closes the account and keeps its activities."""
    by = request.getfixturevalue(who)
    page = factories.activity(owner=person, contact_person="陈晓", contact_phone="13812345678")
    old_phone = person.phone
    confirmation, response = close_in_admin(client, person, by)
    text = re.sub(r"\s+", " ", confirmation.content.decode())
    assert "陈晓" in text and old_phone in text
    assert zh(ACTIVITIES_STAY) in text
    assert_anonymised(person, old_phone)
    assert list(ActivityPage.objects.filter(owner=person)) == [page.specific]
    page.refresh_from_db()
    assert page.specific.contact_person == "陈晓"  # on the page: the administrator's call
    entry = ModelLogEntry.objects.get(action="accounts.anonymise", object_id=str(person.pk))
    assert entry.user_id == by.pk
    assert entry.label == anonymised_name(person)
    assert entry.data == {"source": "admin"}


def test_the_action_is_offered_from_the_users_editor_and_list(client, person, platform_admin):
    client.force_login(platform_admin)
    url = BULK.format(pk=person.pk).split("&")[0]
    assert url in client.get(EDIT.format(pk=person.pk)).content.decode()
    assert url in client.get("/admin/users/").content.decode()


def test_a_province_moderator_may_not_close_accounts(client, person):
    moderator = factories.user(roles.PROVINCE_MODERATORS, province="440000", real_name="审核员")
    client.force_login(moderator)
    # Wagtail answers a refused admin page with a redirect to the dashboard and a message.
    for response in (client.get(BULK.format(pk=person.pk)), client.post(BULK.format(pk=person.pk))):
        assert response.status_code in (302, 403)
        assert response.status_code == 403 or response["Location"] == "/admin/"
    assert EDIT.format(pk=person.pk) not in client.get("/admin/").content.decode()
    person.refresh_from_db()
    assert person.is_active and person.real_name == "陈晓"


def test_a_platform_admin_may_not_close_a_superuser(client, platform_admin, superuser):
    factories.user(None, real_name="另一位超级管理员", is_superuser=True)
    client.force_login(platform_admin)
    page = client.get(BULK.format(pk=superuser.pk))
    assert page.context["items"] == [] and page.context["items_with_no_access"] == [superuser]
    client.post(BULK.format(pk=superuser.pk))
    superuser.refresh_from_db()
    assert superuser.is_active and superuser.real_name == "超级管理员"


def test_the_old_number_no_longer_logs_in_and_registers_anew(client, person, platform_admin):
    old_phone = person.phone
    close_in_admin(client, person, platform_admin)
    client.logout()
    person.refresh_from_db()
    # Nor does the placeholder: no typed number becomes it (normalize_mobile drops "-").
    for login in ("/accounts/login/", "/admin/login/"):
        for typed in (old_phone, person.phone):
            response = client.post(login, {"username": typed, "password": PASSWORD})
            assert response.status_code == 200, (login, typed)
            assert "_auth_user_id" not in client.session
    response = client.post(
        "/accounts/register/",
        {
            "phone": old_phone,
            "real_name": "新的主人",
            "password1": "Kepu-Day-2026!",
            "password2": "Kepu-Day-2026!",
            "consent": "on",
            "organization": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    newcomer = User.objects.get(phone=old_phone)
    assert newcomer.pk != person.pk and newcomer.real_name == "新的主人"
    assert not ActivityPage.objects.filter(owner=newcomer).exists()


def test_the_persons_sessions_are_deleted_from_the_cache_too(client, person, settings):
    """Production keeps sessions in the cache and the table (cached_db): both go."""
    from django.test import Client

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    theirs = Client()
    theirs.force_login(person)
    key = theirs.session.session_key
    assert theirs.get("/admin/").status_code == 200
    cache_key = "django.contrib.sessions.cached_db" + key
    assert caches[settings.SESSION_CACHE_ALIAS].get(cache_key) is not None

    removed = anonymise(person, by=factories.user(roles.ADMINISTRATORS, real_name="管理员"))

    assert removed["sessions"] == 1
    assert not Session.objects.filter(session_key=key).exists()
    assert caches[settings.SESSION_CACHE_ALIAS].get(cache_key) is None
    response = theirs.get("/admin/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_profile_picture_file_is_deleted(person, django_capture_on_commit_callbacks):
    profile = UserProfile.get_for_user(person)
    profile.avatar.save("face.png", ContentFile(png()))
    name = profile.avatar.name
    assert default_storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        anonymise(person, by=None)
    assert not default_storage.exists(name)
    profile.refresh_from_db()
    assert not profile.avatar


def test_login_records_of_the_number_are_deleted_and_others_kept(person):
    axes_rows(person.phone)
    axes_rows("13800138000")
    old_phone = person.phone
    anonymise(person)
    assert axes_count(old_phone) == 0
    assert axes_count("13800138000") == 3


def test_the_listings_show_the_closed_account_not_the_name(client, person):
    """The review desk and 全部活动 name the submitter: now 已注销用户 #id."""
    national = factories.user(roles.NATIONAL_MODERATORS, real_name="全国审核员")
    guangdong = factories.user(roles.PROVINCE_MODERATORS, province="440000", real_name="广东")
    submit(factories.activity(owner=person, title="陈晓的科普活动"), person)
    anonymise(person)
    for user, url in (
        (national, "/admin/all-activities/"),
        (guangdong, "/admin/all-activities/"),
        (guangdong, "/admin/review/"),
    ):
        client.force_login(user)
        page = client.get(url).content.decode()
        assert "陈晓的科普活动" in page, url
        assert CLOSED.format(pk=person.pk) in page, url
        assert "陈晓" not in page.replace("陈晓的科普活动", ""), url


def test_earlier_audit_entries_about_the_account_lose_the_name(person, platform_admin):
    from wagtail.log_actions import log

    log(instance=person, action="wagtail.edit", user=platform_admin)
    anonymise(person, by=platform_admin)
    labels = set(
        ModelLogEntry.objects.filter(object_id=str(person.pk)).values_list("label", flat=True)
    )
    assert labels == {anonymised_name(person)}


def test_an_account_already_closed_is_refused(client, person, platform_admin):
    anonymise(person, by=platform_admin)
    person.refresh_from_db()
    with pytest.raises(AnonymiseRefused, match="already closed"), override("en"):
        anonymise(person, by=platform_admin)
    client.force_login(platform_admin)
    page = client.get(BULK.format(pk=person.pk))
    assert page.context["items"] == []
    assert [user for user, _reason in page.context["refused"]] == [person]
    with override("zh-hans"):
        refused = gettext("%(name)s is already closed and anonymised.") % {"name": person}
    assert refused in page.content.decode()
    client.post(BULK.format(pk=person.pk))
    assert ModelLogEntry.objects.filter(action="accounts.anonymise").count() == 1


def test_nobody_closes_their_own_account_or_the_last_superuser(client, superuser):
    client.force_login(superuser)
    page = client.get(BULK.format(pk=superuser.pk))
    assert page.context["items"] == []
    client.post(BULK.format(pk=superuser.pk))
    superuser.refresh_from_db()
    assert superuser.is_active
    with pytest.raises(AnonymiseRefused):
        anonymise(superuser, by=None)  # the shell: the last active superuser
    other = factories.user(None, real_name="另一位", is_superuser=True)
    anonymise(superuser, by=other)
    superuser.refresh_from_db()
    assert not superuser.is_active


def test_the_command_closes_an_account(person, platform_admin):
    axes_rows(person.phone)
    old_phone = person.phone
    out = io.StringIO()
    spaced = f"+86 {old_phone[:3]} {old_phone[3:7]} {old_phone[7:]}"
    call_command(
        "anonymise_account", spaced, "--by", platform_admin.phone, "--no-input", stdout=out
    )
    assert "closed and anonymised" in out.getvalue()
    assert_anonymised(person, old_phone)
    assert axes_count(old_phone) == 0
    entry = ModelLogEntry.objects.get(action="accounts.anonymise", object_id=str(person.pk))
    assert entry.user_id == platform_admin.pk
    assert entry.data == {"source": "manage.py anonymise_account"}
    with pytest.raises(CommandError, match="No account"):
        call_command("anonymise_account", old_phone, "--no-input", stdout=io.StringIO())


def test_the_command_refuses_a_closed_account_and_an_unauthorised_operator(person):
    with pytest.raises(CommandError):
        call_command(
            "anonymise_account",
            person.phone,
            "--by",
            factories.submitter().phone,
            "--no-input",
            stdout=io.StringIO(),
        )
    person.refresh_from_db()
    assert person.is_active
    old_phone = person.phone
    anonymise(person)
    person.refresh_from_db()
    # Neither the old number nor the placeholder (which no typed number becomes) finds it.
    for typed in (old_phone, person.phone):
        with pytest.raises(CommandError, match="a closed account has none"):
            call_command("anonymise_account", typed, "--no-input", stdout=io.StringIO())
