"""The province → city → county lists (R7) after the browser's Back button. Found by an
audit: Back restored the chosen city (深圳市) but not the districts fetched for it, so the
county list offered Guangzhou's districts under 深圳市, and picking one was refused on save.
The server marks which region each list's options belong to (data-options-for); the script
refills a list whose options belong to another region than the one chosen above it."""

import pytest
from playwright.sync_api import expect

from tests import factories

from .conftest import E2E_DB, login

SHENZHEN, NANSHAN, TIANHE = "440300", "440305", "440106"


@pytest.mark.browser
@E2E_DB
def test_r7_after_back_the_county_list_is_the_chosen_citys(page, live_server, campaign_window):
    submitter = factories.submitter(real_name="林晓华")
    activity = factories.activity(owner=submitter, title="返回后的地区列表")
    login(page, live_server.url, submitter.phone)
    editor = f"{live_server.url}/admin/pages/{activity.pk}/edit/"
    page.goto(editor)
    county = page.locator("#id_county")
    expect(county.locator(f'option[value="{TIANHE}"]')).to_have_count(1)
    page.locator("#id_city").select_option(SHENZHEN)
    expect(county.locator(f'option[value="{NANSHAN}"]')).to_have_count(1)
    page.goto(f"{live_server.url}/admin/my-activities/")
    page.go_back()
    page.wait_for_url(editor)
    expect(page.locator("#id_city")).to_have_value(SHENZHEN)
    expect(county.locator(f'option[value="{NANSHAN}"]')).to_have_count(1)
    expect(county.locator(f'option[value="{TIANHE}"]')).to_have_count(0)
