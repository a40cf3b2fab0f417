"""The secret URL of an athlete's calendar feed.

Its own app: the feed lists training sessions, so it sits above `training` (which it imports) and beside
`athletes` (which must not import training). Only the SHA-256 of the token is stored: the URL is shown once,
when it is issued, and a leaked database does not leak working URLs."""

from django.db import models

from athletes.models import AthleteProfile


class CalendarFeed(models.Model):
    """One live feed URL per athlete; issuing a new one replaces it, revoking deletes it."""

    athlete = models.OneToOneField(AthleteProfile, on_delete=models.CASCADE, related_name="calendar_feed")
    token_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the URL's token (hex).")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "calendar feed"

    def __str__(self) -> str:
        return f"Calendar feed of {self.athlete_id}"
