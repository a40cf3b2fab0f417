"""Activity files made by the tests (no binaries in the repository): FIT written with fit-tool, GPX and TCX as
text, gzip with the standard library, and the hostile ones (an XML entity bomb, a gzip bomb)."""

from __future__ import annotations

import gzip
import io
from datetime import UTC, datetime, timedelta

from fit_tool.fit_file_builder import FitFileBuilder
from fit_tool.profile.messages.file_id_message import FileIdMessage
from fit_tool.profile.messages.record_message import RecordMessage
from fit_tool.profile.messages.session_message import SessionMessage
from fit_tool.profile.profile_type import FileType, Manufacturer, Sport

START = datetime(2030, 1, 7, 7, 0, tzinfo=UTC)

FIT_SPORTS = {
    "running": Sport.RUNNING,
    "cycling": Sport.CYCLING,
    "swimming": Sport.SWIMMING,
    "training": Sport.TRAINING,
    "walking": Sport.WALKING,
}


def fit_activity(
    *,
    start: datetime = START,
    seconds: int = 3600,
    step: int = 10,
    sport: str = "running",
    heart_rate=150,
    power: int | None = 200,
    with_session: bool = True,
    serial: int = 1,
) -> bytes:
    """A FIT activity: a record every `step` seconds for `seconds` (distance 3 m/s, climbing 1 m a minute),
    heart rate `heart_rate` (an int, a function of the second, or None), and a session message."""
    ms = int(start.timestamp() * 1000)
    builder = FitFileBuilder(auto_define=True)
    file_id = FileIdMessage()
    file_id.type = FileType.ACTIVITY
    file_id.manufacturer = Manufacturer.DEVELOPMENT.value
    file_id.time_created = ms
    file_id.serial_number = serial
    builder.add(file_id)
    for second in range(0, seconds + 1, step):
        record = RecordMessage()
        record.timestamp = ms + second * 1000
        rate = heart_rate(second) if callable(heart_rate) else heart_rate
        if rate is not None:
            record.heart_rate = rate
        if power is not None:
            record.power = power
        record.distance = second * 3.0
        record.altitude = 100 + second / 60
        builder.add(record)
    if with_session:
        session = SessionMessage()
        session.start_time = ms
        session.timestamp = ms + seconds * 1000
        session.sport = FIT_SPORTS[sport]
        session.total_elapsed_time = seconds
        session.total_timer_time = seconds
        session.total_distance = seconds * 3.0
        builder.add(session)
    return builder.build_bytes()


def gpx_activity(*, start: datetime = START, points: int = 61, step: int = 60, heart_rate: int | None = 140,
                 sport: str = "running") -> bytes:  # fmt: skip
    """A GPX track heading north (about 111 m a minute), with Garmin's heart-rate extension."""
    rows = []
    for i in range(points):
        time = (start + timedelta(seconds=i * step)).strftime("%Y-%m-%dT%H:%M:%SZ")
        hr = (
            f"<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>{heart_rate}</gpxtpx:hr>"
            "</gpxtpx:TrackPointExtension></extensions>"
            if heart_rate is not None
            else ""
        )
        rows.append(
            f'<trkpt lat="{59.9 + i * 0.001:.6f}" lon="10.75"><ele>{10 + i}</ele><time>{time}</time>{hr}</trkpt>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="tests" xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">'
        f"<trk><name>Morning</name><type>{sport}</type><trkseg>{''.join(rows)}</trkseg></trk></gpx>"
    ).encode()


def tcx_activity(*, start: datetime = START, points: int = 31, step: int = 60, heart_rate: int | None = 160,
                 watts: int | None = 250, sport: str = "Biking") -> bytes:  # fmt: skip
    """A TCX activity: a trackpoint a minute, 500 m apart, with heart rate and power (the ActivityExtension)."""
    rows = []
    for i in range(points):
        time = (start + timedelta(seconds=i * step)).strftime("%Y-%m-%dT%H:%M:%SZ")
        hr = f"<HeartRateBpm><Value>{heart_rate}</Value></HeartRateBpm>" if heart_rate is not None else ""
        power = f"<Extensions><ns3:TPX><ns3:Watts>{watts}</ns3:Watts></ns3:TPX></Extensions>" if watts else ""
        rows.append(
            f"<Trackpoint><Time>{time}</Time><AltitudeMeters>{200 + (i % 2) * 5}</AltitudeMeters>"
            f"<DistanceMeters>{i * 500.0}</DistanceMeters>{hr}{power}</Trackpoint>"
        )
    begin = start.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" '
        'xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">'
        f'<Activities><Activity Sport="{sport}"><Id>{begin}</Id><Lap StartTime="{begin}">'
        f"<Track>{''.join(rows)}</Track></Lap></Activity></Activities></TrainingCenterDatabase>"
    ).encode()


def entity_bomb(root: str = "gpx") -> bytes:
    """The "billion laughs": ten levels of ten references, about 3 GB once expanded."""
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    return (f'<?xml version="1.0"?>\n<!DOCTYPE {root} [{"".join(entities)}]>\n<{root}>&lol9;</{root}>').encode()


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def gzip_bomb(size: int) -> bytes:
    """A small gzip file that decompresses to `size` zero bytes (written in pieces: no `size` buffer here)."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as packed:
        block = b"\0" * (1024 * 1024)
        left = size
        while left > 0:
            packed.write(block[: min(left, len(block))])
            left -= len(block)
    return out.getvalue()


def upload(client, athlete_id, name: str, data: bytes, **extra):
    """POST the file to the athlete's upload endpoint as a browser would (multipart, field `file`)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        f"/api/v1/athletes/{athlete_id}/activities/",
        {"file": SimpleUploadedFile(name, data)},
        format="multipart",
        **extra,
    )


def run_enqueued_jobs() -> int:
    """Run, in this process and in order, every job waiting in the database queue (what a `worker` does, without
    a subprocess); returns how many ran."""
    from django_tasks_db.models import DBTaskResult

    ran = 0
    for result in DBTaskResult.objects.ready().order_by("enqueued_at"):
        result.task.call(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])
        result.delete()
        ran += 1
    return ran
