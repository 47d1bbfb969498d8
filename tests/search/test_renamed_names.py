"""R29: an activity is found by the current names of its units, channel, region and type.

Each activity's indexed text holds those names as they were when it was saved; renaming
one reindexes the activities that name it (activities/indexing.py), through the
"background" task backend: at once here, by `db_worker` in production."""

import pytest
from django.db import transaction
from django.test import override_settings
from django_tasks.signals import task_enqueued

from activities.indexing import activities_naming
from activities.models import ActivityType
from organizations.models import Organization, Region
from tests import factories
from tests.tasks import PRODUCTION_TASKS, run_worker

pytestmark = pytest.mark.django_db

PLAIN = "<p>社区居民一起参加的周末活动。</p>"


def found(client, word, page):
    response = client.get("/search/", {"q": word})
    assert response.status_code == 200
    return page.title in response.content.decode()


@pytest.fixture
def host():
    return Organization.objects.create(
        name="青松天文爱好者协会",
        category=Organization.Category.OTHER,
        province_id="440000",
        status=Organization.Status.CERTIFIED,
    )


@pytest.fixture
def page(host):
    owner = factories.submitter()
    return factories.activity(
        owner, publish=True, hosts=(host.name,), title="周末社区开放日", details=PLAIN
    )


@pytest.fixture
def enqueued():
    seen = []

    def record(sender, task_result, **kwargs):
        # Wagtail queues each saved row's own search entry on "default".
        if task_result.backend == "background":
            seen.append(task_result)

    task_enqueued.connect(record)
    yield seen
    task_enqueued.disconnect(record)


def rename(instance, name, capture):
    with capture(execute=True):
        instance.name = name
        instance.save()


def test_r29_a_renamed_host_unit_is_found_by_its_new_name(
    client, host, page, django_capture_on_commit_callbacks
):
    assert found(client, "天文", page)
    rename(host, "星河科学传播中心", django_capture_on_commit_callbacks)
    assert found(client, "星河", page)
    assert not found(client, "天文", page)


@pytest.mark.parametrize(
    "get_row, new_name, word",
    [
        # The channel (归口单位) every Guangdong test activity names.
        (lambda: factories.channel(), "粤海星河科学技术协会", "粤海"),
        (lambda: Region.objects.get(pk="440100"), "羊城星河市", "羊城"),
        (lambda: ActivityType.objects.get(name="科普讲座"), "星河讲堂", "讲堂"),
    ],
    ids=["channel", "city", "type"],
)
def test_r29_a_renamed_channel_region_or_type_is_found_by_its_new_name(
    client, page, get_row, new_name, word, django_capture_on_commit_callbacks
):
    assert not found(client, word, page)
    rename(get_row(), new_name, django_capture_on_commit_callbacks)
    assert found(client, word, page)


def test_r29_only_the_activities_naming_the_row_are_reindexed(host, page):
    other = factories.activity(factories.submitter(), publish=True, title="另一个活动")
    assert set(activities_naming("organizations.organization", host.pk)) == {page.pk}
    assert other.pk not in activities_naming("organizations.organization", host.pk)
    # The channel is named by both, through a different field than the host unit.
    both = activities_naming("organizations.organization", factories.channel().pk)
    assert {page.pk, other.pk} <= set(both)


def test_r29_saves_that_rename_nothing_queue_nothing(
    host, page, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        # Not a field an activity's text holds (a short name is: test_names_and_places).
        host.contact_person = "李老师"
        host.save()
        Organization.objects.create(
            name="新建的单位", category=Organization.Category.OTHER, province_id="440000"
        )
    assert enqueued == []
    rename(host, "星河科学传播中心", django_capture_on_commit_callbacks)
    # The lookup, then one chunk (activities.indexing.CHUNK) of the one activity.
    assert [result.task.name for result in enqueued] == [
        "reindex_activities_naming",
        "reindex_activities",
    ]


def test_r29_a_rolled_back_rename_queues_nothing(
    host, page, enqueued, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        host.name = "星河科学传播中心"
        host.save()
        raise RuntimeError
    assert enqueued == []


def test_r29_in_production_the_rename_waits_for_the_worker(
    client, host, page, django_capture_on_commit_callbacks
):
    """Production's backend (config/settings/production.py): the rename returns at once,
    the activities are found by the new name once `db_worker` has run."""
    from django_tasks_db.models import DBTaskResult

    with override_settings(TASKS=PRODUCTION_TASKS):
        rename(host, "星河科学传播中心", django_capture_on_commit_callbacks)
        assert DBTaskResult.objects.filter(status="READY").count() == 1
        assert not found(client, "星河", page)
        run_worker()
        statuses = DBTaskResult.objects.values_list("task_path", "status")
        assert sorted(statuses) == [
            ("activities.indexing.reindex_activities", "SUCCESSFUL"),
            ("activities.indexing.reindex_activities_naming", "SUCCESSFUL"),
        ]
        assert found(client, "星河", page)


def test_r29_a_long_reindexing_lets_mail_through_between_its_chunks(
    host, page, django_capture_on_commit_callbacks
):
    """One worker does mail and long work: a mail queued after a rename (a password reset,
    a review notice) is sent before the next chunk of the reindexing, not after all."""
    from django.core import mail
    from django.core.mail import send_mail
    from django_tasks_db.models import DBTaskResult

    with override_settings(TASKS=PRODUCTION_TASKS):
        rename(host, "星河科学传播中心", django_capture_on_commit_callbacks)
        run_worker("--max-tasks", "1")  # the lookup: it queues the chunks
        assert DBTaskResult.objects.filter(status="READY").count() == 1
        send_mail("重置密码", "链接", None, ["someone@example.cn"])
        run_worker("--max-tasks", "1")
        assert [message.subject for message in mail.outbox] == ["重置密码"]
        assert DBTaskResult.objects.get(status="READY").task_path.endswith("reindex_activities")
