"""Reading an activity file into its figures: FIT with fitdecode, GPX with gpxpy, TCX with defusedxml's
ElementTree. Every XML file is first read by defusedxml, which refuses a DTD and entities (an entity bomb fails
before any expansion); a `.gz` is decompressed in bounded steps, never past the size limit (a gzip bomb fails
after reading at most `limit + 1` bytes of output).

Whatever is wrong with a file is an `ActivityFileError` whose message says what; nothing else escapes `read()`
for a bad file."""

from __future__ import annotations

import gzip
import io
import math
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise

import defusedxml.ElementTree as SafeET
import fitdecode
import gpxpy
import gpxpy.gpx
from defusedxml import DefusedXmlException

CHUNK = 64 * 1024


class ActivityFileError(Exception):
    """A file Cadence cannot read; the message says what is wrong with it."""


@dataclass
class Sample:
    time: datetime
    heart_rate: int | None = None
    power: int | None = None
    distance: float | None = None  # metres from the start, as the device counted them
    altitude: float | None = None
    position: tuple[float, float] | None = None  # latitude, longitude in degrees


@dataclass
class Figures:
    """What an activity file says, before the athlete's zones are applied (TRIMP needs their maxHeartRate)."""

    sport: str
    started_at: datetime
    duration_seconds: int
    distance_meters: float | None
    elevation_gain_meters: float | None
    avg_heart_rate: int | None
    max_heart_rate: int | None
    avg_power_watts: int | None
    samples: list[Sample] = field(repr=False, default_factory=list)

    def trimp(self, max_heart_rate: int | None) -> float | None:
        return edwards_trimp(self.samples, max_heart_rate)


# --- The file's bytes ----------------------------------------------------------------------------------------


def read_bytes(stream, *, name: str, limit: int) -> bytes:
    """The file's content (decompressed for a `.gz` name), refused past `limit` bytes."""
    if name.lower().endswith(".gz"):
        return _gunzip(stream, limit)
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise ActivityFileError(f"The file is larger than the limit of {limit} bytes.")
    return data


def _gunzip(stream, limit: int) -> bytes:
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=stream, mode="rb") as unzipped:
            while True:
                # GzipFile.read(n) inflates only as much as n bytes of output need: bounded memory and time.
                chunk = unzipped.read(min(CHUNK, limit + 1 - out.tell()))
                if not chunk:
                    break
                out.write(chunk)
                if out.tell() > limit:
                    raise ActivityFileError(
                        f"The file grows past the limit of {limit} bytes when decompressed (a gzip bomb?)."
                    )
    except (gzip.BadGzipFile, zlib.error, OSError) as exc:
        raise ActivityFileError(f"The file is not valid gzip: {exc}.") from exc
    except EOFError as exc:
        raise ActivityFileError("The gzip file is truncated: it ends before its compressed data does.") from exc
    return out.getvalue()


def read(stream, *, name: str, limit: int) -> Figures:
    """The figures of the file `name` (its format from its extension) read from `stream`."""
    data = read_bytes(stream, name=name, limit=limit)
    if not data.strip():
        raise ActivityFileError("The file is empty.")
    base = name.lower().removesuffix(".gz")
    if base.endswith(".fit"):
        samples, summary = _fit(data)
    elif base.endswith(".gpx"):
        samples, summary = _gpx(data)
    elif base.endswith(".tcx"):
        samples, summary = _tcx(data)
    else:
        raise ActivityFileError("Unknown file type: expected .fit, .tcx or .gpx (optionally .gz).")
    return _figures(samples, summary)


# --- FIT -------------------------------------------------------------------------------------------------------


def _fit(data: bytes) -> tuple[list[Sample], dict]:
    samples: list[Sample] = []
    summary: dict = {}
    try:
        with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.RAISE) as reader:
            for frame in reader:
                if not isinstance(frame, fitdecode.FitDataMessage):
                    continue
                if frame.name == "record":
                    sample = _fit_sample(frame)
                    if sample is not None:
                        samples.append(sample)
                elif frame.name == "session" and not summary:
                    summary = {
                        "sport": _value(frame, "sport"),
                        "started_at": _value(frame, "start_time"),
                        "duration": _value(frame, "total_elapsed_time"),
                        "distance": _value(frame, "total_distance"),
                        "ascent": _value(frame, "total_ascent"),
                    }
    except fitdecode.FitHeaderError as exc:
        raise ActivityFileError(f"Not a FIT file: {exc}.") from exc
    except fitdecode.FitEOFError as exc:
        raise ActivityFileError(f"The FIT file is truncated: {exc}.") from exc
    except fitdecode.FitCRCError as exc:
        raise ActivityFileError(f"The FIT file is damaged (checksum mismatch): {exc}.") from exc
    except fitdecode.FitError as exc:
        raise ActivityFileError(f"The FIT file cannot be read: {exc}.") from exc
    return samples, summary


def _value(frame, name: str):
    try:
        return frame.get_value(name, fallback=None)
    except Exception:
        return None


def _fit_sample(frame) -> Sample | None:
    time = _value(frame, "timestamp")
    if not isinstance(time, datetime):
        return None
    altitude = _value(frame, "enhanced_altitude")
    if altitude is None:
        altitude = _value(frame, "altitude")
    lat, lon = _value(frame, "position_lat"), _value(frame, "position_long")
    position = None
    if isinstance(lat, int) and isinstance(lon, int):
        position = _position(lat * 180 / 2**31, lon * 180 / 2**31)  # semicircles
    return Sample(
        time=_utc(time),
        heart_rate=_heart_rate(_value(frame, "heart_rate")),
        power=_power(_value(frame, "power")),
        distance=_distance_value(_value(frame, "distance")),
        altitude=_altitude(altitude),
        position=position,
    )


# --- XML (GPX, TCX) --------------------------------------------------------------------------------------------


def _safe_tree(data: bytes, what: str):
    """The document parsed by defusedxml: no DTD, no entities, no external references."""
    try:
        return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ActivityFileError(
            f"The {what} file declares a DTD (<!DOCTYPE …>) or entities, which are refused: they can expand without "
            "bound (an XML entity bomb)."
        ) from exc
    except SafeET.ParseError as exc:
        raise ActivityFileError(f"The {what} file is not well-formed XML (broken or truncated): {exc}.") from exc


def _gpx(data: bytes) -> tuple[list[Sample], dict]:
    _safe_tree(data, "GPX")  # refuses what a plain parser would expand; gpxpy then reads a harmless document
    try:
        document = gpxpy.parse(data.decode("utf-8-sig", errors="replace"))
    except gpxpy.gpx.GPXException as exc:
        raise ActivityFileError(f"The GPX file cannot be read: {exc}.") from exc
    samples: list[Sample] = []
    sport = ""
    for track in document.tracks:
        sport = sport or (track.type or "")
        for segment in track.segments:
            for point in segment.points:
                if point.time is None:
                    continue
                extras = _extension_values(point.extensions)
                samples.append(
                    Sample(
                        time=_utc(point.time),
                        heart_rate=_heart_rate(extras.get("hr")),
                        power=_power(extras.get("power")),
                        altitude=_altitude(point.elevation),
                        position=_position(point.latitude, point.longitude),
                    )
                )
    return samples, {"sport": sport}


def _extension_values(elements) -> dict[str, str]:
    """Leaf values of a point's extensions by local tag name (gpxtpx:hr, power, ...)."""
    found: dict[str, str] = {}
    for element in elements or ():
        for node in element.iter():
            tag = node.tag.rsplit("}", 1)[-1].lower()
            if node.text and node.text.strip():
                found.setdefault(tag, node.text.strip())
    return found


def _tcx(data: bytes) -> tuple[list[Sample], dict]:
    root = _safe_tree(data, "TCX")
    if _local(root.tag) != "TrainingCenterDatabase":
        raise ActivityFileError("The TCX file has no TrainingCenterDatabase element: not a TCX file.")
    samples: list[Sample] = []
    sport = ""
    for activity in root.iter():
        if _local(activity.tag) != "Activity":
            continue
        sport = sport or activity.get("Sport", "")
        for point in activity.iter():
            if _local(point.tag) != "Trackpoint":
                continue
            values = {}
            for child in point.iter():
                tag = _local(child.tag)
                if child.text and child.text.strip():
                    values.setdefault(tag, child.text.strip())
            time = _parse_time(values.get("Time"))
            if time is None:
                continue
            samples.append(
                Sample(
                    time=time,
                    heart_rate=_heart_rate(values.get("Value")),  # HeartRateBpm/Value
                    power=_power(values.get("Watts")),
                    distance=_distance_value(values.get("DistanceMeters")),
                    altitude=_altitude(values.get("AltitudeMeters")),
                    position=_position(values.get("LatitudeDegrees"), values.get("LongitudeDegrees")),
                )
            )
    return samples, {"sport": sport}


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ActivityFileError(f"A trackpoint's time {text[:40]!r} is not an ISO 8601 timestamp.") from exc
    return _utc(parsed)


# --- Figures ---------------------------------------------------------------------------------------------------

SPORTS = {
    "running": "running",
    "run": "running",
    "trail_running": "running",
    "cycling": "cycling",
    "biking": "cycling",
    "bike": "cycling",
    "ride": "cycling",
    "swimming": "swimming",
    "swim": "swimming",
    "training": "training",
    "strength_training": "training",
}


def normalize_sport(raw) -> str:
    """The file's sport in Cadence's words: running, cycling, swimming, training, or the file's own word (lower
    case, at most 32 characters), `other` when it names none."""
    text = str(getattr(raw, "name", raw) or "").strip().lower().replace(" ", "_")
    if not text or text == "none":
        return "other"
    return SPORTS.get(text, text[:32])


def _figures(samples: list[Sample], summary: dict) -> Figures:
    samples.sort(key=lambda s: s.time)
    started_at = summary.get("started_at")
    if isinstance(started_at, datetime):
        started_at = _utc(started_at)
    elif samples:
        started_at = samples[0].time
    else:
        raise ActivityFileError("The file has no timed samples (no records or trackpoints with a time).")
    if not START_RANGE[0] <= started_at < START_RANGE[1]:
        raise ActivityFileError(
            f"The activity starts at {started_at.isoformat()}: not plausible (before 1990 or after 2099)."
        )
    duration = summary.get("duration")
    if isinstance(duration, (int, float)) and duration >= 0 and math.isfinite(duration):
        duration_seconds = round(duration)
    elif len(samples) >= 2:
        duration_seconds = round((samples[-1].time - samples[0].time).total_seconds())
    else:
        raise ActivityFileError("The file has a single sample: no duration can be read from it.")
    if duration_seconds > 7 * 24 * 3600:
        raise ActivityFileError(f"The activity lasts {duration_seconds} seconds, more than a week: not plausible.")

    distance = _distance_value(summary.get("distance"))
    if distance is None:
        distance = _distance(samples)
    ascent = _distance_value(summary.get("ascent"))
    if ascent is None:
        ascent = _ascent(samples)
    if distance is not None and distance > DISTANCE_MAX:
        raise ActivityFileError(f"The activity covers {distance:.0f} m, more than {DISTANCE_MAX:.0f}: not plausible.")
    rates = [s.heart_rate for s in samples if s.heart_rate]
    powers = [s.power for s in samples if s.power is not None]
    return Figures(
        sport=normalize_sport(summary.get("sport")),
        started_at=started_at,
        duration_seconds=duration_seconds,
        distance_meters=round(distance, 1) if distance is not None else None,
        elevation_gain_meters=round(ascent, 1) if ascent is not None else None,
        avg_heart_rate=round(sum(rates) / len(rates)) if rates else None,
        max_heart_rate=max(rates) if rates else None,
        avg_power_watts=round(sum(powers) / len(powers)) if powers else None,
        samples=samples,
    )


def _distance(samples: list[Sample]) -> float | None:
    counted = [s.distance for s in samples if s.distance is not None]
    if counted:
        return max(counted)
    points = [s.position for s in samples if s.position is not None]
    if len(points) < 2:
        return None
    return sum(_haversine(a, b) for a, b in pairwise(points))


def _haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(h)))


def _ascent(samples: list[Sample]) -> float | None:
    altitudes = [s.altitude for s in samples if s.altitude is not None]
    if len(altitudes) < 2:
        return None
    return sum(max(0.0, b - a) for a, b in pairwise(altitudes))


def hr_zone(heart_rate: int, max_heart_rate: int) -> int:
    """Edwards' zone weight of a heart rate: 50–60 % of max → 1, 60–70 → 2, 70–80 → 3, 80–90 → 4, ≥ 90 → 5,
    below 50 % → 0 (integer arithmetic, so a boundary such as exactly 60 % is the upper zone's)."""
    return min(5, max(0, (10 * heart_rate) // max_heart_rate - 4))


def edwards_trimp(samples: list[Sample], max_heart_rate: int | None) -> float | None:
    """Σ over the samples of the minutes until the next sample × the zone weight of the sample's heart rate
    (rounded to 0.1); None without the athlete's maxHeartRate or without any heart rate in the file."""
    if not max_heart_rate or not any(s.heart_rate for s in samples):
        return None
    weighted_seconds = 0.0
    for sample, following in pairwise(samples):
        if sample.heart_rate:
            seconds = (following.time - sample.time).total_seconds()
            weighted_seconds += seconds * hr_zone(sample.heart_rate, max_heart_rate)
    return round(weighted_seconds / 60, 1)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# What a sample may say and still be a measurement: a value outside is a sensor's glitch (or a crafted file) and is
# left out, so no figure becomes infinite, negative or larger than its column.
HEART_RATE_RANGE = (20, 300)  # beats per minute
POWER_RANGE = (0, 4000)  # watts
ALTITUDE_RANGE = (-500.0, 9000.0)  # metres
DISTANCE_MAX = 10_000_000.0  # metres: ten thousand kilometres
# A start outside these years is a broken clock or a crafted file (and the first and last years of the calendar
# have no local date in some timezones).
START_RANGE = (datetime(1990, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def _int_or_none(value, bounds: tuple[int, int] = (0, 65535)) -> int | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return round(number) if math.isfinite(number) and bounds[0] <= number <= bounds[1] else None


def _heart_rate(value) -> int | None:
    return _int_or_none(value, HEART_RATE_RANGE)


def _power(value) -> int | None:
    return _int_or_none(value, POWER_RANGE)


def _altitude(value) -> float | None:
    number = _float_or_none(value)
    return number if number is not None and ALTITUDE_RANGE[0] <= number <= ALTITUDE_RANGE[1] else None


def _distance_value(value) -> float | None:
    number = _float_or_none(value)
    return number if number is not None and 0 <= number <= DISTANCE_MAX else None


def _position(lat, lon) -> tuple[float, float] | None:
    lat, lon = _float_or_none(lat), _float_or_none(lon)
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return (lat, lon)


def _float_or_none(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
