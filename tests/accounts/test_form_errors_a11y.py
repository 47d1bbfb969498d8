"""A failed public form says so first (WCAG 3.3.1 error identification, 2.4.3 focus order;
R1 registration, R4 organization onboarding). The page used to come back with the focus at its
top and each error only beside its field: someone listening to the page or moving with the
keyboard was not told the form had failed. Now templates/includes/form_error_summary.html, used
by every public form through includes/form_fields.html, puts a summary above the fields that
takes the focus as the page loads (autofocus, and static/js/error-summary.js), with one link
per error to its field; the fields keep aria-invalid and aria-describedby to their error, and
what the user typed (passwords excepted: WCAG 3.3.7's security exception)."""

import pytest
from bs4 import BeautifulSoup
from django.utils.translation import gettext

from accounts.models import User
from tests import factories

pytestmark = pytest.mark.django_db

REGISTER_URL = "/accounts/register/"
BAD_REGISTRATION = {
    "phone": "12345",
    "real_name": "",
    "password1": "Kepu-Day-2026!",
    "password2": "Kepu-Day-2026?",
    "organization": "",
    "consent": "on",
}


def soup_of(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def summary_of(soup):
    summaries = soup.select(".error-summary")
    assert len(summaries) == 1, "no error summary (or more than one)"
    return summaries[0]


def assert_summary_leads_to_fields(soup, fields):
    """The summary comes first in the form, takes the focus, is announced, and links each
    error to its field, which is marked invalid and described by its error text."""
    form = soup.select_one("main form")
    summary = summary_of(soup)
    assert form.find(class_="error-summary") is summary
    first = form.find(
        lambda tag: (
            tag.name in ("div", "input", "select", "textarea", "label")
            and tag.get("type") != "hidden"
        )
    )
    assert first is summary, "the summary is not the first thing in the form"
    assert summary["tabindex"] == "-1" and summary.has_attr("autofocus")
    alert = summary.select_one('[role="alert"]')
    assert alert is not None and alert.find(["h2"]) is not None
    assert soup.select('[role="alert"]') == [alert], "one announcement, not one per field"
    script = summary.find_next_sibling("script")
    # A file, not inline: the public site's CSP allows no inline script.
    assert script is not None and script["src"].endswith("js/error-summary.js")
    assert not script.string
    links = {a["href"]: a.get_text(strip=True) for a in summary.select("a")}
    assert set(links) == {f"#id_{name}" for name in fields}
    for name in fields:
        field = soup.select_one(f"#id_{name}")
        assert field is not None, f"the link to {name} leads nowhere"
        assert field["aria-invalid"] == "true", name
        error = soup.select_one(f"#{field['aria-describedby'].split()[-1]}")
        assert error is not None and error.get_text(strip=True), name
        label = soup.select_one(f'label[for="id_{name}"]').get_text(strip=True).rstrip("*")
        # The link says which field and what is wrong, the same words as beside the field.
        assert label.strip() in links[f"#id_{name}"]
        assert error.get_text(strip=True) in links[f"#id_{name}"]
    for field in form.select("[aria-invalid]"):
        assert field["id"][3:] in fields, f"{field['id']} marked invalid without an error"


def test_r1_a_failed_registration_leads_with_a_focusable_summary(client):
    response = client.post(REGISTER_URL, BAD_REGISTRATION)
    assert response.status_code == 200
    assert not User.objects.exists()
    soup = soup_of(response)
    assert_summary_leads_to_fields(soup, ("phone", "real_name", "password2"))
    summary = summary_of(soup)
    assert summary.h2.get_text(strip=True) == gettext("There is a problem with the form")


def test_r1_a_failed_registration_keeps_what_was_typed(client):
    soup = soup_of(client.post(REGISTER_URL, dict(BAD_REGISTRATION, real_name="李科普")))
    assert soup.select_one("#id_phone")["value"] == "12345"
    assert soup.select_one("#id_real_name")["value"] == "李科普"
    # Passwords are not sent back into the page (WCAG 3.3.7's exception for security).
    assert not soup.select_one("#id_password1").has_attr("value")
    assert not soup.select_one("#id_password2").has_attr("value")


def test_r1_the_chosen_organization_stays_chosen(client):
    soup = soup_of(client.get(REGISTER_URL))
    option = soup.select("#id_organization option[value]:not([value=''])")[0]
    soup = soup_of(client.post(REGISTER_URL, dict(BAD_REGISTRATION, organization=option["value"])))
    chosen = soup.select("#id_organization option[selected]")
    assert [item["value"] for item in chosen] == [option["value"]]


def test_r1_an_untouched_form_has_no_summary_and_no_invalid_field(client):
    soup = soup_of(client.get(REGISTER_URL))
    assert not soup.select(".error-summary") and not soup.select("[aria-invalid]")
    assert not soup.select('main [role="alert"]')


def test_r1_a_form_level_error_is_in_the_summary_without_an_empty_list(client, settings):
    settings.REGISTRATION_ATTEMPTS_PER_HOUR = 0
    response = client.post(REGISTER_URL, dict(BAD_REGISTRATION, phone="13912345678"))
    assert response.status_code == 429
    summary = summary_of(soup_of(response))
    message = gettext("Too many registration attempts from your network. Try again in an hour.")
    assert summary.select_one(".form__errors").get_text(strip=True) == message
    assert not summary.select("ul.error-summary__list")


def test_r1_a_failed_login_leads_with_the_summary_and_keeps_the_number(client):
    account = factories.submitter()
    response = client.post(
        "/accounts/login/", {"username": account.phone, "password": "wrong-pass-2026"}
    )
    soup = soup_of(response)
    summary = summary_of(soup)
    assert summary.has_attr("autofocus")
    assert summary.select_one(".form__errors").get_text(strip=True) == gettext(
        "Enter a correct mobile number and password."
    )
    assert soup.select_one("#id_username")["value"] == account.phone
    # The number field's own autofocus comes after the summary: the summary wins.
    assert summary.find_next(attrs={"autofocus": True}) is soup.select_one("#id_username")


def test_r1_an_empty_login_links_both_fields(client):
    soup = soup_of(client.post("/accounts/login/", {"username": "", "password": ""}))
    assert_summary_leads_to_fields(soup, ("username", "password"))


def test_r4_a_failed_onboarding_request_leads_with_the_summary_and_keeps_values(client):
    client.force_login(factories.submitter())
    data = {
        "name": "某某市科技馆",
        "category": "other",
        "province": "440000",
        "city": "440100",
        "county": "",
        "contact_person": "",
        "contact_phone": "",
        "contact_email": "not-an-address",
        "address": "越秀区",
        "note": "市属科普场馆",
    }
    response = client.post("/organizations/join/", data)
    assert response.status_code == 200
    soup = soup_of(response)
    assert_summary_leads_to_fields(soup, ("contact_person", "contact_phone", "contact_email"))
    assert soup.select_one("#id_name")["value"] == "某某市科技馆"
    assert soup.select_one("#id_contact_email")["value"] == "not-an-address"
    assert soup.select_one("#id_note").get_text().strip() == "市属科普场馆"
    for name, value in (("category", "other"), ("province", "440000"), ("city", "440100")):
        chosen = soup.select(f"#id_{name} option[selected]")
        assert [item["value"] for item in chosen] == [value], name


def test_a_failed_password_change_uses_the_same_summary(client):
    client.force_login(factories.submitter())
    response = client.post(
        "/accounts/password/change/",
        {"old_password": "wrong", "new_password1": "", "new_password2": ""},
    )
    soup = soup_of(response)
    assert_summary_leads_to_fields(soup, ("old_password", "new_password1", "new_password2"))
