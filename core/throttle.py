"""Failed-login throttling shared by the API's token endpoint and the admin's login page.

Each attempt takes a slot first, atomically (`cache.add` + `cache.incr`: one Redis INCR in production, a
locked update in local memory), and a successful login gives its slot back. So however many attempts arrive
at once, at most the `login` rate's number of failures are ever judged per client and window; the rest get 429.
The slot is taken before the password is hashed (DRF checks throttles before the view runs), so a throttled
attempt costs no hash. How many passwords a process hashes at once is bounded separately (core.auth.HashGate):
the allowance is per address, and a burst from many addresses must not take every thread either.
"""

from __future__ import annotations

import contextlib
import ipaddress
import math
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpResponse
from django.template.loader import render_to_string
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle


def client_bucket(request) -> str:
    """The client that a per-client allowance counts (the login throttle, the calendar feed's guesses): the
    address DRF's get_ident reads (REMOTE_ADDR, or X-Forwarded-For behind NUM_PROXIES proxies). IPv4 as it is, an
    IPv4-mapped IPv6 address as its IPv4, any other IPv6 address as its /64, anything unparseable one bucket.

    A /64 is what one subscriber or one host gets: counted per address, each of its 2**64 addresses would bring
    a fresh allowance. So the number of buckets is bounded by the clients, whatever the header says."""
    raw = (BaseThrottle().get_ident(request) or "").strip()
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False).network_address)
    return str(address)


@dataclass
class Slot:
    key: str
    allowed: bool
    wait: float


class LoginAttempts(SimpleRateThrottle):
    """The counter itself (a DRF throttle for its rate parsing and client identification)."""

    scope = "login"
    cache_format = "throttle_%(scope)s_%(ident)s"

    def get_cache_key(self, request, view=None):
        return self.cache_format % {"scope": self.scope, "ident": client_bucket(request)}

    def take(self, request) -> Slot:
        """Count one attempt from this client; `allowed` is False once the window's allowance is used up."""
        key = self.get_cache_key(request)
        if self.rate is None:
            return Slot(key, True, 0)
        for _ in range(3):
            if cache.add(key, 0, self.duration):
                cache.set(f"{key}:start", time.time(), self.duration)
            try:
                count = cache.incr(key)
                break
            except ValueError:  # the window expired between add and incr: open a new one
                continue
        else:
            return Slot(key, True, 0)
        if count <= self.num_requests:
            return Slot(key, True, 0)
        started = cache.get(f"{key}:start") or time.time()
        return Slot(key, False, max(1.0, started + self.duration - time.time()))

    def give_back(self, slot: Slot) -> None:
        """A successful login: its attempt does not count."""
        if slot.allowed and self.rate is not None:
            with contextlib.suppress(ValueError):  # the window has ended: nothing to give back
                cache.decr(slot.key)


def admin_login(request):
    """The admin's login page behind the same failed-login allowance as the API (the same counter: switching
    between the two gains an attacker nothing). Only POSTs count; a successful login gives its slot back. A login
    refused because the process is hashing as many passwords as it may (core.auth.HashGate) is a 503 page."""
    from django.contrib import admin

    from .auth import LoginsBusy

    if request.method != "POST":
        return admin.site.login(request)
    attempts = LoginAttempts()
    slot = attempts.take(request)
    if not slot.allowed:
        wait = math.ceil(slot.wait)
        body = render_to_string("429.html", {"wait": wait})
        response = HttpResponse(body, status=429)
        response["Retry-After"] = str(wait)
        return response
    try:
        response = admin.site.login(request)
    except LoginsBusy as exc:
        response = HttpResponse(render_to_string("503.html", {"detail": exc.detail}), status=503)
        response["Retry-After"] = str(exc.wait)
        return response
    if request.user.is_authenticated and response.status_code in (302, 303):
        attempts.give_back(slot)
    return response
