from django.core.management.base import BaseCommand

from gates.reference import load_reference_data


class Command(BaseCommand):
    help = "Load or refresh the reference data: gate pairs, lanes, yards, hours, protocols, agencies, tariff."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        counts = load_reference_data()
        self.stdout.write(self.style.SUCCESS(f"Reference data loaded: {counts}"))
