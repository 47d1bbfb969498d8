"""What a visitor types finds something (R29): compound words and sentences, synonyms, the
upcoming before the ended, and highlights and exclusions that follow what was searched
(search.segment.Terms, search.ranked.ranked_ids; docs/search.md, "Fallbacks")."""

import datetime
import re

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activities.models import ActivityPage
from search import ranked
from search.segment import terms
from search.templatetags.search_tags import highlight
from tests.activities.conftest import titles

pytestmark = pytest.mark.django_db

# Nothing the searches below look for (the factory's content names 机器人).
QUIET = {"content": "展示与讲解", "scientists": "张老师", "audience": "市民"}
NOTICE = 'class="listing-notice"'


@pytest.fixture
def make(publish):
    def make(title, **fields):
        return publish(title, **{**QUIET, **fields})

    return make


def search(client, query, **params):
    response = client.get("/search/", {"q": query, **params})
    assert response.status_code == 200
    return titles(response), response.content.decode()


def marked(html):
    return [mark.get_text() for mark in BeautifulSoup(str(html), "html.parser").select("mark")]


def test_r29_a_compound_word_finds_its_parts_when_nothing_holds_it(client, make):
    """亲子活动 found nothing while 亲子 活动 found 256; 3D打印机 nothing while 3D打印 found
    41: the query asked for the longest dictionary word only. When nothing holds the
    compound, its parts are asked for (亲子活动 → 亲子 活动, 打印机 → 打印)."""
    make("周末亲子科学活动")
    make("3D打印创意工作坊")
    make("湿地观鸟")
    assert search(client, "亲子活动")[0] == ["周末亲子科学活动"]
    assert search(client, "广州亲子活动")[0] == ["周末亲子科学活动"]
    found, page = search(client, "3D打印机")
    assert found == ["3D打印创意工作坊"] and NOTICE not in page
    # What the results were found by is marked, not the compound nobody wrote.
    assert "<mark>亲子</mark>" in search(client, "亲子活动")[1]


def test_r29_question_words_are_not_required(client, make):
    """我想带孩子去看星星, 哪里可以看流星雨, 怎么预防糖尿病 found nothing: every word was
    required, 我 想 去 看 哪里 怎么 可以 included."""
    make("带孩子一起看星星")
    make("流星雨观测夜")
    make("糖尿病预防讲座")
    assert search(client, "我想带孩子去看星星")[0] == ["带孩子一起看星星"]
    assert search(client, "哪里可以看流星雨")[0] == ["流星雨观测夜"]
    assert search(client, "怎么预防糖尿病")[0] == ["糖尿病预防讲座"]
    # A query of nothing but such words still asks for them.
    assert terms("看看").words == ("看看",)
    assert terms("什么").words == ("什么",)


def test_r29_when_no_activity_has_every_word_some_are_shown_and_said_so(client, make):
    """周末北京有什么适合孩子的科普活动 found nothing. Then activities holding some of the
    words are shown, those holding more first, under a notice."""
    make("北京科普活动周")
    make("北京青少年科普夏令营")
    make("湿地观鸟", details="<p>观察鸟类。</p>")
    found, page = search(client, "周末北京有什么适合孩子的科普活动")
    # (Every activity's type, 科普讲座, names 科普: the third matches in its details.)
    assert found[:2] == ["北京科普活动周", "北京青少年科普夏令营"]
    assert NOTICE in page
    assert "No activity contains all of these words" in page or "部分匹配" in page
    # A search that finds every word says nothing of the kind.
    assert NOTICE not in search(client, "北京科普")[1]


def test_r29_a_search_that_finds_results_costs_what_it_did(make):
    """The fallbacks run only after a pass found nothing: a search with results is one
    query (its title matches fill the limit), as before (tests/search/test_ranked.py)."""
    make("周末亲子科学活动")
    live = ActivityPage.objects.live()
    with CaptureQueriesContext(connection) as queries:
        assert len(ranked.ranked_ids(live, "亲子", 1)) == 1
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        assert len(ranked.ranked_ids(live, "我想看亲子", 1)) == 1
    assert len(queries) == 1


def test_r29_upcoming_activities_come_before_ended_ones(client, make):
    """天文's top ten held six ended activities (one from 2019) before upcoming ones.
    Within the title matches, then within the details-only matches, those not ended come
    first, each group in relevance order."""
    past = timezone.now() - datetime.timedelta(days=400)
    upcoming = [make("天文观测夜") for _ in range(2)]
    ended = [make("天文观测夜", start_at=past) for _ in range(2)]  # newer: ranked first before
    in_details = make("湿地观鸟", details="<p>也讲天文。</p>")
    ended_in_details = make("湿地观鸟", details="<p>也讲天文。</p>", start_at=past)
    ids = ranked.ranked_ids(ActivityPage.objects.live(), "天文", 10)
    assert ids[:2] == sorted((page.pk for page in upcoming), reverse=True)
    assert ids[2:4] == sorted((page.pk for page in ended), reverse=True)
    assert ids[4:] == [in_details.pk, ended_in_details.pk]
    page = client.get("/search/", {"q": "天文"}).content.decode()
    assert page.index(upcoming[1].url) < page.index(ended[1].url)


def test_r29_synonyms_find_each_other(client, make):
    """AI finds 人工智能 and back; 比赛 finds 竞赛, 大赛 and 挑战赛, and 竞赛 finds 比赛 (not
    挑战赛); 孩子 finds 儿童; 老人 finds 老年人. The search asked for them: they are marked."""
    make("人工智能体验营")
    make("AI绘画工作坊")
    make("科普知识竞赛")
    make("机器人挑战赛")
    make("儿童科学剧场")
    make("老年人防诈骗讲座")
    assert sorted(search(client, "AI")[0]) == ["AI绘画工作坊", "人工智能体验营"]
    assert sorted(search(client, "人工智能")[0]) == ["AI绘画工作坊", "人工智能体验营"]
    assert sorted(search(client, "比赛")[0]) == ["机器人挑战赛", "科普知识竞赛"]
    assert search(client, "竞赛")[0] == ["科普知识竞赛"]
    assert search(client, "孩子")[0] == ["儿童科学剧场"]
    assert search(client, "老人")[0] == ["老年人防诈骗讲座"]
    assert marked(highlight("人工智能体验营", "AI")) == ["人工智能"]
    assert marked(highlight("科普知识竞赛", "比赛")) == ["竞赛"]


def test_r29_highlights_mark_only_what_the_search_required():
    """科学技术协会 marked 科学 in 走进科学中心, 中华医学会 marked 医学: every piece the query
    was cut into was marked, though the search required the longer words only."""
    assert marked(highlight("走进科学中心", "科学技术协会")) == []
    assert marked(highlight("广东省科学技术协会科普周", "科学技术协会")) == ["科学技术协会"]
    assert marked(highlight("医学知识讲座", "中华医学会")) == []
    assert marked(highlight("中华医学会健康讲堂", "中华医学会")) == ["中华医学会"]
    # Nor the question's words, nor a word after a minus.
    assert marked(highlight("我们去看星星", "我想去看星星")) == ["星星"]
    assert marked(highlight("天文机器人", "天文 -机器人")) == ["天文"]


def test_r29_a_word_after_a_minus_is_left_out(client, make):
    """天文 -机器人 dropped the minus and found 机器人 activities, marking it."""
    make("天文观测夜")
    make("天文机器人展")
    make("天文讲座", details="<p>讲解机器人如何观测。</p>")
    found, page = search(client, "天文 -机器人")
    assert found == ["天文观测夜"]
    assert "<mark>机器人</mark>" not in page
    assert ranked.ranked_ids(ActivityPage.objects.live(), "-机器人", 10) == []


def test_r29_words_after_a_minus_are_checked_on_the_results_only(make):
    """Attacker audit: as a filter on every candidate, a common word after a minus read
    every match's details and, rejecting them all, read them again at the larger bound, in
    each column and each pass: a dozen such words made one public search take 4 s at 50,000
    activities. They are now checked on the best results in one query, and at most three
    count (search.segment.MAX_EXCLUDED)."""
    make("科普亮点展")
    make("科普开放日")
    live = ActivityPage.objects.live()
    with CaptureQueriesContext(connection) as plain:
        assert len(ranked.ranked_ids(live, "科普", 10)) == 2
    with CaptureQueriesContext(connection) as minus:
        found = ranked.ranked_ids(live, "科普 -亮点", 10)
    assert [ActivityPage.objects.get(pk=pk).title for pk in found] == ["科普开放日"]
    if connection.vendor == "postgresql":
        assert len(minus) == len(plain) + 1

        # The candidates are read as without a minus; then one check on the results' ids.
        def sql(queries):  # without the moments (each search reads the clock)
            return [re.sub(r"'[0-9-]+ [0-9:.+]+'", "", query["sql"]) for query in queries]

        assert sql(minus.captured_queries[:-1]) == sql(plain.captured_queries)
        assert "object_id" in minus.captured_queries[-1]["sql"]
    else:
        assert len(minus) == len(plain)  # FTS5's NOT subtracts posting lists
    many = " ".join(f"-词{number}" for number in range(12))
    assert len(terms(f"科普 {many}").excluded) == 3


def test_r29_a_word_every_activity_holds_does_not_make_a_partial_match(client, make):
    """亲子活动 with no 亲子 activity listed every activity, each holding 活动, as "matching
    some of the words": 活动 and 科普 (search.segment.UBIQUITOUS) alone match nothing."""
    make("湿地观鸟活动")
    found, page = search(client, "亲子活动")
    assert found == [] and NOTICE not in page
    make("亲子自然课堂")
    found, page = search(client, "亲子活动")
    assert found == ["亲子自然课堂"]  # by its parts: its type holds 活动
