from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _

from crossings import audit


def unapplied_migrations(alias: str = DEFAULT_DB_ALIAS) -> int:
    executor = MigrationExecutor(connections[alias])
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


class Command(BaseCommand):
    help = "Audit trail tools. `audit verify` walks the hash chain and reports edited, inserted or deleted rows."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        # Run against the wrong data directory or an empty database, verify would fail on a missing table: say
        # what is wrong instead (and never create the trail's tables here).
        if unapplied_migrations():
            raise CommandError(_("This database is not set up: run “cuakhau migrate” first, or point "
                                 "CUAKHAU_DATA_DIR or DATABASE_URL at the platform's database."))
        checked, problems = audit.check_chain()
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(_("The audit trail is NOT intact. Problems found: %(count)d.")
                               % {"count": len(problems)})
        self.stdout.write(self.style.SUCCESS(_("The audit trail is intact: %(count)d events checked.")
                                             % {"count": checked}))
