from django.db import migrations


def load(apps, schema_editor):
    from organizations.library import load_organizations, load_regions

    Region = apps.get_model("organizations", "Region")
    Organization = apps.get_model("organizations", "Organization")
    load_regions(Region)
    load_organizations(Organization, Region)


class Migration(migrations.Migration):
    dependencies = [("organizations", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
