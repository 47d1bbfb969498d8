"""Shared builders for tests: real models, real Wagtail pages, no mocks."""

import datetime
import io
import itertools

from django.contrib.auth.models import Group
from django.core.files.images import ImageFile
from django.utils import timezone
from wagtail.images.models import Image

from accounts import roles
from accounts.models import User
from activities.models import ActivityIndexPage, ActivityPage, ActivityType, HostUnit
from activities.posters import make_poster
from organizations.models import Organization

_phones = itertools.count(13500000000)


def user(role=None, province=None, **fields):
    account = User.objects.create_user(
        str(next(_phones)),
        "test-pass-2026-x",
        real_name=fields.pop("real_name", "测试用户"),
        province_id=province,
        **fields,
    )
    if role:
        account.groups.add(Group.objects.get(name=role))
    return account


def submitter(**fields):
    return user(roles.SUBMITTERS, **fields)


def poster(owner=None, size=(900, 1200), fmt="JPEG", title="测试海报"):
    data = make_poster("全国科普日测试活动", "2026年9月20日", "测试主办单位", size=size, fmt=fmt)
    extension = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[fmt]
    return Image.objects.create(
        title=title,
        uploaded_by_user=owner,
        file=ImageFile(io.BytesIO(data), name=f"poster.{extension}"),
    )


def channel(name="广东省科学技术协会", category="provincial"):
    return Organization.objects.get(name=name, category=category)


def index():
    return ActivityIndexPage.objects.get()


def activity_fields(**overrides):
    start = overrides.pop("start_at", timezone.now() + datetime.timedelta(days=20))
    fields = {
        "title": "广州青少年机器人科普体验日",
        "mode": ActivityPage.Mode.OFFLINE,
        "activity_type": ActivityType.objects.get(name="科普讲座"),
        "start_at": start,
        "end_at": start + datetime.timedelta(hours=3),
        "province_id": "440000",
        "city_id": "440100",
        "channel_category": "provincial",
        "channel": channel(),
        "details": "<p>带领青少年走近机器人，动手体验编程与控制。</p>",
        "content": "机器人展示、编程体验、专家讲座",
        "audience": "中小学生及家长",
        "scientists": "华南理工大学机器人团队",
        "contact_person": "王老师",
        "contact_phone": "020-88888888",
    }
    fields.update(overrides)
    return fields


def activity(owner=None, publish=False, hosts=("广州市科学技术协会",), **overrides):
    """An activity page saved as a draft revision (or published) under the index."""
    fields = activity_fields(**overrides)
    if "poster" not in fields:
        fields["poster"] = poster(owner)
    page = ActivityPage(owner=owner, live=False, **fields)
    for name in hosts:
        org = Organization.objects.filter(name=name).first()
        page.host_units.add(HostUnit(organization=org, name=name))
    index().add_child(instance=page)
    revision = page.save_revision(user=owner)
    if publish:
        revision.publish()
        page.refresh_from_db()
    return page
