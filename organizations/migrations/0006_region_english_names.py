"""English names of the province-level regions (R34), by GB/T 2260 code: the English site
shows them in filters, cards, facts and summaries. Prefectures and counties keep only
their Chinese name (the site falls back to it). A name an administrator has set already
is kept."""

from django.db import migrations

PROVINCES_EN = {
    "110000": "Beijing",
    "120000": "Tianjin",
    "130000": "Hebei",
    "140000": "Shanxi",
    "150000": "Inner Mongolia",
    "210000": "Liaoning",
    "220000": "Jilin",
    "230000": "Heilongjiang",
    "310000": "Shanghai",
    "320000": "Jiangsu",
    "330000": "Zhejiang",
    "340000": "Anhui",
    "350000": "Fujian",
    "360000": "Jiangxi",
    "370000": "Shandong",
    "410000": "Henan",
    "420000": "Hubei",
    "430000": "Hunan",
    "440000": "Guangdong",
    "450000": "Guangxi",
    "460000": "Hainan",
    "500000": "Chongqing",
    "510000": "Sichuan",
    "520000": "Guizhou",
    "530000": "Yunnan",
    "540000": "Tibet (Xizang)",
    "610000": "Shaanxi",
    "620000": "Gansu",
    "630000": "Qinghai",
    "640000": "Ningxia",
    "650000": "Xinjiang",
    # Listed at province level in the platform's region table (regions.csv).
    "660000": "Xinjiang Production and Construction Corps",
    "710000": "Taiwan",
    "810000": "Hong Kong",
    "820000": "Macao",
}


def add_english_names(apps, schema_editor):
    Region = apps.get_model("organizations", "Region")
    for code, name_en in PROVINCES_EN.items():
        Region.objects.filter(code=code, name_en="").update(name_en=name_en)


class Migration(migrations.Migration):
    dependencies = [("organizations", "0005_region_name_en")]

    operations = [migrations.RunPython(add_english_names, migrations.RunPython.noop)]
