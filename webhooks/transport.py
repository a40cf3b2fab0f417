"""Sending one webhook request safely: the URL rules (SSRF), the DNS check at each attempt with the resolved
address pinned for the connection, no redirects, a bounded time and a bounded answer.

urllib3 (maintained, the engine under `requests`) lets the connection go to the address that was checked while
TLS still verifies the endpoint's host name (`server_hostname`/`assert_hostname`): the name is resolved once,
judged, and never resolved again for that attempt, so a DNS answer that changes between the check and the
connection (rebinding) cannot reach an internal address."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings

# Cloud metadata services, refused even when their ranges would not be (some are not link-local).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "metadata", "metadata.google.internal")
MAX_ANSWER_BYTES = 64 * 1024  # read (and keep) no more of a receiver's answer than this


class UnsafeURL(ValueError):
    """The URL may not be used as a webhook endpoint (the message says why)."""


def allowed_private(host: str) -> bool:
    return host.lower().rstrip(".") in settings.WEBHOOK_ALLOW_PRIVATE_HOSTS


def address_refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why `address` may not be reached by a webhook (private, loopback, link-local, metadata...), or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    for kind in ("loopback", "link_local", "private", "multicast", "reserved", "unspecified"):
        if getattr(address, f"is_{kind}"):
            return f"a {kind.replace('_', '-')} address"
    if not address.is_global:
        return "not a public address"
    return None


def url_check(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an endpoint URL that may be written; UnsafeURL otherwise. Judged without DNS: an
    https URL to a public name, or to an address that is public; http://, private addresses and local names only
    for hosts in WEBHOOK_ALLOW_PRIVATE_HOSTS. The address a name resolves to is judged at each delivery."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"Not a valid URL: {exc}.") from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower().rstrip(".")
    if scheme not in ("http", "https") or not host:
        raise UnsafeURL("Give an https:// URL with a host name.")
    if not host.isascii():
        raise UnsafeURL("Write the host name in its ASCII form (IDNA: xn--…).")
    if parts.username or parts.password:
        raise UnsafeURL("A webhook URL may not carry credentials (user:password@).")
    allowed = allowed_private(host)
    if scheme == "http" and not allowed:
        raise UnsafeURL("Only https:// URLs are accepted (http:// only for hosts in WEBHOOK_ALLOW_PRIVATE_HOSTS).")
    if not allowed:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if address is not None and (why := address_refused(address)):
            raise UnsafeURL(f"{host} is {why}; webhooks go to public addresses only.")
        if address is None and (host in LOCAL_NAMES or host.endswith((".localhost", ".local", ".internal"))):
            raise UnsafeURL(f"{host} is a local name; webhooks go to public addresses only.")
    return scheme, host, port or (443 if scheme == "https" else 80)


def resolve_checked(host: str, port: int) -> str:
    """The address to connect to for `host`: resolved once; every address it resolves to must be public unless
    the host is allowed (UnsafeURL otherwise), and the first is used for the connection."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeURL(f"{host} does not resolve: {exc}.") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise UnsafeURL(f"{host} does not resolve.")
    if not allowed_private(host):
        for address in addresses:
            if why := address_refused(address):
                raise UnsafeURL(f"{host} resolves to {address}, {why}; refused.")
    return str(addresses[0])


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no HTTP answer (refused, timed out, connection failed)
    error: str  # empty when a 2xx came back in time

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and not self.error


def post(url: str, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to `url`: checked (url_check, then resolve_checked), to the checked address, no redirect
    followed, the whole exchange within WEBHOOK_TIMEOUT_SECONDS. Never raises for the receiver's faults."""
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    deadline = time.monotonic() + timeout
    try:
        scheme, host, port = url_check(url)
        address = resolve_checked(host, port)
    except UnsafeURL as exc:
        return Answer(None, f"Refused: {exc}")
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    named = f"[{host}]" if ":" in host else host  # an IPv6 literal is bracketed in a Host header
    host_header = named if parts.port is None else f"{named}:{parts.port}"
    pool_kwargs = {
        "timeout": urllib3.Timeout(connect=timeout, read=timeout, total=timeout),
        "retries": False,
        "maxsize": 1,
    }
    if scheme == "https":
        pool = _Watched.of(urllib3.HTTPSConnectionPool)(
            address, port, server_hostname=host, assert_hostname=host, cert_reqs="CERT_REQUIRED", **pool_kwargs
        )
    else:
        pool = _Watched.of(urllib3.HTTPConnectionPool)(address, port, **pool_kwargs)
    # urllib3's timeouts bound each wait on the socket, not the exchange: a receiver that drips a byte at a time
    # would hold the worker for as long as it likes. At the deadline the connection is cut under the reads.
    watchdog = threading.Timer(timeout, pool.cut)
    watchdog.daemon = True
    watchdog.start()
    try:
        response = pool.urlopen(
            "POST",
            target,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            # Drain a little of the answer within the deadline (a receiver that drips bytes is cut off).
            read = 0
            for chunk in response.stream(8192):
                read += len(chunk)
                if read >= MAX_ANSWER_BYTES or time.monotonic() > deadline:
                    break
        finally:
            response.release_conn()
        status = response.status
    except urllib3.exceptions.HTTPError as exc:
        if time.monotonic() > deadline:
            return Answer(None, f"No complete answer within {timeout:g} s.")
        return Answer(None, _describe(exc, timeout))
    except OSError as exc:
        if time.monotonic() > deadline:
            return Answer(None, f"No complete answer within {timeout:g} s.")
        return Answer(None, f"Connection failed: {exc}")
    except Exception as exc:  # anything else the exchange raises is the attempt's failure, never the worker's
        return Answer(None, f"Connection failed: {type(exc).__name__}.")
    finally:
        watchdog.cancel()
        pool.close()
    if time.monotonic() > deadline:
        return Answer(status, f"No complete answer within {timeout:g} s.")
    if not 200 <= status < 300:
        more = " (redirects are not followed)" if 300 <= status < 400 else ""
        return Answer(status, f"The receiver answered {status}{more}.")
    return Answer(status, "")


class _Watched:
    """A connection pool that remembers its connections, so a watchdog can cut them (`cut`) from another thread."""

    @staticmethod
    def of(base):
        class Pool(base):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.made = []

            def _new_conn(self):
                conn = super()._new_conn()
                self.made.append(conn)
                return conn

            def cut(self):
                for conn in self.made:
                    sock = getattr(conn, "sock", None)
                    if sock is not None:
                        with contextlib.suppress(OSError):
                            sock.shutdown(socket.SHUT_RDWR)

        return Pool


def _describe(exc: Exception, timeout: float) -> str:
    reason = getattr(exc, "reason", None) or exc
    if isinstance(exc, urllib3.exceptions.TimeoutError) or isinstance(reason, urllib3.exceptions.TimeoutError):
        return f"No answer within {timeout:g} s."
    return f"Connection failed: {reason}"
