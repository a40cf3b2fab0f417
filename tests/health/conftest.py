"""The outage fixtures of the connections tests, shared here."""

from tests.connections.conftest import (  # noqa: F401 (fixtures)
    add_alias,
    allow_extra_aliases,
    closed_port,
    live_profile,
    pg_alias,
    record_to,
    silent_server,
    stalling_proxy,
)
