"""A self-registered submitter and the mail the platform sends (R1, R24): review results and
the password reset go by email, which registration never asked for. Registration now asks
for it (optional), 我的活动 tells a submitter without one what they miss, the password reset
page says whom to ask without one, and a registration begun at 我要发布's login returns to
the new-activity form."""

from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.utils.translation import gettext, override
from wagtail.models import Site

from home.models import CampaignSettings
from tests import factories

pytestmark = pytest.mark.django_db

User = get_user_model()

REGISTER_URL = "/accounts/register/"
NEW_ACTIVITY = "/admin/my-activities/new/"
GOOD_PASSWORD = "Kepu-Day-2026!"
EMAIL_HELP = "Used for review results and password reset."
NO_EMAIL_NOTICE = (
    "You have no email address: you will not be told of review results. "
    '<a href="%(url)s">Add one in your account settings.</a>'
)
NO_EMAIL_RESET = "Registered without an email address? Contact the platform's support: %(contact)s"


def zh(message):
    """The page's language (zh-hans); the English text until the catalogue has it."""
    with override("zh-hans"):
        return gettext(message)


def soup(response):
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


def form_data(**overrides):
    data = {
        "phone": "13912345678",
        "real_name": "李科普",
        "email": "",
        "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
        "consent": "on",
        "organization": "",
    }
    data.update(overrides)
    return data


# 1. Email at registration ------------------------------------------------------------------


def test_registration_asks_for_an_optional_email_with_its_purpose(client):
    page = soup(client.get(REGISTER_URL))
    field = page.select_one("main form input[name=email]")
    assert field is not None and field["type"] == "email"
    assert not field.has_attr("required")
    help_text = page.select_one(f"#{field['id']}_helptext")
    assert help_text.get_text(strip=True) == zh(EMAIL_HELP)


def test_registration_saves_the_email(client):
    response = client.post(REGISTER_URL, form_data(email="unit@example.cn"))
    assert response.status_code == 302
    assert User.objects.get(phone="13912345678").email == "unit@example.cn"


def test_registration_without_an_email_still_registers(client):
    response = client.post(REGISTER_URL, form_data())
    assert response.status_code == 302
    assert User.objects.get(phone="13912345678").email == ""


def test_a_refused_registration_keeps_the_typed_email(client):
    response = client.post(
        REGISTER_URL, form_data(email="unit@example.cn", password2="Other-Pass-2026!")
    )
    page = soup(response)
    assert not User.objects.filter(phone="13912345678").exists()
    assert page.select_one("main form input[name=email]")["value"] == "unit@example.cn"
    assert page.select_one("main form input[name=real_name]")["value"] == "李科普"


def test_an_invalid_email_is_refused_beside_its_field(client):
    page = soup(client.post(REGISTER_URL, form_data(email="not-an-address")))
    assert not User.objects.filter(phone="13912345678").exists()
    field = page.select_one("main form input[name=email]")
    assert field["aria-invalid"] == "true"
    assert field["value"] == "not-an-address"


def no_email_notice(page):
    """The warning, told from Wagtail's own help blocks (its keyboard-shortcuts dialog
    links to /admin/account/ too) by its text."""
    expected = BeautifulSoup(zh(NO_EMAIL_NOTICE) % {"url": "/admin/account/"}, "html.parser")
    text = expected.get_text(" ", strip=True)
    return next(
        (
            block
            for block in page.select(".help-block.help-warning")
            if block.get_text(" ", strip=True) == text
        ),
        None,
    )


def test_my_activities_tells_a_submitter_without_email_what_they_miss(client):
    client.force_login(factories.submitter(email=""))
    notice = no_email_notice(soup(client.get("/admin/my-activities/")))
    assert notice is not None
    assert notice.find("a")["href"] == "/admin/account/"
    # Also in the results the filters reload.
    results = soup(client.get("/admin/my-activities/results/"))
    assert no_email_notice(results) is not None


def test_my_activities_has_no_notice_for_a_submitter_with_email(client):
    client.force_login(factories.submitter(email="unit@example.cn"))
    assert no_email_notice(soup(client.get("/admin/my-activities/"))) is None


# 2. 我要发布 → login → register → the new-activity form -----------------------------------


def register_link(page):
    [link] = [
        a["href"] for a in page.select("main a") if a["href"].startswith("/accounts/register/")
    ]
    return link


@pytest.mark.parametrize("login_url", ["/accounts/login/", "/admin/login/"])
def test_the_logins_register_link_keeps_where_the_visitor_was_going(client, login_url):
    link = register_link(soup(client.get(login_url, {"next": NEW_ACTIVITY})))
    assert parse_qs(urlsplit(link).query) == {"next": [NEW_ACTIVITY]}


def test_registering_from_publish_returns_to_the_new_activity_form(client):
    page = soup(client.get(REGISTER_URL, {"next": NEW_ACTIVITY}))
    assert page.select_one("main form input[name=next]")["value"] == NEW_ACTIVITY
    # The "Log in" link back keeps it as well.
    login_links = [a["href"] for a in page.select("main a") if "/accounts/login/" in a["href"]]
    assert login_links == [f"/accounts/login/?next={NEW_ACTIVITY}"]

    response = client.post(f"{REGISTER_URL}?next={NEW_ACTIVITY}", form_data(next=NEW_ACTIVITY))
    assert response.status_code == 302
    assert response["Location"] == NEW_ACTIVITY
    assert client.get(NEW_ACTIVITY).status_code in (200, 302)


def test_a_refused_registration_keeps_where_the_visitor_was_going(client):
    response = client.post(REGISTER_URL, form_data(password2="x", next=NEW_ACTIVITY))
    assert soup(response).select_one("main form input[name=next]")["value"] == NEW_ACTIVITY
    response = client.post(REGISTER_URL, form_data(next=NEW_ACTIVITY))
    assert response["Location"] == NEW_ACTIVITY


def test_registration_without_next_still_lands_on_my_activities(client):
    response = client.post(REGISTER_URL, form_data())
    assert response["Location"] == "/admin/my-activities/"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/admin/", "/\\evil.example/", "javascript:alert(1)"],
)
def test_registration_never_sends_anyone_to_another_site(client, target):
    page = soup(client.get(REGISTER_URL, {"next": target}))
    assert page.select_one("main form input[name=next]") is None
    response = client.post(f"{REGISTER_URL}?next={target}", form_data(next=target))
    assert response.status_code == 302
    assert response["Location"] == "/admin/my-activities/"


# 3. The password reset page, for accounts without an email ---------------------------------


def set_contact(person="蒙昌乐", phone="010-63589698", email=""):
    campaign = CampaignSettings.for_site(Site.objects.get(is_default_site=True))
    campaign.support_person, campaign.support_phone, campaign.support_email = person, phone, email
    campaign.save()
    return campaign


def reset_line(page):
    prefix = zh(NO_EMAIL_RESET).split("%(contact)s")[0].strip()
    return next((p for p in page.select("main p") if prefix in p.get_text()), None)


def test_password_reset_names_the_support_contact_for_accounts_without_email(client):
    set_contact()
    line = reset_line(soup(client.get("/admin/password_reset/")))
    assert line is not None
    assert "蒙昌乐" in line.get_text()
    assert line.find("a", href="tel:01063589698") is not None


def test_password_reset_says_nothing_while_no_contact_is_set(client):
    set_contact(person="", phone="", email="")
    assert reset_line(soup(client.get("/admin/password_reset/"))) is None
