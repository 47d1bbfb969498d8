"""The campaign year lies between 2000 and 2100, as the statistics' year does."""

import django.core.validators
from django.db import migrations, models

import home.models


class Migration(migrations.Migration):
    dependencies = [
        ("home", "0006_campaign_support_contact"),
    ]

    operations = [
        migrations.AlterField(
            model_name="campaignsettings",
            name="year",
            field=models.PositiveSmallIntegerField(
                default=home.models._default_year,
                validators=[
                    django.core.validators.MinValueValidator(2000),
                    django.core.validators.MaxValueValidator(2100),
                ],
                verbose_name="campaign year",
            ),
        ),
    ]
