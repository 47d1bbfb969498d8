"""R29: an activity is found however a visitor writes its words or its units' names.

Traditional characters (Hong Kong, Macao and Taiwan are provinces here, and their units may
write traditional characters in their content) found nothing in simplified content, nor
did simplified queries in traditional content. 科协, the common abbreviation of 科学技术协会,
found no 广东省科学技术协会, and a national society's short name (化学会, 天文学会) found
nothing though its full name did. Each searched on the search page, the listing and the API
alike (search.segment, docs/search.md)."""

import pytest

from organizations.models import Organization
from tests.activities.conftest import titles

pytestmark = pytest.mark.django_db


@pytest.fixture
def publish(publish_neutral):
    return publish_neutral


def society(name):
    """The fields of an activity whose channel is the national society `name`."""
    return {
        "channel_category": "national_society",
        "channel": Organization.objects.get(name=name, category="national_society"),
    }


def found(client, query):
    """The titles each way a visitor searches finds for `query`, checked to agree: the
    search page, the listing's ?q= and the API's ?search= (sorted: each has its order)."""
    page = titles(client.get("/search/", {"q": query}))
    listing = titles(client.get("/activities/", {"q": query}))
    answer = client.get("/api/v2/activities/", {"search": query})
    assert answer.status_code == 200
    api = [item["title"] for item in answer.json()["items"]]
    assert sorted(page) == sorted(listing) == sorted(api), query
    return sorted(page)


def test_r29_traditional_and_simplified_characters_find_each_other(client, publish):
    """機器人 and 科學 found nothing in simplified content; a Hong Kong unit's traditional
    title was not found by the simplified words."""
    chemistry = society("中国化学会")  # no 科学 in the channel's name
    publish("青少年机器人编程体验", **chemistry)
    publish("陨石科学展", **chemistry)
    publish("香港太空館天文講座", province_id="810000", city_id=None, **chemistry)
    publish("湿地观鸟", **chemistry)  # found by none
    assert found(client, "機器人") == ["青少年机器人编程体验"]
    assert found(client, "科學") == ["陨石科学展"]
    assert found(client, "隕石") == ["陨石科学展"]
    # Simplified words in traditional text: a word, a word jieba cuts otherwise (太空馆),
    # and one character of the title.
    assert found(client, "天文讲座") == ["香港太空館天文講座"]
    assert found(client, "太空馆") == ["香港太空館天文講座"]
    assert found(client, "馆") == ["香港太空館天文講座"]
    # Both sides traditional, and simplified still finds simplified.
    assert found(client, "太空館") == ["香港太空館天文講座"]
    assert found(client, "机器人") == ["青少年机器人编程体验"]


def test_r29_keXie_finds_the_science_associations_and_literal_keXie(client, publish):
    """科协 (广东省科协, 深圳科协, 中国科协) found nothing: the units are named in full."""
    # In Beijing: 广东省科协 is Guangdong's association, not an activity of Guangdong's.
    chemistry = {**society("中国化学会"), "province_id": "110000", "city_id": None}
    publish("湿地观鸟科普行", hosts=("深圳市科学技术协会",))  # channel 广东省科学技术协会
    publish("中国科协青少年科普夏令营", **chemistry)  # 科协 only in its title
    publish("全国科普讲解大赛", hosts=("中国科学技术协会",), **chemistry)
    publish("学科协同创新论坛", **chemistry)  # 科协 as characters, not as a name
    publish("湿地观鸟", **chemistry)
    for query in ("科协", "科協"):
        assert found(client, query) == [
            "中国科协青少年科普夏令营",
            "全国科普讲解大赛",
            # Its title holds the characters 科协: a title is found by what it contains
            # (search.filters.title_characters), a name or not.
            "学科协同创新论坛",
            "湿地观鸟科普行",
        ]
    assert found(client, "深圳科协") == ["湿地观鸟科普行"]
    assert found(client, "深圳市科协") == ["湿地观鸟科普行"]
    # 中国科协 is the full name written short, and the other way round.
    assert found(client, "中国科协") == ["中国科协青少年科普夏令营", "全国科普讲解大赛"]
    assert found(client, "中国科学技术协会") == ["中国科协青少年科普夏令营", "全国科普讲解大赛"]
    # The full form still finds what it found, and the literal 科协 too.
    assert "中国科协青少年科普夏令营" in found(client, "科学技术协会")
    assert "学科协同创新论坛" not in found(client, "科学技术协会")
    # The province's association: its channel, written short.
    assert found(client, "广东省科协") == ["湿地观鸟科普行"]


def test_r29_a_national_societys_short_name_finds_it(client, publish):
    """化学会 and 天文学会 found nothing, though 中国化学会 and 中国天文学会 did."""
    publish("星空观测之夜", hosts=("中国天文学会",), **society("中国天文学会"))
    publish("奇妙的化学实验秀", **society("中国化学会"))
    publish("地震波探秘", **society("中国地球物理学会"))
    publish("湿地观鸟")
    assert found(client, "天文学会") == ["星空观测之夜"]
    assert found(client, "化学会") == ["奇妙的化学实验秀"]
    assert found(client, "中国化学会") == ["奇妙的化学实验秀"]
    # Traditional too.
    assert found(client, "天文學會") == ["星空观测之夜"]
    # No false friends: 文学会 is not in 天文学会, 物理学会 is not 地球物理学会 (whose
    # words stay as they were: 地球物理 still finds it).
    # (No activity holds all of their words: what some of them find is shown as such,
    # search.segment.Terms, tests/search/test_fallbacks.py.)
    for query in ("文学会", "物理学会"):
        response = client.get("/search/", {"q": query})
        assert not titles(response) or 'class="listing-notice"' in response.content.decode()
    assert found(client, "地球物理") == ["地震波探秘"]
