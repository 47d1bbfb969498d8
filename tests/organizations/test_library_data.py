"""Shipped library data (R3, R9): regions and the starter organizations."""

import pytest
from django.core.exceptions import ValidationError

from organizations.models import MUNICIPALITY_CODES, Organization, Region

pytestmark = pytest.mark.django_db


def test_region_counts_and_corps():
    provinces = Region.objects.filter(level=Region.Level.PROVINCE)
    # 34 provincial-level units plus the Xinjiang Production and Construction Corps.
    assert provinces.count() == 35
    assert provinces.filter(code="660000", name="新疆生产建设兵团").exists()
    assert Region.objects.filter(level=Region.Level.CITY).count() >= 333
    assert Region.objects.filter(level=Region.Level.COUNTY).count() >= 2800
    assert Region.objects.get(code="440100").name == "广州市"
    assert Region.objects.get(code="440106").parent_id == "440100"  # 天河区 in 广州市


def test_every_mainland_province_has_cities_or_districts():
    for province in Region.objects.filter(level=Region.Level.PROVINCE).exclude(
        code__in=["710000", "810000", "820000", "660000"]
    ):
        assert province.children.exists(), province


def test_municipality_districts_sit_directly_under_the_municipality():
    for code in MUNICIPALITY_CODES:
        province = Region.objects.get(code=code)
        assert not province.children.filter(level=Region.Level.CITY).exists()
        assert province.children.filter(level=Region.Level.COUNTY).count() >= 10


def test_starter_library_counts():
    certified = Organization.objects.certified()
    provincial = certified.filter(category=Organization.Category.PROVINCIAL)
    assert provincial.count() == 32
    assert provincial.filter(name="广东省科学技术协会", province_id="440000").exists()
    assert provincial.filter(province_id="660000").exists()  # the Corps
    # Every mainland province has its association.
    mainland = Region.objects.filter(level=Region.Level.PROVINCE).exclude(
        code__in=["710000", "810000", "820000"]
    )
    assert set(provincial.values_list("province_id", flat=True)) == set(
        mainland.values_list("code", flat=True)
    )
    assert certified.filter(category=Organization.Category.MINISTRY).count() >= 40
    assert certified.filter(category=Organization.Category.NATIONAL_SOCIETY).count() >= 60
    assert certified.filter(name="中国化学会").exists()
    assert certified.filter(name="中国天文学会").exists()


def test_municipal_associations_of_capitals_and_municipalities():
    municipal = Organization.objects.certified().filter(category=Organization.Category.MUNICIPAL)
    for code in MUNICIPALITY_CODES:
        assert municipal.filter(province_id=code, county__isnull=False).exists(), code
    capitals = {"广州市", "南京市", "杭州市", "成都市", "拉萨市", "乌鲁木齐市", "哈尔滨市"}
    assert capitals <= set(municipal.values_list("city__name", flat=True))


def test_every_seeded_organization_passes_its_own_rules():
    for organization in Organization.objects.select_related("province", "city", "county"):
        organization.full_clean()


def _org(**kwargs):
    defaults = {"name": "测试组织", "category": Organization.Category.OTHER}
    return Organization(**{**defaults, **kwargs})


def region(code):
    return Region.objects.get(code=code)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"category": "provincial"}, "province", "科协组织必须选择所在省份"),
        (
            {"category": "provincial", "province": "440000", "city": "440100"},
            "city",
            "省科协不应选择城市或区县",
        ),
        ({"category": "municipal", "province": "440000"}, "city", "市科协须选择所在城市"),
        (
            {"category": "municipal", "province": "110000"},
            "county",
            "直辖市的市科协须选择所在区",
        ),
        ({"category": "county", "province": "440000"}, "county", "区县科协须选择所在区县"),
        (
            {"category": "municipal", "province": "440000", "city": "320100"},
            "city",
            "所选城市不属于所选省份",
        ),
        (
            {"category": "county", "province": "440000", "city": "440100", "county": "440303"},
            "county",
            "所选区县不属于所选城市",
        ),
        ({"category": "municipal", "province": "440100"}, "province", "请选择省级地区"),
        ({"category": "other", "status": "rejected"}, "rejection_reason", "请填写驳回原因"),
        # R3, R10: the guide's "直辖市有关区县，请首先选择'市科协'".
        (
            {"category": "county", "province": "110000", "county": "110101"},
            "category",
            "直辖市的区科协请选择“市科协”类别",
        ),
        (
            {"category": "provincial", "name": "广东省科学技术协会", "province": "440000"},
            "name",
            "该类别下已存在同名组织",
        ),
    ],
)
def test_consistency_rules_reject_bad_combinations(fields, field, message):
    from django.utils import translation

    resolved = {
        key: region(value) if key in {"province", "city", "county"} else value
        for key, value in fields.items()
    }
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as excinfo:
            _org(**resolved).clean()
        errors = excinfo.value.message_dict
    assert field in errors
    assert any(message in text for text in errors[field]), errors


@pytest.mark.parametrize(
    "fields",
    [
        {"category": "ministry"},
        {"category": "national_society"},
        {"category": "provincial", "province": "440000"},
        {"category": "municipal", "province": "440000", "city": "440300"},
        {"category": "municipal", "province": "110000", "county": "110108"},
        {"category": "county", "province": "440000", "city": "440100", "county": "440106"},
        {"category": "county", "province": "410000", "county": "419001"},  # 济源, 省直辖
    ],
)
def test_consistency_rules_accept_good_combinations(fields):
    resolved = {
        key: region(value) if key in {"province", "city", "county"} else value
        for key, value in fields.items()
    }
    _org(**resolved).clean()


def test_county_without_city_gets_its_city_filled_in():
    organization = _org(category="county", province=region("440000"), county=region("440106"))
    organization.clean()
    assert organization.city_id == "440100"
