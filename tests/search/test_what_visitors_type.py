"""R29 as visitors type: a query pasted longer than the box takes, full-width digits and
letters from a Chinese input method, one character, and a word jieba cuts otherwise in
the title. Each searched on the search page, the listing and the API alike."""

import pytest
from bs4 import BeautifulSoup

from tests.activities.conftest import titles

pytestmark = pytest.mark.django_db


def box_and_title(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return soup.select_one("input#id_q")["value"], soup.title.get_text(strip=True)


def api_titles(client, **params):
    answer = client.get("/api/v2/activities/", params)
    assert answer.status_code == 200
    return [item["title"] for item in answer.json()["items"]]


def test_a_query_longer_than_the_box_is_cut_to_it_not_dropped(client, publish):
    """It was invalid, so dropped: every activity showed under an empty box and the title
    搜索活动."""
    publish("陨石科普展")
    publish("湿地观鸟")
    pasted = "陨石科普" * 30
    cut = pasted[:100]  # as the box's maxlength cuts it
    response = client.get("/search/", {"q": pasted})
    assert titles(response) == ["陨石科普展"]
    box, title = box_and_title(response)
    assert box == cut and title.startswith(f"搜索：{cut}")
    assert titles(client.get("/activities/", {"q": pasted})) == ["陨石科普展"]
    assert api_titles(client, q=pasted) == ["陨石科普展"]


def test_full_width_digits_and_letters_find_what_their_plain_forms_find(client, publish):
    """２０２６ found nothing while 2026 found every activity of the year."""
    publish("2026年陨石科普展")
    publish("ＡＩ机器人编程体验")  # typed full-width
    publish("湿地观鸟")
    for query in ("２０２６", "2026"):
        assert titles(client.get("/search/", {"q": query})) == ["2026年陨石科普展"], query
    for query in ("ＡＩ", "ai", "AI"):
        assert api_titles(client, q=query) == ["ＡＩ机器人编程体验"], query
    # Marked as typed, whichever width the query was in.
    response = client.get("/search/", {"q": "ai"})
    marks = BeautifulSoup(response.content, "html.parser").select(".activity-card__title mark")
    assert [mark.get_text() for mark in marks] == ["ＡＩ"]


def test_one_character_or_a_word_cut_otherwise_finds_the_titles_containing_it(client, publish):
    """人 was not found in 机器人 (cut 机器/机器人), nor 线上 in 在线上举办 (在线/上)."""
    publish("人与自然科普展")
    publish("青少年机器人编程体验")
    publish("在线上举办的天文讲座")
    publish("湿地观鸟")
    # The title with the word itself first.
    assert titles(client.get("/search/", {"q": "人"})) == ["人与自然科普展", "青少年机器人编程体验"]
    assert titles(client.get("/search/", {"q": "线上"})) == ["在线上举办的天文讲座"]
    assert api_titles(client, q="线上") == ["在线上举办的天文讲座"]
    assert titles(client.get("/activities/", {"q": "观"})) == ["湿地观鸟"]
