"""Role groups and their permissions (R2), created here rather than by hand so every
database — tests, demo and production — has the same rules."""

from django.db import migrations

SUBMITTERS = "活动发布者"
PROVINCE_MODERATORS = "省级管理员"
NATIONAL_MODERATORS = "全国管理员"
ADMINISTRATORS = "平台管理员"


def ensure_permissions(apps):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def perm(apps, app_label, codename):
    Permission = apps.get_model("auth.Permission")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def create_roles(apps, schema_editor):
    ensure_permissions(apps)
    Group = apps.get_model("auth.Group")
    GroupPagePermission = apps.get_model("wagtailcore.GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore.GroupCollectionPermission")
    Collection = apps.get_model("wagtailcore.Collection")
    Page = apps.get_model("wagtailcore.Page")
    ActivityIndexPage = apps.get_model("activities.ActivityIndexPage")

    index = ActivityIndexPage.objects.first()
    home = Page.objects.filter(depth=2, content_type__app_label="home").first()
    root_collection = Collection.objects.filter(depth=1).first()
    access_admin = perm(apps, "wagtailadmin", "access_admin")

    def group(name, permissions=(), page_permissions=(), page=None, image_permissions=()):
        instance, _ = Group.objects.get_or_create(name=name)
        instance.permissions.add(access_admin, *permissions)
        for codename in page_permissions:
            if page is not None:
                GroupPagePermission.objects.get_or_create(
                    group=instance, page=page, permission=perm(apps, "wagtailcore", codename)
                )
        for codename in image_permissions:
            GroupCollectionPermission.objects.get_or_create(
                group=instance,
                collection=root_collection,
                permission=perm(apps, "wagtailimages", codename),
            )
        return instance

    # Submitters add activities and, through Wagtail's ownership rule, edit only their own;
    # they never get publish. Image "add" lets them upload and use only their own images.
    group(SUBMITTERS, page_permissions=["add_page"], page=index, image_permissions=["add_image"])
    # Province moderators act through their workflow task only (see workflow/).
    group(PROVINCE_MODERATORS, image_permissions=["choose_image"])
    group(
        NATIONAL_MODERATORS,
        page_permissions=["change_page", "publish_page", "lock_page", "unlock_page"],
        page=index,
        image_permissions=["choose_image"],
    )
    admin_permissions = [
        perm(apps, app, codename)
        for app, codename in [
            ("organizations", "add_organization"),
            ("organizations", "change_organization"),
            ("organizations", "delete_organization"),
            ("organizations", "view_organization"),
            ("activities", "add_activitytype"),
            ("activities", "change_activitytype"),
            ("activities", "delete_activitytype"),
            ("activities", "add_jointactioncategory"),
            ("activities", "change_jointactioncategory"),
            ("activities", "delete_jointactioncategory"),
            ("activities", "add_specialactioncategory"),
            ("activities", "change_specialactioncategory"),
            ("activities", "delete_specialactioncategory"),
            ("home", "change_campaignsettings"),
            ("accounts", "add_user"),
            ("accounts", "change_user"),
            ("accounts", "view_user"),
        ]
    ]
    group(
        ADMINISTRATORS,
        permissions=admin_permissions,
        page_permissions=[
            "add_page",
            "change_page",
            "publish_page",
            "bulk_delete_page",
            "lock_page",
            "unlock_page",
        ],
        page=home,
        image_permissions=["add_image", "change_image", "delete_image", "choose_image"],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0002_lists_and_index"),
        ("accounts", "0002_initial"),
        ("organizations", "0002_load_library"),
        ("home", "0003_campaign_settings"),
        ("wagtailadmin", "0006_formstate"),
        ("wagtailimages", "0027_image_description"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
