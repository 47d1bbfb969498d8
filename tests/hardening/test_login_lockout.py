"""Login throttling (issue #9): django-axes locks an account after LOGIN_FAILURE_LIMIT wrong
passwords, however its number is spelled, and a client address after LOGIN_IP_FAILURE_LIMIT;
the pause ends after LOGIN_LOCKOUT_MINUTES or when an administrator lifts it. Both login
pages answer a locked-out attempt with a translated 429 page. Attempts are stored in the
database, so each test starts with none."""

import base64
import datetime
import io
import re

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone
from django.utils.translation import gettext, override

from accounts import roles
from accounts.lockout import client_ip
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "test-pass-2026-x"  # what tests.factories.user gives every account
LOGIN_URLS = ["/admin/login/", "/accounts/login/"]


def zh(message):
    with override("zh-hans"):
        return gettext(message)


# Whatever locale/zh_Hans/LC_MESSAGES/django.po says ("登录失败次数过多").
LOCKED_TITLE = zh("Too many failed logins")
LOCKED_EN = "logging in with this mobile number or from this network is paused for 15 minutes"
SPELLINGS = [
    "{n}",
    "+86 {n:.3} {n2} {n3}",
    "{n:.3}-{n2}-{n3}",
    "0086{n}",
    "{wide}",
]


def spell(number, pattern):
    wide = number.translate({ord(d): chr(0xFF10 + int(d)) for d in "0123456789"})
    return pattern.format(n=number, n2=number[3:7], n3=number[7:], wide=wide)


WRONG = "wrong-password-1"


def attempt(client, url, username, password=WRONG, address="198.51.100.7", **extra):
    return client.post(
        url, {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def logged_in(client, user):
    return client.session.get("_auth_user_id") == str(user.pk)


@pytest.fixture
def account(db):
    return factories.submitter(real_name="锁定测试用户")


@pytest.mark.parametrize("url", LOGIN_URLS)
def test_five_failures_in_any_spelling_lock_the_account(client, account, url):
    responses = [attempt(client, url, spell(account.phone, pattern)) for pattern in SPELLINGS]
    # The form again with its error four times; the fifth failure is answered with the pause.
    assert [response.status_code for response in responses] == [200, 200, 200, 200, 429]
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {account.phone}

    # The right password no longer helps, in any spelling, on either login page.
    for other_url in LOGIN_URLS:
        response = attempt(client, other_url, f"+86 {account.phone}", PASSWORD)
        assert response.status_code == 429
        assert LOCKED_TITLE in response.content.decode()
        assert not logged_in(client, account)


def test_four_failures_do_not_lock_and_a_success_clears_them(client, account):
    for _ in range(4):
        attempt(client, "/admin/login/", account.phone)
    response = attempt(client, "/admin/login/", account.phone, PASSWORD)
    assert response.status_code == 302
    assert logged_in(client, account)
    assert not AccessAttempt.objects.filter(username=account.phone).exists()


def test_the_account_stays_locked_from_another_address(client, account):
    for _ in range(5):
        attempt(client, "/accounts/login/", account.phone, address="198.51.100.7")
    response = attempt(client, "/accounts/login/", account.phone, PASSWORD, address="203.0.113.5")
    assert response.status_code == 429


def test_another_account_from_the_same_address_still_logs_in(client, account):
    for _ in range(5):
        attempt(client, "/admin/login/", account.phone)
    colleague = factories.submitter(real_name="同一办公室的同事")
    response = attempt(client, "/admin/login/", colleague.phone, PASSWORD)
    assert response.status_code == 302
    assert logged_in(client, colleague)


def test_one_address_spraying_many_accounts_is_locked(client, account, settings):
    settings.LOGIN_IP_FAILURE_LIMIT = 8
    for index in range(8):
        attempt(client, "/admin/login/", f"1390000{index:04d}", address="192.0.2.10")
    # Each of those numbers failed once only; the address is what is paused.
    locked = attempt(client, "/admin/login/", account.phone, PASSWORD, address="192.0.2.10")
    assert locked.status_code == 429
    assert not logged_in(client, account)
    elsewhere = attempt(client, "/admin/login/", account.phone, PASSWORD, address="192.0.2.11")
    assert elsewhere.status_code == 302
    assert logged_in(client, account)


def test_a_success_does_not_clear_the_addresss_failures_on_other_accounts(
    client, account, settings
):
    settings.LOGIN_IP_FAILURE_LIMIT = 6
    for index in range(5):
        attempt(client, "/admin/login/", f"1390000{index:04d}", address="192.0.2.20")
    # The attacker's own valid account logs in from the same address …
    ok = attempt(client, "/admin/login/", account.phone, PASSWORD, address="192.0.2.20")
    assert ok.status_code == 302
    client.logout()
    # … and one more guess still reaches the address limit.
    attempt(client, "/admin/login/", "13900009999", address="192.0.2.20")
    locked = attempt(client, "/admin/login/", account.phone, PASSWORD, address="192.0.2.20")
    assert locked.status_code == 429


def test_the_pause_ends_after_the_cool_off(client, account):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            attempt(client, "/admin/login/", account.phone)
        assert attempt(client, "/admin/login/", account.phone, PASSWORD).status_code == 429
    with time_machine.travel(start + datetime.timedelta(minutes=14), tick=False):
        assert attempt(client, "/admin/login/", account.phone, PASSWORD).status_code == 429
    with time_machine.travel(start + datetime.timedelta(minutes=15, seconds=1), tick=False):
        response = attempt(client, "/admin/login/", account.phone, PASSWORD)
        assert response.status_code == 302
        assert logged_in(client, account)


def test_attempts_while_paused_do_not_extend_the_pause(client, account):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            attempt(client, "/admin/login/", account.phone)
    with time_machine.travel(start + datetime.timedelta(minutes=10), tick=False):
        for _ in range(3):
            assert attempt(client, "/admin/login/", account.phone).status_code == 429
    with time_machine.travel(start + datetime.timedelta(minutes=15, seconds=1), tick=False):
        assert attempt(client, "/admin/login/", account.phone, PASSWORD).status_code == 302


def test_limits_come_from_the_settings(client, account, settings):
    settings.AXES_FAILURE_LIMIT = 2
    attempt(client, "/admin/login/", account.phone)
    attempt(client, "/admin/login/", account.phone)
    assert attempt(client, "/admin/login/", account.phone, PASSWORD).status_code == 429


# --- the lockout page ----------------------------------------------------------------------


def lock(client, account):
    for _ in range(5):
        attempt(client, "/admin/login/", account.phone)


def test_admin_lockout_page_is_the_admins_and_in_chinese(client, account):
    lock(client, account)
    response = attempt(client, "/admin/login/", account.phone, PASSWORD)
    html = response.content.decode()
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    assert 'class="login"' in html and "wagtailadmin/css/core.css" in html
    assert LOCKED_TITLE in html
    assert 'href="/admin/login/"' in html


def test_site_lockout_page_is_the_sites_and_in_english_when_chosen(client, account, settings):
    lock(client, account)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = attempt(client, "/accounts/login/", account.phone, PASSWORD)
    html = response.content.decode()
    assert response.status_code == 429
    assert "site-header" in html
    assert "Too many failed logins" in html and LOCKED_EN in html
    assert 'href="/accounts/login/"' in html


def test_a_number_too_long_for_the_form_is_refused_without_an_attempt(client):
    response = attempt(client, "/admin/login/", "1" * 300)
    assert response.status_code == 200
    assert not AccessAttempt.objects.exists()
    response = attempt(client, "/accounts/login/", "１" * 21)
    assert response.status_code == 200


@pytest.mark.parametrize("url", LOGIN_URLS)
def test_hostile_login_input_is_a_form_error_never_a_crash(client, url):
    # NUL cannot be stored in PostgreSQL text: it must never reach the attempt records.
    for username, password in [
        ("\x00", WRONG),
        ("1380013800\x00", WRONG),
        ("9" * 5000, WRONG),
        ("13800138000", "\x00" + WRONG),
        ("13800138000", "x" * 5000),
        ("<script>alert(1)</script>", WRONG),
    ]:
        response = attempt(client, url, username, password)
        assert response.status_code == 200, (username[:20], password[:20])
    assert all(
        "\x00" not in (row or "")
        for row in AccessAttempt.objects.values_list("username", flat=True)
    )


@pytest.mark.parametrize("url", LOGIN_URLS)
def test_login_fields_take_a_number_typed_with_prefix_and_spaces(client, url):
    html = client.get(url).content.decode()
    assert 'maxlength="20"' in html
    assert 'inputmode="tel"' in html


# --- the client address behind a proxy ---------------------------------------------------


def test_forwarded_for_is_ignored_without_a_trusted_proxy(client, account, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.LOGIN_IP_FAILURE_LIMIT = 5
    for index in range(5):
        attempt(
            client,
            "/admin/login/",
            f"1390000{index:04d}",
            address="192.0.2.30",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{index}",
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"192.0.2.30"}
    locked = attempt(client, "/admin/login/", account.phone, PASSWORD, address="192.0.2.30")
    assert locked.status_code == 429


def test_behind_one_trusted_proxy_the_address_it_saw_counts(client, account, settings):
    """nginx appends the address it saw; whatever the client put before it is ignored."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_IP_FAILURE_LIMIT = 5
    for index in range(5):
        attempt(
            client,
            "/admin/login/",
            f"1390000{index:04d}",
            address="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"10.9.9.{index}, 203.0.113.77",
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.77"}
    same_client = attempt(
        client,
        "/admin/login/",
        account.phone,
        PASSWORD,
        address="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.77",
    )
    assert same_client.status_code == 429
    other_client = attempt(
        client,
        "/admin/login/",
        account.phone,
        PASSWORD,
        address="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.78",
    )
    assert other_client.status_code == 302


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.1", "192.0.2.1"),
        (1, "203.0.113.1", "203.0.113.1"),
        (1, "6.6.6.6, 203.0.113.1", "203.0.113.1"),
        (2, "6.6.6.6, 203.0.113.1, 10.0.0.2", "203.0.113.1"),
        (2, "203.0.113.1", "192.0.2.1"),  # fewer hops than proxies: not trusted
        (1, "not-an-address", "192.0.2.1"),
        (1, "", "192.0.2.1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip(rf, settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


# --- unlocking ---------------------------------------------------------------------------


@pytest.fixture
def platform_admin(db):
    return factories.user(roles.ADMINISTRATORS, real_name="平台管理员")


def test_lockouts_page_lists_and_unlocks_an_account(client, account, platform_admin):
    lock(client, account)
    client.force_login(platform_admin)
    page = client.get("/admin/login-lockouts/")
    html = page.content.decode()
    assert page.status_code == 200
    assert account.phone in html and "锁定测试用户" in html
    response = client.post("/admin/login-lockouts/", {"username": f"+86 {account.phone}"})
    assert (response.status_code, response["Location"]) == (302, "/admin/login-lockouts/")
    assert not AccessAttempt.objects.filter(username=account.phone).exists()
    client.logout()
    assert attempt(client, "/admin/login/", account.phone, PASSWORD).status_code == 302


def test_lockouts_page_unlocks_an_address(client, account, platform_admin, settings):
    settings.LOGIN_IP_FAILURE_LIMIT = 3
    for index in range(3):
        attempt(client, "/admin/login/", f"1390000{index:04d}", address="192.0.2.40")
    locked = attempt(client, "/admin/login/", account.phone, PASSWORD, address="192.0.2.40")
    assert locked.status_code == 429
    client.force_login(platform_admin)
    assert "192.0.2.40" in client.get("/admin/login-lockouts/").content.decode()
    client.post("/admin/login-lockouts/", {"ip_address": "192.0.2.40"})
    client.logout()
    unlocked = attempt(client, "/admin/login/", account.phone, PASSWORD, address="192.0.2.40")
    assert unlocked.status_code == 302


def test_lockouts_page_refuses_bad_input_and_other_roles(client, account, platform_admin):
    client.force_login(platform_admin)
    response = client.post("/admin/login-lockouts/", {"ip_address": "not an address"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/admin/login-lockouts/"
    response = client.post("/admin/login-lockouts/", {}, follow=True)
    assert response.status_code == 200
    for role in (roles.SUBMITTERS, roles.PROVINCE_MODERATORS, roles.NATIONAL_MODERATORS):
        client.force_login(factories.user(role, province="440000"))
        lock_page = client.get("/admin/login-lockouts/")
        assert (lock_page.status_code, lock_page["Location"]) == (302, "/admin/")
        client.post("/admin/login-lockouts/", {"username": account.phone})
    client.logout()
    assert client.get("/admin/login-lockouts/")["Location"].startswith("/admin/login/")


def test_axes_reset_command_unlocks_by_the_stored_number(client, account):
    lock(client, account)
    call_command("axes_reset_username", account.phone, stdout=io.StringIO())
    assert attempt(client, "/admin/login/", account.phone, PASSWORD).status_code == 302


# --- set_password ------------------------------------------------------------------------


def test_set_password_command_sets_validates_and_unlocks(client, account, monkeypatch):
    lock(client, account)
    monkeypatch.setattr("sys.stdin", io.StringIO("Reset-from-shell-2026\n"))
    out = io.StringIO()
    typed = f"+86 {account.phone[:3]} {account.phone[3:]}"
    call_command("set_password", typed, "--stdin", stdout=out)
    assert account.phone in out.getvalue()
    account.refresh_from_db()
    assert account.check_password("Reset-from-shell-2026")
    response = attempt(client, "/admin/login/", account.phone, "Reset-from-shell-2026")
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short-1", "password_too_short"),
        ("1234567890123", "password_entirely_numeric"),
        ("{phone}-kepuri", "password_contains_mobile"),
    ],
)
def test_set_password_command_refuses_weak_passwords(account, monkeypatch, password, code):
    password = password.format(phone=account.phone)
    with pytest.raises(ValidationError) as refused:
        validate_password(password, account)
    assert code in {error.code for error in refused.value.error_list}
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    with pytest.raises(CommandError, match=re.escape(refused.value.messages[0])):
        call_command("set_password", account.phone, "--stdin", stdout=io.StringIO())
    account.refresh_from_db()
    assert account.check_password(PASSWORD)


def test_set_password_command_unknown_number_and_no_terminal(account, monkeypatch):
    with pytest.raises(CommandError, match="No account"):
        call_command("set_password", "13912345678", "--stdin", stdout=io.StringIO())
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(CommandError, match="use --stdin"):
        call_command("set_password", account.phone, stdout=io.StringIO())


# --- self-service reset by e-mail --------------------------------------------------------


def without_csrf(html):
    return re.sub(r'"CSRF_TOKEN": "[^"]+"', "", html)


def test_password_reset_by_email_does_not_tell_whether_an_account_exists(client, settings):
    settings.LANGUAGE_CODE = "en"
    factories.submitter(email="known@example.cn")
    known = client.post("/admin/password_reset/", {"email": "known@example.cn"})
    unknown = client.post("/admin/password_reset/", {"email": "nobody@example.cn"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/admin/password_reset/done/"
    done_known = without_csrf(client.get(known["Location"]).content.decode())
    done_unknown = without_csrf(client.get(unknown["Location"]).content.decode())
    assert done_known == done_unknown
    assert [message.to for message in mail.outbox] == [["known@example.cn"]]


def test_the_public_api_takes_no_passwords(client, account):
    """No HTTP Basic authentication on /api/v2/: it would be a way to guess passwords
    without ever meeting the lockout page."""
    credentials = base64.b64encode(f"{account.phone}:{PASSWORD}".encode()).decode()
    response = client.get("/api/v2/activities/", HTTP_AUTHORIZATION=f"Basic {credentials}")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    wrong = base64.b64encode(f"{account.phone}:wrong-password".encode()).decode()
    for _ in range(6):
        client.get("/api/v2/activities/", HTTP_AUTHORIZATION=f"Basic {wrong}")
    assert not AccessAttempt.objects.exists()


def test_lockouts_menu_item_only_for_account_managers(client, platform_admin):
    client.force_login(platform_admin)
    assert "/admin/login-lockouts/" in client.get("/admin/").content.decode()
    client.force_login(factories.submitter())
    assert "/admin/login-lockouts/" not in client.get("/admin/").content.decode()


def test_a_reset_by_email_ends_the_lockout(client, account):
    """Locked after five wrong guesses, the user resets the password by e-mail: the new
    password was refused for the rest of the pause (only the admin's reset cleared it)."""
    account.email = "locked@example.cn"
    account.save()
    for _ in range(5):
        attempt(client, "/admin/login/", account.phone)
    assert attempt(client, "/admin/login/", account.phone, PASSWORD).status_code == 429

    client.post("/admin/password_reset/", {"email": "locked@example.cn"})
    link = re.search(r"https?://[^/\s]+(/admin/password_reset/confirm/\S+/)", mail.outbox[-1].body)
    form_url = client.get(link.group(1))["Location"]
    new_password = "Fresh-Passw0rd-2026x"
    done = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert done.status_code == 302 and done["Location"] == "/admin/password_reset/complete/"

    response = attempt(client, "/admin/login/", account.phone, new_password)
    assert response.status_code == 302
    assert logged_in(client, account)


def test_password_reset_mails_are_limited_per_address_and_per_client(client, settings):
    """Found by an attacker's review: anyone could have 20 reset mails sent to an address
    in a row. Past the limits the answer is the usual "done" page and no mail leaves,
    whether the address is known or not."""
    settings.PASSWORD_RESET_MAILS_PER_ADDRESS_PER_HOUR = 2
    settings.PASSWORD_RESET_REQUESTS_PER_HOUR = 4
    factories.submitter(email="victim@example.cn")
    factories.submitter(email="other@example.cn")
    answers = [
        client.post("/admin/password_reset/", {"email": "Victim@Example.cn"}) for _ in range(4)
    ]
    assert {answer["Location"] for answer in answers} == {"/admin/password_reset/done/"}
    assert [message.to for message in mail.outbox] == [["victim@example.cn"]] * 2
    # Another address from the same client: within the client's four, then not.
    client.post("/admin/password_reset/", {"email": "other@example.cn"})
    assert len(mail.outbox) == 2
    # Another client may still reach that other address ...
    client.post("/admin/password_reset/", {"email": "other@example.cn"}, REMOTE_ADDR="203.0.113.9")
    assert mail.outbox[-1].to == ["other@example.cn"]
    # ... but not the one already mailed twice this hour.
    client.post("/admin/password_reset/", {"email": "victim@example.cn"}, REMOTE_ADDR="203.0.113.9")
    assert len(mail.outbox) == 3


def test_nobody_can_switch_off_anothers_reset_without_sending_them_links(client, settings):
    """Found by a second attacker's review: requests the client limit refused, and
    addresses spelled to match no account (a Kelvin sign for k), still spent the victim's
    budget, so a few requests an hour left the victim without any reset mail. Only mails
    an account would receive count against it."""
    settings.PASSWORD_RESET_MAILS_PER_ADDRESS_PER_HOUR = 2
    settings.PASSWORD_RESET_REQUESTS_PER_HOUR = 3
    factories.submitter(email="victim@kepuri.example.cn")
    attacker = {"REMOTE_ADDR": "203.0.113.66"}
    for number in range(3):
        client.post("/admin/password_reset/", {"email": f"junk{number}@example.cn"}, **attacker)
    for _ in range(4):  # over the attacker's client limit: refused, and nothing counted
        client.post("/admin/password_reset/", {"email": "victim@kepuri.example.cn"}, **attacker)
    for number in range(3):  # another spelling, which finds no account
        client.post(
            "/admin/password_reset/",
            {"email": "victim@\u212aepuri.example.cn"},
            REMOTE_ADDR=f"198.51.100.{number + 1}",
        )
    assert mail.outbox == []
    client.post(
        "/admin/password_reset/", {"email": "victim@kepuri.example.cn"}, REMOTE_ADDR="192.0.2.7"
    )
    assert [message.to for message in mail.outbox] == [["victim@kepuri.example.cn"]]
