"""Demo activities: realistic names, places, channels and posters across every state."""

import csv
import datetime
import io
import random
from pathlib import Path

from django.core.files.images import ImageFile
from django.utils import timezone
from wagtail.images.models import Image

from accounts.models import User
from organizations.models import Organization

from .models import (
    ActivityIndexPage,
    ActivityPage,
    ActivityType,
    HostUnit,
    JointActionCategory,
    OrganizerUnit,
)
from .posters import make_poster

# (title, province, city, channel, owner phone, type, mode, day offset, planned state)
# Demo rows: name, place, channel, owner, type, mode, start (days from today), review state.
DEMO_FILE = Path(__file__).resolve().parent / "data" / "demo_activities.csv"


def demo_rows():
    with open(DEMO_FILE, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


DETAILS = (
    "<p>{title}将于{when}在{place}举办。活动由{channel}主办，围绕全国科普日主题，"
    "通过{kind}等形式，带领公众走近科学、体验科技。</p>"
    "<h2>活动亮点</h2><ul><li>科学家现场互动答疑</li><li>动手实验与展品体验</li>"
    "<li>青少年科学素质提升</li></ul>"
)


def seed(command):
    index = ActivityIndexPage.objects.first()
    if index is None:
        return
    existing = set(ActivityPage.objects.values_list("title", flat=True))
    # Every demo activity starts as its submitter's draft; workflow.seed moves it on.
    rng = random.Random(2026)  # noqa: S311 - demo data, reproducible on purpose
    today = timezone.localtime().replace(hour=9, minute=30, second=0, microsecond=0)
    joint = list(JointActionCategory.objects.all()[:3])
    created = 0
    for number, row in enumerate(demo_rows()):
        title, type_name, mode = row["title"], row["type"], row["mode"]
        if title in existing:
            continue
        channel = Organization.objects.get(name=row["channel"])
        owner = User.objects.get(phone=row["owner_phone"])
        start = today + datetime.timedelta(days=int(row["day_offset"]), hours=rng.choice([0, 1, 5]))
        host = channel.name
        poster = _poster(title, start, host, number, owner)
        page = ActivityPage(
            title=title,
            owner=owner,
            live=False,
            mode=mode,
            activity_type=ActivityType.objects.get(name=type_name),
            start_at=start,
            end_at=start + datetime.timedelta(hours=rng.choice([2, 3, 4, 6])),
            province_id=row["province"],
            city_id=row["city"] or None,
            channel_category=channel.category,
            channel=channel,
            is_youth_festival="青少年" in title or "校园" in title,
            supports_reservation=number % 3 == 0,
            reservation_url=f"https://example.com/book/{number}" if number % 3 == 0 else "",
            is_joint_action=number % 4 == 0,
            poster=poster,
            details=DETAILS.format(
                title=title,
                when=start.strftime("%Y年%m月%d日"),
                place=channel.province.name if channel.province else "线上",
                channel=channel.name,
                kind=type_name,
            ),
            content=f"{type_name}：{title}。现场展示、互动体验、专家讲解。",
            audience=rng.choice(["中小学生及家长", "社区居民", "社会公众", "高校学生", "老年人"]),
            scientists=rng.choice(
                ["中国科学院相关研究所科研人员", "高校教授团队", "天文领域的科技工作者"]
            ),
            contact_person=rng.choice(["王老师", "刘老师", "陈主任"]),
            contact_phone=f"010-6358{9000 + number:04d}",
            highlights="科学家面对面，动手做实验。",
            expected_participants=rng.choice([200, 500, 1000, 3000]),
        )
        page.host_units.add(HostUnit(organization=channel, name=channel.name))
        page.organizer_units.add(OrganizerUnit(name=f"{title[:6]}活动组委会"))
        index.add_child(instance=page)
        if page.is_joint_action:
            page.joint_action_categories.set(joint)
        page.save_revision(user=owner)
        created += 1
    command.stdout.write(f"  activities: {created} created, {len(existing)} already there")


def planned_states():
    return {row["title"]: row["state"] for row in demo_rows()}


def _poster(title, start, host, number, owner):
    data = make_poster(
        title, start.strftime("%Y年%m月%d日 %H:%M"), host, seed=number, size=(720, 960)
    )
    return Image.objects.create(
        title=f"{title} 海报",
        uploaded_by_user=owner,
        file=ImageFile(io.BytesIO(data), name=f"poster-{number:03d}.jpg"),
    )
