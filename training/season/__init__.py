"""The season: the events an athlete trains for (`models.SeasonEvent`, `/api/v1/events/`: races, tests, camps,
with an A/B/C priority), shown with the fitness, fatigue and form the load model gives their day (training.load:
the series projected past today with the planned load)."""
