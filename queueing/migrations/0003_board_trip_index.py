"""A covering index for the live board's count of trucks in progress per registration and stage.

The board counts active trips by stage with an index-only scan of this index, then joins the
(far fewer) registration rows; plain SQL that SQLite and PostgreSQL both accept.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("queueing", "0002_perishables_and_board_index"),
        ("crossings", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS queueing_trip_outcome_stage_registration "
            "ON crossings_trip (outcome, stage, registration_id)",
            "DROP INDEX IF EXISTS queueing_trip_outcome_stage_registration",
        ),
    ]
