import uuid

from django.db import migrations

# The Chinese counterparts gates/reference.py gives these two gates (Vietnamese name, Chinese name).
COUNTERPARTS = {
    "na-hinh": ("Khiếu Ải", "叫隘"),
    "na-nua": ("Nà Hoa", "那花"),
}


def name_the_counterparts(apps, schema_editor):
    """Existing installs get the counterpart names these gates lacked (a name someone set is kept)."""
    Gate = apps.get_model("gates", "Gate")
    changed = False
    for gate in Gate.objects.filter(code__in=COUNTERPARTS):
        name_vi, name_zh = COUNTERPARTS[gate.code]
        fields = [name for name in ("counterpart_name_vi", "counterpart_name_zh") if not getattr(gate, name)]
        if fields:
            gate.counterpart_name_vi = gate.counterpart_name_vi or name_vi
            gate.counterpart_name_zh = gate.counterpart_name_zh or name_zh
            gate.save(update_fields=fields)
            changed = True
    if changed:  # every server process re-reads the gates' rules (gates.rules) after the token changes
        apps.get_model("gates", "ReferenceRevision").objects.update_or_create(
            pk=1, defaults={"token": uuid.uuid4().hex})


class Migration(migrations.Migration):

    dependencies = [
        ("gates", "0003_yard_names_in_three_languages"),
    ]

    operations = [
        migrations.RunPython(name_the_counterparts, migrations.RunPython.noop),
    ]
