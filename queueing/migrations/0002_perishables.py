"""Seed the green-lane headings (the board's indexes live with crossings' models)."""

from django.db import migrations

PERISHABLES = [
    ("01", "Động vật sống", "活动物", "Live animals"),
    ("03", "Cá và thủy sản", "鱼及水产品", "Fish and seafood"),
    ("07", "Rau tươi", "新鲜蔬菜", "Fresh vegetables"),
    ("08", "Quả tươi", "新鲜水果", "Fresh fruit and nuts"),
]


def seed(apps, schema_editor):
    PerishableHeading = apps.get_model("queueing", "PerishableHeading")
    for prefix, vi, zh, en in PERISHABLES:
        PerishableHeading.objects.get_or_create(hs_prefix=prefix, defaults={"name_vi": vi, "name_zh": zh,
                                                                           "name_en": en})


def unseed(apps, schema_editor):
    apps.get_model("queueing", "PerishableHeading").objects.filter(hs_prefix__in=[p[0] for p in PERISHABLES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("queueing", "0001_initial"),
        ("crossings", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
