"""PostgreSQL: drop the `varchar_pattern_ops` twins Django adds to indexed text columns, on the two tables
every confirmation writes.

They serve only `LIKE 'prefix%'`, which nothing runs on a trip's ticket token or an audit event's
registration number (equality lookups use the plain index; the admin's search is `LIKE '%…%'`, which no
index serves), yet each one is one more index entry at every confirmation. Django's state does not track
these indexes; should a later migration alter either field, Django drops (`IF EXISTS`) and recreates them.
"""

from django.db import migrations

PATTERN_INDEXES = {
    "crossings_trip_ticket_token_96d46f9a_like": ("crossings_trip", "ticket_token"),
    "crossings_auditevent_registration_number_3d5bbd7d_like": ("crossings_auditevent", "registration_number"),
}


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        for name in PATTERN_INDEXES:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def restore(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        for name, (table, column) in PATTERN_INDEXES.items():
            schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}" varchar_pattern_ops)')


class Migration(migrations.Migration):

    dependencies = [("crossings", "0003_fewer_indexes_written_by_a_confirmation")]

    operations = [migrations.RunPython(drop, restore)]
