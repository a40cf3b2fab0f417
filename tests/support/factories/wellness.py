from datetime import date, timedelta

import factory

from tests.support.factories.athletes import AthleteProfileFactory
from wellness.models import WellnessEntry


class WellnessEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WellnessEntry

    athlete = factory.SubFactory(AthleteProfileFactory)
    date = factory.Sequence(lambda n: date.today() - timedelta(days=1 + n))
    sleep_quality = 4
    fatigue = 3
    soreness = 4
    stress = 3
    mood = 4
    sleep_hours = 7.5
    resting_heart_rate = 50
    hrv_rmssd = 60.0
