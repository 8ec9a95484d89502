import uuid

from django.db import migrations, models

# The reference yards' names as gates/reference.py had them when this migration was written (vi, zh, en).
YARD_NAMES = {
    "huu-nghi-kiem-hoa": ("Bãi kiểm hóa Hữu Nghị", "友谊口岸查验货场", "Huu Nghi inspection yard"),
    "huu-nghi-chuyen-tai": ("Bãi chuyển tải Hữu Nghị", "友谊口岸换装货场", "Huu Nghi transshipment yard"),
    "xuan-cuong": ("Bãi Xuân Cương", "春刚货场", "Xuan Cuong yard"),
    "bao-nguyen": ("Bãi Bảo Nguyên", "宝源货场", "Bao Nguyen yard"),
    "chi-ma": ("Bãi Chi Ma", "支马口岸货场", "Chi Ma yard"),
    "coc-nam": ("Bãi Cốc Nam", "谷南口岸货场", "Coc Nam yard"),
    "dong-dang-ga": ("Bãi ga Đồng Đăng", "同登火车站货场", "Dong Dang station yard"),
    "binh-nghi": ("Bãi Bình Nghi", "平宜口岸货场", "Binh Nghi yard"),
    "na-hinh": ("Bãi Na Hình", "那形口岸货场", "Na Hinh yard"),
    "na-nua": ("Bãi Nà Nưa", "那糯口岸货场", "Na Nua yard"),
    "ta-lung": ("Bãi Tà Lùng", "塔隆口岸货场", "Ta Lung yard"),
    "tra-linh": ("Bãi Trà Lĩnh", "茶岭口岸货场", "Tra Linh yard"),
    "ha-lang": ("Bãi Hạ Lang", "下琅口岸货场", "Ha Lang yard"),
    "ly-van": ("Bãi Lý Vạn", "里万口岸货场", "Ly Van yard"),
    "mong-cai": ("Bãi Móng Cái", "芒街口岸货场", "Mong Cai yard"),
    "thanh-thuy": ("Bãi Thanh Thủy", "清水口岸货场", "Thanh Thuy yard"),
}


def translate_reference_yards(apps, schema_editor):
    """Existing installs get the Chinese and English names of the reference yards, where none is set."""
    Yard = apps.get_model("gates", "Yard")
    changed = False
    for yard in Yard.objects.filter(code__in=YARD_NAMES):
        _vi, zh, en = YARD_NAMES[yard.code]
        fields = [name for name in ("name_zh", "name_en") if not getattr(yard, name)]
        if fields:
            yard.name_zh, yard.name_en = yard.name_zh or zh, yard.name_en or en
            yard.save(update_fields=fields)
            changed = True
    if changed:  # every server process re-reads the gates' rules (gates.rules) after the token changes
        apps.get_model("gates", "ReferenceRevision").objects.update_or_create(
            pk=1, defaults={"token": uuid.uuid4().hex})


class Migration(migrations.Migration):

    dependencies = [
        ("gates", "0002_reference_revision"),
    ]

    operations = [
        migrations.RenameField(model_name="yard", old_name="name", new_name="name_vi"),
        migrations.AlterField(
            model_name="yard",
            name="name_vi",
            field=models.CharField(max_length=200, verbose_name="name (Vietnamese)"),
        ),
        migrations.AddField(
            model_name="yard",
            name="name_zh",
            field=models.CharField(blank=True, max_length=200, verbose_name="name (Chinese)"),
        ),
        migrations.AddField(
            model_name="yard",
            name="name_en",
            field=models.CharField(blank=True, max_length=200, verbose_name="name (English)"),
        ),
        migrations.RunPython(translate_reference_yards, migrations.RunPython.noop),
    ]
