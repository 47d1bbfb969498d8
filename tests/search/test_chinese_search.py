"""Chinese search (R29): jieba on both the indexed text and the query, identical on SQLite
and PostgreSQL."""

import pytest
from wagtail.models import Page

from activities.models import ActivityPage, ActivityType
from search.backends import segment_search_query
from search.segment import segment, words
from tests import factories

pytestmark = pytest.mark.django_db

TITLES = [
    "全国科普日主场活动",
    "青少年科学节机器人体验",
    "走近月球：天文科普讲座",
    "社区应急安全知识竞赛",
    "人工智能与未来生活",
    "湿地观鸟自然研学",
]

# query → titles that must be found (and only those among TITLES)
TABLE = [
    ("科普", {"全国科普日主场活动", "走近月球：天文科普讲座"}),
    ("机器人", {"青少年科学节机器人体验"}),
    ("青少年", {"青少年科学节机器人体验"}),
    ("月球", {"走近月球：天文科普讲座"}),
    ("天文", {"走近月球：天文科普讲座"}),
    ("主场活动", {"全国科普日主场活动"}),
    ("应急安全", {"社区应急安全知识竞赛"}),
    ("人工智能", {"人工智能与未来生活"}),
    ("观鸟", {"湿地观鸟自然研学"}),
    ("科学节 机器人", {"青少年科学节机器人体验"}),
    ("科普日", {"全国科普日主场活动"}),
    ("不存在的词语", set()),
]


@pytest.fixture
def activities():
    owner = factories.submitter()
    image = factories.poster(owner)
    pages = []
    for title in TITLES:
        page = factories.activity(
            owner=owner,
            publish=True,
            title=title,
            poster=image,
            details="<p>欢迎参加。</p>",
            content="现场活动",
            audience="公众",
            scientists="科研人员",
            activity_type=ActivityType.objects.get(name="参观体验"),
        )
        pages.append(page)
    return pages


def test_chinese_queries_find_words_inside_longer_text(activities):
    """The whole table in one test: building the six activities is the slow part."""
    results = {
        query: {page.title for page in ActivityPage.objects.live().search(query)}
        for query, _expected in TABLE
    }
    assert results == dict(TABLE)


def test_admin_page_search_is_segmented_too(activities):
    found = {page.title for page in Page.objects.all().search("机器人")}
    assert "青少年科学节机器人体验" in found


ABSURD = [
    '"',
    "*",
    "NEAR(",
    "OR",
    "AND NOT",
    "x" * 10_000,
    "！！！",
    "' OR 1=1 --",
    "科普*",
    "\x00",
]


def test_absurd_queries_return_normally(activities):
    for query in ABSURD:
        assert isinstance(list(ActivityPage.objects.live().search(query)), list), query
    assert [p.title for p in ActivityPage.objects.live().search("科普*")] != []


def test_segmentation_drops_punctuation_and_keeps_words():
    assert "科普" in words("全国科普日·主场活动！")
    assert all(token.strip() for token in words("“机器人”，（体验）"))
    assert segment("") == ""
    assert segment_search_query("！！！") == ""
