"""Seed the managed lists with realistic values and create the one activity index under
the home page, so every database starts with a usable structure."""

from django.db import migrations

TYPES = [
    "科普讲座",
    "科普展览",
    "科学实验",
    "参观体验",
    "科普竞赛",
    "线上直播",
    "科普表演",
    "科技咨询",
    "科普研学",
    "科普影视",
    "科技志愿服务",
    "其他",
]
JOINT_ACTIONS = [
    "科技志愿服务",
    "科学家精神宣讲",
    "科普进社区",
    "科普进校园",
    "科普乡村行",
    "应急科普",
    "健康科普",
    "双碳科普",
]
SPECIAL_ACTIONS = [
    "青少年科学素质提升",
    "农民科学素质提升",
    "产业工人科学素质提升",
    "老年人科学素质提升",
    "领导干部和公务员科学素质提升",
]


def seed(apps, schema_editor):
    for model_name, names in (
        ("ActivityType", TYPES),
        ("JointActionCategory", JOINT_ACTIONS),
        ("SpecialActionCategory", SPECIAL_ACTIONS),
    ):
        model = apps.get_model("activities", model_name)
        for order, name in enumerate(names):
            model.objects.get_or_create(name=name, defaults={"sort_order": order})

    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    ActivityIndexPage = apps.get_model("activities.ActivityIndexPage")
    home = Page.objects.filter(depth=2, content_type__app_label="home").first()
    if home is None or ActivityIndexPage.objects.exists():
        return
    last = Page.objects.filter(path__startswith=home.path, depth=3).order_by("-path").first()
    step = int(last.path[-4:], 36) + 1 if last else 1
    suffix = ""
    while step:
        step, digit = divmod(step, 36)
        suffix = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[digit] + suffix
    content_type, _ = ContentType.objects.get_or_create(
        app_label="activities", model="activityindexpage"
    )
    ActivityIndexPage.objects.create(
        title="科普活动",
        draft_title="科普活动",
        slug="activities",
        content_type=content_type,
        path=home.path + suffix.rjust(4, "0"),
        depth=3,
        numchild=0,
        url_path=home.url_path + "activities/",
        locale_id=home.locale_id,
        live=True,
        intro="<p>全国各地的科普日重点活动，按地区、类型和日期查找。</p>",
    )
    Page.objects.filter(pk=home.pk).update(numchild=home.numchild + 1)


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0001_initial"),
        ("home", "0002_create_homepage"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
