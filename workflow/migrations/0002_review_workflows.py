"""The two review workflows of R19 and the site setting that points at them. Wagtail's
sample "Moderators approval" workflow and its Moderators/Editors groups are retired so that
no one reviews or edits activities outside the two stages."""

from django.db import migrations

PROVINCE_MODERATORS = "省级管理员"
NATIONAL_MODERATORS = "全国管理员"


def create_workflows(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Group = apps.get_model("auth.Group")
    Workflow = apps.get_model("wagtailcore.Workflow")
    WorkflowTask = apps.get_model("wagtailcore.WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore.WorkflowPage")
    Task = apps.get_model("wagtailcore.Task")
    ProvinceApprovalTask = apps.get_model("workflow.ProvinceApprovalTask")
    NationalApprovalTask = apps.get_model("workflow.NationalApprovalTask")
    ReviewRouting = apps.get_model("workflow.ReviewRouting")
    Site = apps.get_model("wagtailcore.Site")

    province_type, _ = ContentType.objects.get_or_create(
        app_label="workflow", model="provinceapprovaltask"
    )
    national_type, _ = ContentType.objects.get_or_create(
        app_label="workflow", model="nationalapprovaltask"
    )
    province_task = ProvinceApprovalTask.objects.create(
        name="省级审核", content_type=province_type, active=True
    )
    province_task.groups.set(Group.objects.filter(name=PROVINCE_MODERATORS))
    national_task = NationalApprovalTask.objects.create(
        name="全国审核", content_type=national_type, active=True
    )
    national_task.groups.set(Group.objects.filter(name=NATIONAL_MODERATORS))

    two_stage = Workflow.objects.create(name="省级审核 → 全国审核", active=True)
    WorkflowTask.objects.create(workflow=two_stage, task=province_task, sort_order=0)
    WorkflowTask.objects.create(workflow=two_stage, task=national_task, sort_order=1)
    national_only = Workflow.objects.create(name="全国审核", active=True)
    WorkflowTask.objects.create(workflow=national_only, task=national_task, sort_order=0)

    for site in Site.objects.all():
        ReviewRouting.objects.update_or_create(
            site=site,
            defaults={"province_workflow": two_stage, "national_workflow": national_only},
        )

    # Retire Wagtail's sample workflow and groups.
    sample = Workflow.objects.filter(name="Moderators approval")
    WorkflowPage.objects.filter(workflow__in=sample).delete()
    sample.update(active=False)
    Task.objects.filter(name="Moderators approval").update(active=False)
    Group.objects.filter(name__in=["Moderators", "Editors"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0001_initial"),
        ("activities", "0003_roles"),
        ("home", "0002_create_homepage"),
    ]

    operations = [migrations.RunPython(create_workflows, migrations.RunPython.noop)]
