"""Reading activity files (training.activities.parsing): the figures of each format, Edwards TRIMP at its zone
boundaries, and every kind of bad file failing with a message that says what is wrong."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from tests.support.activity_files import (
    START,
    entity_bomb,
    fit_activity,
    gpx_activity,
    gzip_bomb,
    gzip_bytes,
    tcx_activity,
)
from training.activities import parsing
from training.activities.parsing import ActivityFileError, Sample, edwards_trimp, hr_zone

LIMIT = 1024 * 1024


def read(data: bytes, name: str, limit: int = LIMIT) -> parsing.Figures:
    return parsing.read(io.BytesIO(data), name=name, limit=limit)


def failure(data: bytes, name: str, limit: int = LIMIT) -> str:
    with pytest.raises(ActivityFileError) as raised:
        read(data, name, limit)
    return str(raised.value)


# --- Figures ---------------------------------------------------------------------------------------------------


def test_a_fit_file_gives_its_session_figures():
    figures = read(fit_activity(seconds=3600, heart_rate=150, power=200, sport="cycling"), "ride.fit")
    assert figures.sport == "cycling"
    assert figures.started_at == START
    assert figures.duration_seconds == 3600
    assert figures.distance_meters == 10800.0
    assert figures.elevation_gain_meters == pytest.approx(60.0, abs=0.2)
    assert (figures.avg_heart_rate, figures.max_heart_rate, figures.avg_power_watts) == (150, 150, 200)


def test_a_fit_file_without_a_session_message_is_read_from_its_records():
    figures = read(fit_activity(seconds=600, with_session=False, heart_rate=lambda s: 100 + s // 60), "x.fit")
    assert figures.started_at == START
    assert figures.duration_seconds == 600
    assert figures.distance_meters == 1800.0
    assert (figures.avg_heart_rate, figures.max_heart_rate) == (105, 110)
    assert figures.sport == "other"  # no session: the file names no sport


def test_a_gpx_file_gives_time_distance_climb_and_heart_rate():
    figures = read(gpx_activity(points=61, step=60, heart_rate=140), "run.gpx")
    assert figures.sport == "running"
    assert figures.started_at == START
    assert figures.duration_seconds == 3600
    assert figures.distance_meters == pytest.approx(60 * 111.2, rel=0.01)  # 0.001° of latitude a minute
    assert figures.elevation_gain_meters == 60.0
    assert (figures.avg_heart_rate, figures.max_heart_rate, figures.avg_power_watts) == (140, 140, None)


def test_a_tcx_file_gives_its_figures_and_biking_is_cycling():
    figures = read(tcx_activity(points=31, heart_rate=160, watts=250), "ride.tcx")
    assert figures.sport == "cycling"
    assert figures.duration_seconds == 1800
    assert figures.distance_meters == 15000.0
    assert figures.elevation_gain_meters == 75.0  # +5 m every other minute
    assert (figures.avg_heart_rate, figures.avg_power_watts) == (160, 250)


@pytest.mark.parametrize("name", ["ride.fit.gz", "RIDE.FIT.GZ"])
def test_a_gzipped_file_is_read_like_the_plain_one(name):
    data = fit_activity(seconds=600)
    assert read(gzip_bytes(data), name).distance_meters == read(data, "ride.fit").distance_meters == 1800.0


def test_a_file_without_heart_rate_has_none():
    figures = read(gpx_activity(heart_rate=None), "run.gpx")
    assert (figures.avg_heart_rate, figures.max_heart_rate) == (None, None)
    assert figures.trimp(190) is None


@pytest.mark.parametrize(
    ("raw", "sport"),
    [("Running", "running"), ("biking", "cycling"), ("Swim", "swimming"), ("training", "training"),
     ("rowing", "rowing"), ("", "other"), (None, "other")],
)  # fmt: skip
def test_sports_are_named_in_cadences_words(raw, sport):
    assert parsing.normalize_sport(raw) == sport


# --- TRIMP (Edwards) --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "zone"),
    [(94, 0), (95, 1), (113, 1), (114, 2), (132, 2), (133, 3), (151, 3), (152, 4), (170, 4), (171, 5), (200, 5)],
)
def test_zones_are_tenths_of_the_max_and_a_boundary_belongs_to_the_upper_zone(rate, zone):
    # 190 max: 50 % = 95, 60 % = 114, 70 % = 133, 80 % = 152, 90 % = 171.
    assert hr_zone(rate, 190) == zone


def _samples(rates: list[int | None], step: int = 60) -> list[Sample]:
    return [Sample(time=START + timedelta(seconds=i * step), heart_rate=rate) for i, rate in enumerate(rates)]


def test_trimp_is_the_minutes_in_each_zone_times_its_weight():
    # 10 min in zone 1, 10 in zone 3, 5 in zone 5, 5 below 50 %: 10 + 30 + 25 = 65. The last sample closes.
    rates = [100] * 10 + [140] * 10 + [180] * 5 + [80] * 5 + [180]
    assert edwards_trimp(_samples(rates), 190) == 65.0


def test_trimp_counts_seconds_not_samples():
    assert edwards_trimp(_samples([171, 171, 171], step=30), 190) == 5.0  # 1 minute × 5


def test_trimp_skips_samples_without_heart_rate():
    assert edwards_trimp(_samples([None, 171, None, 171]), 190) == 5.0  # only the minute after the first 171


def test_trimp_is_null_without_the_athletes_max_or_without_heart_rate():
    assert edwards_trimp(_samples([150, 150]), None) is None
    assert edwards_trimp(_samples([None, None]), 190) is None


def test_a_fit_files_trimp_uses_the_athletes_max():
    figures = read(fit_activity(seconds=600, step=10, heart_rate=171), "x.fit")
    assert figures.trimp(190) == 50.0  # 10 minutes at ≥ 90 %
    assert figures.trimp(250) == 20.0  # 68.4 % of 250: weight 2


# --- Bad files --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["x.fit", "x.gpx", "x.tcx"])
def test_an_empty_file_says_so(name):
    assert failure(b"", name) == "The file is empty."
    assert failure(b"  \n", name) == "The file is empty."


def test_an_empty_gzip_says_the_file_is_empty():
    assert failure(gzip_bytes(b""), "x.gpx.gz") == "The file is empty."


def test_a_truncated_fit_file_says_truncated():
    data = fit_activity(seconds=600)
    assert "truncated" in failure(data[: len(data) // 2], "x.fit")


def test_a_fit_file_with_a_flipped_byte_fails_its_checksum():
    data = bytearray(fit_activity(seconds=600))
    data[len(data) // 2] ^= 0xFF
    assert "FIT file" in failure(bytes(data), "x.fit")


def test_something_else_named_fit_is_not_a_fit_file():
    assert "Not a FIT file" in failure(b"hello, this is text and not a FIT file at all", "x.fit")


@pytest.mark.parametrize(("maker", "name"), [(gpx_activity, "x.gpx"), (tcx_activity, "x.tcx")])
def test_truncated_xml_says_not_well_formed(maker, name):
    data = maker()
    assert "not well-formed XML" in failure(data[: len(data) // 2], name)


@pytest.mark.parametrize(("root", "name"), [("gpx", "x.gpx"), ("TrainingCenterDatabase", "x.tcx")])
def test_an_entity_bomb_is_refused_before_any_expansion(root, name):
    message = failure(entity_bomb(root), name)
    assert "entity bomb" in message and "DTD" in message


def test_an_entity_bomb_inside_gzip_is_refused_too():
    assert "entity bomb" in failure(gzip_bytes(entity_bomb()), "x.gpx.gz")


def test_a_gzip_bomb_stops_at_the_limit():
    bomb = gzip_bomb(LIMIT * 20)
    assert len(bomb) < LIMIT // 10  # small on the wire
    assert "grows past the limit" in failure(bomb, "x.fit.gz")


def test_a_gzip_file_of_exactly_the_limit_is_read_and_one_byte_more_is_not():
    exact = gzip_bytes(b" " * (LIMIT - 3) + b"abc")
    assert parsing.read_bytes(io.BytesIO(exact), name="x.gpx.gz", limit=LIMIT) == b" " * (LIMIT - 3) + b"abc"
    assert "grows past" in failure(gzip_bytes(b" " * (LIMIT + 1)), "x.gpx.gz")


def test_a_plain_file_over_the_limit_is_refused():
    assert "larger than the limit" in failure(b"x" * (LIMIT + 1), "x.gpx")


def test_a_truncated_gzip_says_truncated():
    data = gzip_bytes(fit_activity(seconds=600))
    assert "truncated" in failure(data[: len(data) // 2], "x.fit.gz")


def test_not_gzip_named_gz_says_not_gzip():
    assert "not valid gzip" in failure(b"plain text, no gzip header", "x.gpx.gz")


def test_a_gpx_without_timed_points_says_so():
    data = gpx_activity().replace(b"<time>", b"<cmt>").replace(b"</time>", b"</cmt>")
    assert "no timed samples" in failure(data, "x.gpx")


def test_a_tcx_with_a_bad_time_names_it():
    data = tcx_activity().replace(b"2030-01-07T07:01:00Z", b"yesterday-ish", 1)
    assert "not an ISO 8601 timestamp" in failure(data, "x.tcx")


def test_an_xml_file_of_the_wrong_kind_is_not_tcx():
    assert "not a TCX file" in failure(gpx_activity(), "x.tcx")


def test_a_single_sample_has_no_duration():
    assert "single sample" in failure(gpx_activity(points=1), "x.gpx")


# --- Values no measurement gives (a glitch or a crafted file) ---------------------------------------------------


def test_heart_rate_and_power_outside_what_a_body_gives_are_left_out():
    figures = read(tcx_activity(heart_rate=40000, watts=90000), "x.tcx")
    assert (figures.avg_heart_rate, figures.max_heart_rate, figures.avg_power_watts) == (None, None, None)
    edge = read(tcx_activity(heart_rate=300, watts=4000), "x.tcx")
    assert (edge.max_heart_rate, edge.avg_power_watts) == (300, 4000)
    assert read(tcx_activity(heart_rate=19), "x.tcx").max_heart_rate is None


def test_infinite_or_impossible_altitudes_and_positions_never_make_an_infinite_figure():
    data = tcx_activity().replace(b"<AltitudeMeters>200</AltitudeMeters>", b"<AltitudeMeters>-1e308</AltitudeMeters>")
    data = data.replace(b"<AltitudeMeters>205</AltitudeMeters>", b"<AltitudeMeters>1e308</AltitudeMeters>")
    assert read(data, "x.tcx").elevation_gain_meters is None  # every altitude is out of range: none is read
    gpx = gpx_activity().replace(b"<ele>", b"<ele>1e400").replace(b'lat="', b'lat="9', 1)
    figures = read(gpx, "x.gpx")
    assert figures.elevation_gain_meters is None
    assert figures.distance_meters is not None and figures.distance_meters < 100_000


@pytest.mark.parametrize("year", [1, 1989, 2100, 9999])
def test_a_start_outside_1990_to_2099_is_refused(year):
    data = tcx_activity().replace(b"2030-01-07", f"{year:04d}-01-07".encode())
    assert "not plausible" in failure(data, "x.tcx")
