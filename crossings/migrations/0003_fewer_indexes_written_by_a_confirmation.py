"""Indexes a checkpoint confirmation no longer has to write (see the models' comments).

The foreign keys' own indexes are dropped by name: Django would rebuild the whole checkpoint table on
SQLite for each of them (three copies of the largest table), where dropping the index is all it takes.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Django names an index of one column the same way on SQLite and PostgreSQL.
FOREIGN_KEY_INDEXES = {
    ("checkpoint", "agency"): "crossings_checkpoint_agency_id_92469e9c",
    ("checkpoint", "confirmed_by"): "crossings_checkpoint_confirmed_by_id_9607e0fa",
    ("checkpoint", "trip"): "crossings_checkpoint_trip_id_6b076d48",
    ("trip", "registration"): "crossings_trip_registration_id_84d1bd9c",
}


def _unindexed(model_name: str, field_name: str):
    fields = {
        ("checkpoint", "agency"): models.ForeignKey(
            blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
            to="accounts.agency"),
        ("checkpoint", "confirmed_by"): models.ForeignKey(
            blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
            to=settings.AUTH_USER_MODEL),
        ("checkpoint", "trip"): models.ForeignKey(
            db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="checkpoints",
            to="crossings.trip"),
        ("trip", "registration"): models.ForeignKey(
            db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="trips",
            to="declarations.registration"),
    }
    index = FOREIGN_KEY_INDEXES[(model_name, field_name)]
    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AlterField(model_name=model_name, name=field_name,
                                                field=fields[(model_name, field_name)])],
        database_operations=[migrations.RunSQL(
            f'DROP INDEX IF EXISTS "{index}"',
            reverse_sql=f'CREATE INDEX "{index}" ON "crossings_{model_name}" ("{field_name}_id")')],
    )


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
        ("crossings", "0002_board_indexes"),
        ("declarations", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(model_name="checkpoint", name="crossings_c_name_f0173e_idx"),
        migrations.RemoveIndex(model_name="checkpoint", name="checkpoint_name_confirmed"),
        migrations.RemoveIndex(model_name="trip", name="crossings_t_stage_df80f7_idx"),
        *[_unindexed(model_name, field_name) for model_name, field_name in FOREIGN_KEY_INDEXES],
        migrations.AddIndex(
            model_name="checkpoint",
            index=models.Index(condition=models.Q(("confirmed_at__isnull", False)), fields=["name", "confirmed_at"],
                               name="checkpoint_name_confirmed_at"),
        ),
    ]
