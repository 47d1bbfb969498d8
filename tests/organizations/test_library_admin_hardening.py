"""The organization library's admin pages against crafted URLs (R2, R3, R4, R34): its listing
accepts only the filters it shows, and an entry's history is for those who manage it."""

import re

import pytest
from django.conf import settings
from django.utils import translation
from wagtail.log_actions import log

from accounts import roles
from organizations.decisions import decide, log_decision
from organizations.models import Organization
from tests import factories

pytestmark = pytest.mark.django_db

LIBRARY = "/admin/organizations/organization/"


def history_url(organization_id):
    return f"{LIBRARY}history/{organization_id}/"


@pytest.fixture
def platform_admin():
    return factories.user(roles.ADMINISTRATORS, real_name="平台管理员甲")


@pytest.fixture
def platform_client(client, platform_admin):
    client.force_login(platform_admin)
    return client


@pytest.fixture
def superuser_request(superuser):
    """A pending request filed by the superuser: a row linked to the account whose password
    hash the crafted lookups go after."""
    return Organization.objects.create(
        name="某某超级用户申请的科技馆",
        category="other",
        province_id="440000",
        requested_by=superuser,
    )


@pytest.fixture
def rejected_request():
    requester = factories.submitter(real_name="申请人乙")
    organization = Organization.objects.create(
        name="海淀秘密科技馆", category="other", province_id="110000", requested_by=requester
    )
    decide(organization, Organization.Status.REJECTED, "请补充登记证书")
    organization.save()
    log_decision(organization, factories.user(roles.ADMINISTRATORS, real_name="审核管理员丙"))
    return organization


def listed(client, query=""):
    response = client.get(LIBRARY + query)
    assert response.status_code == 200, query
    return response.context["result_count"]


def test_r2_a_password_lookup_in_the_url_is_ignored_and_tells_nothing(
    platform_client, superuser, superuser_request
):
    """R2: a platform administrator must not read a superuser's password hash. Lookups on
    related users' fields are dropped: the count is the whole library whether the guessed
    prefix matches or not."""
    everything = listed(platform_client)
    assert everything == Organization.objects.count()
    prefix = re.escape(superuser.password[:12])
    for lookup in (
        "requested_by__password__regex",
        "requested_by__password__startswith",
        "members__password__regex",
    ):
        matching = listed(platform_client, f"?requested_by__is_superuser=True&{lookup}=^{prefix}")
        not_matching = listed(platform_client, f"?requested_by__is_superuser=True&{lookup}=^zzz")
        assert matching == not_matching == everything, lookup


def test_r3_the_shown_filters_search_and_ordering_still_work(platform_client, superuser_request):
    """R3: category, status and province filters, search and ordering keep working."""
    library = Organization.objects
    assert listed(platform_client, "?status__exact=pending") == library.pending().count() == 1
    assert (
        listed(platform_client, "?category__exact=provincial")
        == library.filter(category="provincial").count()
        > 0
    )
    assert (
        listed(platform_client, "?province__code__exact=440000")
        == library.filter(province_id="440000").count()
        > 1
    )
    assert (
        listed(platform_client, "?province__isnull=True")
        == library.filter(province__isnull=True).count()
    )
    assert (
        listed(platform_client, "?status__exact=pending&province__code__exact=440000&q=超级用户")
        == 1
    )
    response = platform_client.get(LIBRARY + "?o=0&q=广东")
    names = [organization.name for organization in response.context["object_list"]]
    assert names and names == sorted(names)


@pytest.mark.parametrize(
    "query",
    [
        "?from=singlemessage&isappinstalled=0",
        "?utm_source=x&utm_medium=wechat",
        "?page=2",
        "?e=1",
        "?nonsense__regex=(",
    ],
)
def test_r3_an_unknown_parameter_is_ignored(platform_client, query):
    """R3: a link shared through WeChat, or carrying tracking or foreign page parameters,
    opens the whole library (was a 500)."""
    assert listed(platform_client, query) == Organization.objects.count()


@pytest.mark.parametrize(
    "query",
    [
        "?status__exact=bogus",
        "?category__exact=",
        "?province__code__exact=99999999999999999999",
        "?province__isnull=maybe",
        "?p=abc",
        "?p=-1",
        "?p=99999999999999999999",
        "?o=x.-.99",
        "?o=--1",
    ],
)
def test_r3_a_bad_value_of_a_real_parameter_is_not_an_error(platform_client, query):
    """R3: a bad filter, page or ordering value still answers the listing."""
    assert platform_client.get(LIBRARY + query).status_code == 200


@pytest.mark.parametrize(
    "role", [roles.SUBMITTERS, roles.PROVINCE_MODERATORS, roles.NATIONAL_MODERATORS]
)
def test_r2_r4_only_library_managers_read_an_entrys_history(client, rejected_request, role):
    """R2, R4: the history of an onboarding request (its reason, the administrator's name)
    is refused to the other roles (Wagtail's permission-denied redirect to the dashboard),
    the same way whether the id exists or not."""
    client.force_login(factories.user(role, province="440000"))
    refusals = []
    for organization_id in (rejected_request.pk, rejected_request.pk + 1000):
        response = client.get(history_url(organization_id))
        assert response.status_code in (302, 403)
        refusals.append((response.status_code, response.get("Location")))
        page = client.get(history_url(organization_id), follow=True).content.decode()
        assert "海淀秘密科技馆" not in page and "审核管理员丙" not in page
    assert refusals[0] == refusals[1]
    assert refusals[0] in ((302, "/admin/"), (403, None))


def test_r4_r34_a_library_manager_reads_the_history_with_translated_columns(
    platform_client, rejected_request
):
    """R4, R34: administrators see the decision, its reason and who made it, under column
    headings in their language; an entry logged without a user reads as the system's."""
    log(rejected_request, "organizations.certify", user=None)
    response = platform_client.get(history_url(rejected_request.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert "请补充登记证书" in page and "审核管理员丙" in page
    with translation.override(settings.LANGUAGE_CODE):
        headings = [str(translation.gettext(text)) for text in ("Action", "User", "Date")]
        system = translation.gettext("system")
    assert system != "system" and "User" not in headings
    table = page[page.index('<table class="listing') :]
    header = table[: table.index("</thead>")]
    assert [cell.strip() for cell in re.findall(r"<th[^>]*>\s*([^<]*?)\s*</th>", header)] == (
        headings
    )
    body = table[table.index("<tbody") : table.index("</table>")]
    assert system in body and not re.search(r">\s*system\s*<", body)


@pytest.mark.parametrize("action", ["history", "edit", "delete"])
def test_r3_an_entry_url_with_something_else_than_an_id_is_404(platform_client, action):
    """R3: /history/abc/ (and edit, delete) answered 500."""
    for value in ("abc", "99999999999999999999"):
        assert platform_client.get(f"{LIBRARY}{action}/{value}/").status_code == 404


def test_r3_a_lookup_the_filters_refuse_opens_the_plain_listing(platform_client, monkeypatch):
    """R3: should a shown filter refuse its value (Django's IncorrectLookupParameters), the
    listing answers with a redirect to itself without parameters, not a 500."""
    from django.contrib.admin.options import IncorrectLookupParameters

    from organizations.wagtail_hooks import OrganizationIndexView

    def refuse(view, request=None):
        raise IncorrectLookupParameters("bad value")

    monkeypatch.setattr(OrganizationIndexView, "get_queryset", refuse)
    response = platform_client.get(LIBRARY + "?status__exact=x")
    assert response.status_code == 302 and response["Location"] == LIBRARY
