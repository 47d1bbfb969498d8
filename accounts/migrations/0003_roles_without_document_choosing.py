"""Take "choose document" back from the role groups (issue #9).

Wagtail's wagtaildocs 0011 migration gives that permission to every group that can access the
admin, to keep its pre-2.x behaviour. Depending on the order migrations ran, it reached the
roles of activities/migrations/0003_roles.py, so every submitter could list, in the chooser
and the admin API, documents uploaded by anyone. Nobody but superusers uses documents here."""

from django.db import migrations

ROLES = ("活动发布者", "省级管理员", "全国管理员", "平台管理员")


def remove_choose_document(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    GroupCollectionPermission = apps.get_model("wagtailcore.GroupCollectionPermission")
    choose = Permission.objects.filter(
        content_type__app_label="wagtaildocs", codename="choose_document"
    ).first()
    if choose is None:
        return
    groups = Group.objects.filter(name__in=ROLES)
    GroupCollectionPermission.objects.filter(group__in=groups, permission=choose).delete()
    for group in groups:
        group.permissions.remove(choose)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_initial"),
        ("activities", "0003_roles"),
        ("wagtaildocs", "0014_alter_document_file_size"),
    ]

    operations = [migrations.RunPython(remove_choose_document, migrations.RunPython.noop)]
