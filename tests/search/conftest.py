import pytest

from tests import factories

# Details that match none of the words the search tests look for.
PLAIN = "<p>社区居民一起参加的周末活动。</p>"


@pytest.fixture
def publish():
    """publish(title, **fields): a live activity of one submitter, all with one poster, its
    details PLAIN unless given."""
    owner = factories.submitter()
    image = factories.poster(owner)

    def publish(title, **fields):
        fields.setdefault("details", PLAIN)
        return factories.activity(owner, publish=True, poster=image, title=title, **fields)

    return publish


# Texts naming none of the words searched (the factory's content names 机器人, its scientists
# 华南理工大学, its address 广州…).
NEUTRAL = {
    "details": PLAIN,
    "content": "展示、体验、讲座",
    "audience": "社区居民",
    "scientists": "王老师团队",
    "address": "",
}


@pytest.fixture
def publish_neutral():
    """publish_neutral(title, hosts=(), **fields): a live activity with NEUTRAL texts, its
    host units named `hosts` (certified organizations where one has that name)."""
    owner = factories.submitter()
    image = factories.poster(owner)

    def publish(title, hosts=(), **fields):
        fields = {**NEUTRAL, **fields}
        return factories.activity(
            owner, publish=True, poster=image, title=title, hosts=hosts, **fields
        )

    return publish
