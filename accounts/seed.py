from django.contrib.auth.models import Group

from organizations.models import Organization

from . import roles
from .models import User

# Published in the README: demo data is refused outside DEBUG / DEMO_DATA_ALLOWED.
DEMO_PASSWORD = "kepuri-demo-2026"  # noqa: S105
SUPERUSER_PHONE = "13800000000"

# (phone, real name, group, province, organization name)
DEMO_ACCOUNTS = [
    ("13800000001", "陈晓（广州市科协）", roles.SUBMITTERS, None, "广州市科学技术协会"),
    ("13800000002", "李明（北京市海淀区科协）", roles.SUBMITTERS, None, "北京市海淀区科学技术协会"),
    ("13800000003", "周研（中国化学会）", roles.SUBMITTERS, None, "中国化学会"),
    ("13800000011", "黄审（广东省级管理员）", roles.PROVINCE_MODERATORS, "440000", None),
    ("13800000012", "赵审（北京市级管理员）", roles.PROVINCE_MODERATORS, "110000", None),
    ("13800000021", "孙审（全国管理员）", roles.NATIONAL_MODERATORS, None, None),
    ("13800000031", "吴管（平台管理员）", roles.ADMINISTRATORS, None, None),
]


def seed(command):
    _ensure(command, SUPERUSER_PHONE, "平台超级管理员", is_staff=True, is_superuser=True)
    for phone, name, group, province, organization in DEMO_ACCOUNTS:
        user = _ensure(
            command,
            phone,
            name,
            province_id=province,
            organization=Organization.objects.filter(name=organization).first(),
        )
        user.groups.add(Group.objects.get(name=group))


def _ensure(command, phone, real_name, **fields):
    user, created = User.objects.get_or_create(
        phone=phone,
        defaults={
            "real_name": real_name,
            "is_real_name_verified": True,
            "email": f"demo{phone[-4:]}@kepuri.example.cn",
            **fields,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    command.stdout.write(f"  {real_name}: {phone} / {DEMO_PASSWORD}")
    return user
