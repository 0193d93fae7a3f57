from django.core.management.base import BaseCommand

from events.reference import load_reference


class Command(BaseCommand):
    help = "Loads the event categories and phase limits every deployment starts from (existing rows are kept)."

    def handle(self, *args, **options):
        counts = load_reference()
        self.stdout.write(f"event categories: {counts['categories']}, phase limits: {counts['limits']}")
