"""The calendar feed (`GET /calendar/<token>.ics`, no other authentication) and the API that issues and
revokes its URL (`POST /api/v1/athletes/{id}/calendar-feed/`, `…/revoke/`)."""

from __future__ import annotations

import math
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from athletes.selectors import athlete_list
from core.idempotency import IdempotentPostMixin
from core.throttle import client_bucket

from . import feed, services
from .models import CalendarFeed

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
CACHE_CONTROL = "private, max-age=300"
_PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


# --- The feed ---------------------------------------------------------------------------------------


def _rate() -> tuple[int, int]:
    """CALENDAR_FEED_RATE (`60/hour`) as (requests, seconds)."""
    count, _, period = settings.CALENDAR_FEED_RATE.partition("/")
    return int(count), _PERIODS[period.strip().lower()]


def _count(key: str, period: int) -> int:
    """One more request in `key`'s window (`cache.add` + `cache.incr`: atomic in Redis and locmem)."""
    cache.add(key, 0, timeout=period + 1)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=period + 1)
        return 1


def _too_many(message: str, wait: int) -> HttpResponse:
    response = HttpResponse(message, status=429)
    response["Retry-After"] = str(wait)
    response["Content-Type"] = "text/plain; charset=utf-8"
    return response


def _none_match(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    # Weak comparison (RFC 9110 §13.1.2): a proxy may have weakened the tag.
    return etag in {tag.strip().removeprefix("W/") for tag in header.split(",")}


@csrf_exempt  # no cookies, no session: a write method gets its 405, not a CSRF 403
@require_safe
def calendar_feed(request, token: str) -> HttpResponse:
    """The athlete's sessions from 90 days ago to 365 days ahead as `text/calendar` (RFC 5545)."""
    if not TOKEN_RE.match(token):
        raise Http404("No such calendar.")
    # Fixed windows in the shared cache, two budgets of CALENDAR_FEED_RATE each: requests per feed URL, and
    # requests for URLs that do not exist per client address (guessing). A token that does not exist leaves
    # nothing behind: its URL's counter is only ever created once the token has been found.
    limit, period = _rate()
    now = time.time()
    window = int(now // period)
    wait = max(1, math.ceil((window + 1) * period - now))
    guesses_key = f"calendar-feed-misses:{client_bucket(request)}:{window}"
    token_hash = services.feed_token_hash(token)
    url_key = f"calendar-feed:{token_hash}:{window}"  # the hash: the token itself never reaches the cache
    try:
        used = cache.incr(url_key)  # counts only a URL already found in this window
    except ValueError:
        used = None
    if used == 1:  # Redis re-created a key that expired after its existence check: give it its expiry back
        cache.touch(url_key, period + 1)
    if used is not None and used > limit:
        return _too_many("Too many requests for this calendar; retry later.\n", wait)  # before the database
    row = CalendarFeed.objects.select_related("athlete").filter(token_hash=token_hash).first()
    if row is None:
        # An address out of guesses gets 429 for unknown URLs, but real URLs are still served from it: calendar
        # services poll every subscriber's feed from a few shared addresses, and a handful of revoked URLs they
        # keep polling must not cut everyone else's calendar off. Guessing a 256-bit token is hopeless anyway;
        # the budget bounds the work a guesser causes (one indexed lookup a request, nothing kept per token).
        if _count(guesses_key, period) > limit:
            return _too_many("Too many requests for unknown calendars from this address; retry later.\n", wait)
        raise Http404("No such calendar.")
    if used is None:
        _count(url_key, period)  # the URL's first request in this window
    body = feed.render_calendar(row.athlete, feed.feed_sessions(row.athlete, timezone.now()))
    etag = feed.body_etag(body)
    if _none_match(request.headers.get("If-None-Match"), etag):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="cadence.ics"'
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    response["X-Robots-Tag"] = "noindex"
    return response


# --- The API that issues and revokes the URL -----------------------------------------------------------


class CalendarFeedUrlSerializer(serializers.Serializer):
    url = serializers.URLField(read_only=True, help_text="The secret feed URL; shown only now.")


class _AthleteFeedView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def athlete(self, request, pk):
        # The athlete themself, or a coach who may see them; anyone else: 404 (existence does not leak).
        return get_object_or_404(athlete_list(user=request.user), pk=pk)


class CalendarFeedView(IdempotentPostMixin, _AthleteFeedView):
    @extend_schema(
        request=None,
        responses={201: CalendarFeedUrlSerializer},
        summary="Issue a new calendar feed URL (the previous one stops working)",
    )
    def post(self, request, pk):
        athlete = self.athlete(request, pk)
        token = services.calendar_feed_issue(athlete=athlete)
        url = request.build_absolute_uri(reverse("calendar-feed", kwargs={"token": token}))
        return Response(
            CalendarFeedUrlSerializer({"url": url}).data,
            status=status.HTTP_201_CREATED,
            headers={"Cache-Control": "no-store"},
        )


class CalendarFeedRevokeView(_AthleteFeedView):
    """Takes no Idempotency-Key (core.idempotency.KEYLESS_POSTS): revoking twice is revoking, and a replayed
    answer would leave the URL issued since working."""

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="No feed URL of this athlete works any more.")},
        summary="Revoke the athlete's calendar feed URL",
    )
    def post(self, request, pk):
        services.calendar_feed_revoke(athlete=self.athlete(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
