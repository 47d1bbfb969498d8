"""English names of the regions (R34): every province-level region has its official one
(organizations migration 0006, by GB/T 2260 code), prefectures and counties fall back to
their Chinese name, and display_name picks the name of the current language."""

import importlib

import pytest
from django.apps import apps
from django.utils import translation

from organizations.models import Region, name_in_language

pytestmark = pytest.mark.django_db

NAMES = importlib.import_module("organizations.migrations.0006_region_english_names")


def test_r34_every_province_level_region_has_its_english_name():
    provinces = dict(
        Region.objects.filter(level=Region.Level.PROVINCE).values_list("code", "name_en")
    )
    assert all(provinces.values()), [code for code, name in provinces.items() if not name]
    assert provinces["440000"] == "Guangdong"
    assert provinces["110000"] == "Beijing"
    assert provinces["150000"] == "Inner Mongolia"
    assert provinces["540000"] == "Tibet (Xizang)"
    assert provinces["610000"] == "Shaanxi" and provinces["140000"] == "Shanxi"
    assert provinces["810000"] == "Hong Kong" and provinces["820000"] == "Macao"
    assert provinces["710000"] == "Taiwan"
    # Prefectures and counties keep only their Chinese name.
    assert not Region.objects.exclude(level=Region.Level.PROVINCE).exclude(name_en="").exists()


def test_r34_display_name_follows_the_language_and_falls_back_to_chinese():
    guangdong = Region.objects.get(code="440000")
    guangzhou = Region.objects.get(code="440100")
    with translation.override("en"):
        assert guangdong.display_name == "Guangdong"
        assert guangzhou.display_name == "广州市"  # no English name: the Chinese one
        guangdong.name_en = ""
        assert guangdong.display_name == "广东省"
    guangdong.name_en = "Guangdong"
    with translation.override("zh-hans"):
        assert guangdong.display_name == "广东省"
    # Admin choosers and forms keep the Chinese name.
    with translation.override("en"):
        assert str(guangdong) == "广东省"
    with translation.override(None):
        assert name_in_language("广东省", "Guangdong") == "广东省"


def test_r34_the_data_migration_keeps_an_english_name_set_already():
    Region.objects.filter(code="440000").update(name_en="Canton")
    Region.objects.filter(code="110000").update(name_en="")
    NAMES.add_english_names(apps, None)
    assert Region.objects.get(code="440000").name_en == "Canton"
    assert Region.objects.get(code="110000").name_en == "Beijing"
