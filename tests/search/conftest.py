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
