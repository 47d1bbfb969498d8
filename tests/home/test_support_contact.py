"""R34, guide (四)2: the platform's technical-operations contact ("全国科普日平台技术运营咨询
联系人：蒙昌乐；联系电话：010-63589698，010-63589586") is a campaign setting administrators
edit, shown in the public footer and on the admin dashboard, only when it is set."""

import pytest
from bs4 import BeautifulSoup
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from wagtail.models import Site

from accounts import roles
from home.models import CampaignSettings
from tests import factories

pytestmark = pytest.mark.django_db

NAME = "蒙昌乐"
PHONES = "010-63589698，010-63589586"
NUMBERS = ["010-63589698", "010-63589586"]
TEL = ["tel:01063589698", "tel:01063589586"]


def campaign():
    return CampaignSettings.for_site(Site.objects.get(is_default_site=True))


def set_contact(person=NAME, phone=PHONES, email=""):
    current = campaign()
    current.support_person, current.support_phone, current.support_email = person, phone, email
    current.save()


def in_language(language, text, **params):
    with translation.override(language):
        return translation.gettext(text) % params


def expected_line(language):
    with translation.override(language):
        separator = translation.pgettext("between phone numbers", ", ")
        contact = f"{NAME} {separator.join(NUMBERS)}"
        return translation.gettext("Technical support: %(contact)s") % {"contact": contact}


def footer(response):
    assert response.status_code == 200
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    return soup.select_one(".site-footer__support")


def settings_url():
    return f"/admin/settings/home/campaignsettings/{Site.objects.get(is_default_site=True).pk}/"


def form_data(**support):
    current = campaign()
    return {
        "year": current.year,
        "theme": current.theme,
        "window_start": "",
        "window_end": "",
        "nomination_extra_days": current.nomination_extra_days,
        "support_person": "",
        "support_phone": "",
        "support_email": "",
        **support,
    }


@pytest.fixture
def administrator_client():
    """A platform administrator (平台管理员) in a client of their own: the public pages are
    read by the anonymous `client`, which the page cache serves."""
    other = Client()
    other.force_login(factories.user(roles.ADMINISTRATORS))
    return other


def error_text(response):
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    return " ".join(error.get_text(" ", strip=True) for error in soup.select(".error-message"))


def test_r34_guide_4_2_administrators_set_the_support_contact_in_the_campaign_settings(
    administrator_client,
):
    """R34, guide (四)2: a platform administrator saves the guide's contact from the
    campaign settings form; the phone is checked as an activity's contact phone is."""
    response = administrator_client.post(
        settings_url(), form_data(support_person=NAME, support_phone=PHONES)
    )
    assert response.status_code == 302, error_text(response)
    saved = campaign()
    assert (saved.support_person, saved.support_phone, saved.support_email) == (NAME, PHONES, "")
    assert [phone["uri"] for phone in saved.support_phones()] == TEL

    response = administrator_client.post(
        settings_url(), form_data(support_person="王工", support_phone="call us")
    )
    assert response.status_code == 200
    assert in_language(
        "zh-hans", "Enter a phone number people can dial, e.g. 010-63589000 or 13800138000."
    ) in error_text(response)
    # A name alone: nobody could reach them.
    response = administrator_client.post(settings_url(), form_data(support_person="王工"))
    assert response.status_code == 200
    assert in_language(
        "zh-hans", "Give a phone number or an email address for the support contact."
    ) in error_text(response)
    assert campaign().support_person == NAME  # nothing refused was saved
    # Emptied: the contact is gone.
    assert administrator_client.post(settings_url(), form_data()).status_code == 302
    assert not campaign().shows_support_contact


def test_r34_guide_4_2_three_real_numbers_save_and_four_do_not(administrator_client):
    """R34, guide (四)2: up to three numbers, as the guide writes them."""
    three = "010-63589698，010-63589586，13800138000"
    ok = administrator_client.post(settings_url(), form_data(support_phone=three))
    assert ok.status_code == 302, error_text(ok)
    assert len(campaign().support_phones()) == 3
    four = administrator_client.post(
        settings_url(), form_data(support_phone=three + "，13900139000")
    )
    assert four.status_code == 200
    assert in_language("zh-hans", "Give at most three phone numbers.") in error_text(four)
    assert campaign().support_phone == three


@pytest.mark.parametrize("url", ["/", "/activities/"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_r34_guide_4_2_the_footer_shows_the_contact_with_tel_links(client, url, language):
    """R34, guide (四)2: the footer of the home page and the listing names the contact with
    each number a tel: link, labelled in the page's language; the name stays as typed
    (marked Chinese on English pages)."""
    if language == "en":
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    assert footer(client.get(url)) is None  # nothing set: no line, no empty label
    set_contact()
    line = footer(client.get(url))
    assert line is not None
    assert line.get_text(strip=False) == expected_line(language)
    assert [link["href"] for link in line.select("a")] == TEL
    assert [link.get_text() for link in line.select("a")] == NUMBERS
    name = line.find("span", string=NAME)
    assert name is not None
    assert name.get("lang") == ("zh-Hans" if language == "en" else None)


def test_r34_guide_4_2_the_english_label_is_the_english_one(client):
    """R34: the English site labels the contact in English, whatever the Chinese says."""
    set_contact()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    text = footer(client.get("/activities/")).get_text()
    assert text.startswith("Technical support: ") and text.endswith("010-63589698, 010-63589586")


def test_r34_guide_4_2_an_email_alone_shows_and_a_blank_contact_shows_nothing(client):
    """R34, guide (四)2: a contact with only an email address shows it as a mailto: link;
    emptied again, the footer has no support line at all."""
    set_contact(person="", phone="", email="support@kepuri.example.cn")
    line = footer(client.get("/"))
    assert [link["href"] for link in line.select("a")] == ["mailto:support@kepuri.example.cn"]
    set_contact(person="", phone="", email="")
    response = client.get("/")
    assert footer(response) is None
    assert in_language("zh-hans", "Technical support: %(contact)s", contact="") not in (
        response.content.decode()
    )


@pytest.mark.parametrize("page_cache", [False, True], ids=["in-process caches", "page cache"])
def test_r34_guide_4_2_a_changed_contact_shows_at_once(
    client, settings, administrator_client, page_cache
):
    """R34, guide (四)2: the footer's frame is kept per process until the next deployment
    and whole pages are cached for anonymous visitors; a contact changed in the settings
    form shows on the next view of pages served before, and so does its removal."""
    settings.PAGE_CACHE_SECONDS = 300 if page_cache else 0
    set_contact()
    urls = ["/", "/activities/", "/search/?q=机器人"]
    for url in urls:
        assert NAME in footer(client.get(url)).get_text()
        again = client.get(url)
        assert NAME in footer(again).get_text()
        if page_cache:
            assert again.headers["X-Page-Cache"] == "hit", url

    changed = administrator_client.post(
        settings_url(), form_data(support_person="李工", support_phone="010-12345678")
    )
    assert changed.status_code == 302, error_text(changed)
    for url in urls:
        line = footer(client.get(url))
        assert "李工" in line.get_text() and NAME not in line.get_text(), url
        assert [link["href"] for link in line.select("a")] == ["tel:01012345678"]

    assert administrator_client.post(settings_url(), form_data()).status_code == 302
    for url in urls:
        assert footer(client.get(url)) is None, url


def test_r34_guide_4_2_the_footer_costs_no_query(client):
    """#8 with R34: every public page shows the contact, read from the copy kept under the
    site version rather than from the database on each view."""
    set_contact()
    client.get("/activities/")
    with CaptureQueriesContext(connection) as queries:
        assert NAME in footer(client.get("/activities/")).get_text()
    assert not [q for q in queries.captured_queries if "home_campaignsettings" in q["sql"]]


def dashboard_panel(client):
    response = client.get("/admin/")
    assert response.status_code == 200
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    return soup.select_one('section[aria-labelledby="platform-help-heading"]')


def test_r34_guide_4_2_the_dashboard_shows_submitters_whom_to_ask(client):
    """R34, guide (四)2: a submitter stuck in the admin finds the contact on the dashboard,
    with tel: links; with none set there is no panel."""
    client.force_login(factories.submitter())
    assert dashboard_panel(client) is None
    set_contact()
    panel = dashboard_panel(client)
    assert panel is not None
    assert panel.h2.get_text(strip=True) == in_language("zh-hans", "Help with the platform")
    assert NAME in panel.get_text()
    assert [link["href"] for link in panel.select("a")] == TEL
    set_contact(person="", phone="")
    assert dashboard_panel(client) is None


@pytest.mark.parametrize("role", [roles.PROVINCE_MODERATORS, roles.NATIONAL_MODERATORS])
def test_r34_guide_4_2_moderators_see_the_contact_too(client, role):
    """R34, guide (四)2: every signed-in admin user, not only submitters."""
    set_contact()
    client.force_login(factories.user(role, province="440000"))
    assert [link["href"] for link in dashboard_panel(client).select("a")] == TEL


def test_r34_guide_4_2_the_demo_data_has_the_guides_contact(client):
    """R34, guide (四)2: `make run` shows the guide's contact."""
    from io import StringIO

    from django.core.management import call_command

    call_command("seed_demo", stdout=StringIO())
    seeded = campaign()
    assert (seeded.support_person, seeded.support_phone) == (NAME, PHONES)
    assert [link["href"] for link in footer(client.get("/")).select("a")] == TEL
