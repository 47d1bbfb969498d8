"""A retired activity type (启用 unticked) stays valid on the activities that have it: the
field no longer limits its choices to the types in use (the editor still offers only
those for new choices)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0015_creation_token"),
    ]

    operations = [
        migrations.AlterField(
            model_name="activitypage",
            name="activity_type",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="activities",
                to="activities.activitytype",
                verbose_name="activity type",
            ),
        ),
    ]
