"""`python manage.py one_rep_max_refresh`: work out again the stored estimated one-rep maxes that have expired or
will within a day, and store those missing (training.workouts.estimates). Run it daily: lists stay right
without it (a read works a missing estimate out from the sets), only slower."""

from django.core.management.base import BaseCommand

from training.workouts.estimates import athletes_to_refresh, one_rep_max_refresh

BATCH = 200


class Command(BaseCommand):
    help = "Work out again the stored estimated one-rep maxes that expire within a day, and those missing."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="every athlete with sets, expired or not")

    def handle(self, *args, **options):
        athletes = athletes_to_refresh(every=options["all"])
        stored = 0
        for start in range(0, len(athletes), BATCH):
            stored += one_rep_max_refresh(athlete_ids=athletes[start : start + BATCH])
        self.stdout.write(f"{stored} estimates of {len(athletes)} athletes stored.")
