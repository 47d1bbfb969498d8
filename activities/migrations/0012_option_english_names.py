"""English names of the activity types and action categories that migration 0002 seeds
(R34), shown on the English site. Matched by their Chinese name; values an administrator
added or renamed since keep what they have (the site falls back to the Chinese name),
and an English name set already is kept."""

from django.db import migrations

TYPES_EN = {
    "科普讲座": "Science lecture",
    "科普展览": "Science exhibition",
    "科学实验": "Science experiment",
    "参观体验": "Visit and hands-on experience",
    "科普竞赛": "Science competition",
    "线上直播": "Online live stream",
    "科普表演": "Science performance",
    "科技咨询": "Science and technology consultation",
    "科普研学": "Science study tour",
    "科普影视": "Science film and video",
    "科技志愿服务": "Science and technology volunteering",
    "其他": "Other",
}
JOINT_ACTIONS_EN = {
    "科技志愿服务": "Science and technology volunteering",
    "科学家精神宣讲": "Promoting the spirit of scientists",
    "科普进社区": "Science outreach in communities",
    "科普进校园": "Science outreach in schools",
    "科普乡村行": "Science outreach in the countryside",
    "应急科普": "Emergency response science outreach",
    "健康科普": "Health science outreach",
    "双碳科普": "Carbon peaking and carbon neutrality science outreach",
}
SPECIAL_ACTIONS_EN = {
    "青少年科学素质提升": "Improving the science literacy of young people",
    "农民科学素质提升": "Improving the science literacy of farmers",
    "产业工人科学素质提升": "Improving the science literacy of industrial workers",
    "老年人科学素质提升": "Improving the science literacy of older people",
    "领导干部和公务员科学素质提升": (
        "Improving the science literacy of leading officials and civil servants"
    ),
}


def add_english_names(apps, schema_editor):
    for model_name, names in (
        ("ActivityType", TYPES_EN),
        ("JointActionCategory", JOINT_ACTIONS_EN),
        ("SpecialActionCategory", SPECIAL_ACTIONS_EN),
    ):
        model = apps.get_model("activities", model_name)
        for name, name_en in names.items():
            model.objects.filter(name=name, name_en="").update(name_en=name_en)


class Migration(migrations.Migration):
    dependencies = [("activities", "0011_option_name_en")]

    operations = [migrations.RunPython(add_english_names, migrations.RunPython.noop)]
