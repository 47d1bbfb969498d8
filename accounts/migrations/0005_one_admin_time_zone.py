"""All times are Beijing time (WAGTAIL_USER_TIME_ZONES): a zone chosen on Wagtail's account
page before would still apply to its user, whose admin then read and wrote dates in it."""

from django.db import migrations


def clear_chosen_zones(apps, schema_editor):
    UserProfile = apps.get_model("wagtailusers", "UserProfile")
    UserProfile.objects.exclude(current_time_zone="").update(current_time_zone="")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_real_name_readable"),
        ("wagtailusers", "0015_userprofile_keyboard_shortcuts"),
    ]

    operations = [migrations.RunPython(clear_chosen_zones, migrations.RunPython.noop)]
