from django.core.management.base import BaseCommand, CommandError

from crossings import audit


class Command(BaseCommand):
    help = "Audit trail tools. `audit verify` walks the hash chain and reports edited, inserted or deleted rows."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        problems = audit.verify()
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(f"audit trail is NOT intact: {len(problems)} problem(s)")
        self.stdout.write(self.style.SUCCESS("audit trail intact"))
