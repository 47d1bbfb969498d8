"""Replace Wagtail's placeholder root page with the HomePage and point the default Site
at it, so a fresh database serves the real home page without any seeding."""

from django.db import migrations


def create_homepage(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    HomePage = apps.get_model("home.HomePage")
    Locale = apps.get_model("wagtailcore.Locale")

    # Wagtail's own migration creates a "Welcome" page at /00010001/.
    Page.objects.filter(depth=2, content_type__model="page").delete()

    homepage_type, _ = ContentType.objects.get_or_create(model="homepage", app_label="home")
    locale = Locale.objects.order_by("pk").first()
    homepage = HomePage.objects.create(
        title="全国科普日",
        draft_title="全国科普日",
        slug="home",
        content_type=homepage_type,
        path="00010001",
        depth=2,
        numchild=0,
        url_path="/home/",
        locale=locale,
        intro="<p>百万群众参与的科学盛会：找到身边的科普活动，一起走近科学。</p>",
    )
    Page.objects.filter(depth=1).update(numchild=1)
    Site.objects.filter(is_default_site=True).delete()
    Site.objects.create(
        hostname="localhost", port=80, root_page=homepage, is_default_site=True,
        site_name="全国科普日活动平台",
    )


def remove_homepage(apps, schema_editor):
    apps.get_model("wagtailcore.Page").objects.filter(
        depth=2, content_type__app_label="home"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("home", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_homepage, remove_homepage)]
