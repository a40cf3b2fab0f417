"""The exports of a session's structure: the FIT workout file (decoded with Garmin's own SDK), the Zwift workout
and the one-line-per-step text of the calendar feed. Pure functions: no database."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest
from fit_tool.fit_file import FitFile
from garmin_fit_sdk import Decoder, Stream

from training.workouts.exports import ZwoNotAvailable, structure_text, workout_fit, workout_zwo

SQUAT = "0b7c1d3e-0000-4000-8000-000000000001"
BENCH = "0b7c1d3e-0000-4000-8000-000000000002"
NAMES = {SQUAT: "Back squat", BENCH: "Bench press"}


def timed(kind="work", *, seconds=None, meters=None, target=None, notes=None):
    step = {"kind": kind, "duration": {"seconds": seconds} if meters is None else {"meters": meters}, "target": target}
    if notes is not None:
        step["notes"] = notes
    return step


def target(kind, low, high=None):
    return {"type": kind, "low": low, "high": low if high is None else high}


def repeat(times, *steps, notes=None):
    step = {"kind": "repeat", "times": times, "steps": list(steps)}
    if notes is not None:
        step["notes"] = notes
    return step


def exercise(exercise_id, *sets, notes=None):
    step = {"kind": "exercise", "exerciseId": exercise_id, "sets": [{"restSeconds": 0, **s} for s in sets]}
    if notes is not None:
        step["notes"] = notes
    return step


def structure(*steps):
    return {"steps": list(steps)}


# ---------------------------------------------------------------------------------------------------------------
# FIT


def decode(data: bytes) -> dict:
    """The file's messages as Garmin's SDK reads them, after checking it is a FIT file with valid CRCs."""
    decoder = Decoder(Stream.from_byte_array(bytearray(data)))
    assert decoder.is_fit()
    assert decoder.check_integrity()
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    assert errors == []
    return messages


def fit(structure_=None, *, title="Session", modality="run", duration_minutes=60, names=None, **kwargs) -> dict:
    return decode(
        workout_fit(
            title=title,
            modality=modality,
            duration_minutes=duration_minutes,
            structure=structure_,
            exercise_names=NAMES if names is None else names,
            **kwargs,
        )
    )


def fit_steps(structure_, **kwargs) -> list[dict]:
    return fit(structure_, **kwargs)["workout_step_mesgs"]


def test_fit_is_a_workout_file_with_file_id_first():
    created = datetime(2026, 3, 1, 7, 30, 15, tzinfo=UTC)
    messages = fit(structure(timed(seconds=60)), created_at=created)

    (file_id,) = messages["file_id_mesgs"]
    assert file_id["type"] == "workout"
    assert file_id["manufacturer"] == "development"
    assert file_id["time_created"] == created
    assert file_id["serial_number"] > 0


def test_fit_is_the_same_file_for_the_same_session_and_time():
    created = datetime(2026, 3, 1, 7, 30, tzinfo=UTC)
    arguments = {
        "title": "Tempo",
        "modality": "run",
        "duration_minutes": 60,
        "structure": structure(timed(seconds=60)),
        "exercise_names": {},
        "created_at": created,
    }
    assert workout_fit(**arguments) == workout_fit(**arguments)
    other = workout_fit(**{**arguments, "structure": structure(timed(seconds=61))})
    assert (
        decode(other)["file_id_mesgs"][0]["serial_number"]
        != decode(workout_fit(**arguments))["file_id_mesgs"][0]["serial_number"]
    )


@pytest.mark.parametrize(
    ("modality", "sport"),
    [
        ("run", "running"),
        ("bike", "cycling"),
        ("swim", "swimming"),
        ("strength", "training"),
        ("conditioning", "generic"),
        ("mobility", "generic"),
        ("sport", "generic"),
        ("other", "generic"),
    ],
)
def test_fit_sport_follows_the_modality(modality, sport):
    (workout,) = fit(structure(timed(seconds=60)), modality=modality)["workout_mesgs"]
    assert workout["sport"] == sport


def test_fit_strength_is_a_strength_training_workout():
    (workout,) = fit(structure(timed(seconds=60)), modality="strength")["workout_mesgs"]
    assert workout["sub_sport"] == "strength_training"
    (workout,) = fit(structure(timed(seconds=60)), modality="run")["workout_mesgs"]
    assert "sub_sport" not in workout


def test_fit_workout_has_the_title_and_the_number_of_steps():
    messages = fit(structure(timed(seconds=60), repeat(3, timed(seconds=30), timed("rest", seconds=30))), title="Hills")
    (workout,) = messages["workout_mesgs"]
    assert workout["wkt_name"] == "Hills"
    assert workout["num_valid_steps"] == 4 == len(messages["workout_step_mesgs"])


def test_fit_without_structure_is_one_open_step_of_the_session_minutes():
    (step,) = fit_steps(None, duration_minutes=45)
    assert step["message_index"] == 0
    assert step["duration_type"] == "time"
    assert step["duration_value"] == 45 * 60 * 1000
    assert step["target_type"] == "open"
    assert step["intensity"] == "active"


def test_fit_without_structure_longest_session():
    (step,) = fit_steps(None, duration_minutes=1440)
    assert step["duration_time"] == 86400


def test_fit_without_structure_and_without_minutes_is_open_until_lap():
    (step,) = fit_steps(None, duration_minutes=0)
    assert step["duration_type"] == "open"


def test_fit_empty_steps_is_like_no_structure():
    (step,) = fit_steps(structure(), duration_minutes=30)
    assert step["duration_value"] == 30 * 60 * 1000


@pytest.mark.parametrize("seconds", [1, 90, 86400])
def test_fit_seconds_are_a_time_duration_in_ms(seconds):
    (step,) = fit_steps(structure(timed(seconds=seconds)))
    assert step["duration_type"] == "time"
    assert step["duration_value"] == seconds * 1000
    assert step["duration_time"] == seconds


@pytest.mark.parametrize("meters", [1, 400, 500000])
def test_fit_meters_are_a_distance_duration_in_cm(meters):
    (step,) = fit_steps(structure(timed(meters=meters)))
    assert step["duration_type"] == "distance"
    assert step["duration_value"] == meters * 100
    assert step["duration_distance"] == meters


def test_fit_intensity_follows_the_kind():
    steps = fit_steps(
        structure(*(timed(kind, seconds=60) for kind in ("warmup", "work", "recovery", "rest", "cooldown")))
    )
    assert [s["intensity"] for s in steps] == ["warmup", "active", "recovery", "rest", "cooldown"]
    assert [s["message_index"] for s in steps] == [0, 1, 2, 3, 4]


def test_fit_repeat_is_its_steps_then_a_step_back_to_the_first_of_them_with_the_count():
    steps = fit_steps(
        structure(
            timed("warmup", seconds=600),
            repeat(5, timed(meters=1000), timed("recovery", seconds=120)),
            timed("cooldown", seconds=600),
        )
    )
    assert len(steps) == 5
    work, recovery, back = steps[1], steps[2], steps[3]
    assert (work["duration_distance"], work["intensity"]) == (1000, "active")
    assert (recovery["duration_time"], recovery["intensity"]) == (120, "recovery")
    assert back["message_index"] == 3
    assert back["duration_type"] == "repeat_until_steps_cmplt"
    assert back["duration_value"] == 1  # the index of the repeat's first step
    assert back["target_value"] == 5
    assert back["repeat_steps"] == 5
    assert "intensity" not in back
    assert steps[4]["intensity"] == "cooldown"


@pytest.mark.parametrize("times", [2, 99])
def test_fit_repeat_count_boundaries(times):
    steps = fit_steps(structure(repeat(times, timed(seconds=30))))
    assert steps[1]["duration_value"] == 0
    assert steps[1]["target_value"] == times


def test_fit_repeat_of_twenty_steps_points_back_to_the_first():
    steps = fit_steps(structure(timed(seconds=60), repeat(2, *(timed(seconds=10 + i) for i in range(20)))))
    assert len(steps) == 22
    assert steps[21]["duration_value"] == 1
    assert [s["duration_time"] for s in steps[1:21]] == [10 + i for i in range(20)]


def test_fit_two_hundred_steps():
    steps = fit_steps(structure(*(timed(seconds=i + 1) for i in range(200))))
    assert [s["message_index"] for s in steps] == list(range(200))
    assert [s["duration_time"] for s in steps] == [i + 1 for i in range(200)]


def test_fit_steps_of_one_kind_share_one_definition():
    data = workout_fit(
        title="Many",
        modality="run",
        duration_minutes=60,
        structure=structure(*(timed(seconds=60, target=target("powerPercentFtp", 90)) for _ in range(40))),
        exercise_names={},
    )
    definitions = [record for record in FitFile.from_bytes(data).records if record.header.is_definition]
    assert len(definitions) == 3  # file_id, workout, and the steps' one


def test_fit_no_target_and_rpe_are_open():
    steps = fit_steps(structure(timed(seconds=60), timed(seconds=60, target=target("rpe", 6, 7))))
    for step in steps:
        assert step["target_type"] == "open"
        assert "custom_target_value_low" not in step
        assert "custom_target_value_high" not in step


@pytest.mark.parametrize("zone", [1, 3, 5])
def test_fit_one_heart_rate_zone_is_a_zone_target(zone):
    (step,) = fit_steps(structure(timed(seconds=60, target=target("heartRateZone", zone))))
    assert step["target_type"] == "heart_rate"
    assert step["target_hr_zone"] == zone
    assert "custom_target_value_low" not in step


@pytest.mark.parametrize(
    ("low", "high", "percent_low", "percent_high"), [(1, 2, 50, 70), (2, 3, 60, 80), (4, 5, 80, 100)]
)
def test_fit_a_range_of_zones_is_custom_percent_of_max_hr(low, high, percent_low, percent_high):
    (step,) = fit_steps(structure(timed(seconds=60, target=target("heartRateZone", low, high))))
    assert step["target_type"] == "heart_rate"
    assert step["target_hr_zone"] == 0  # custom
    assert step["custom_target_heart_rate_low"] == percent_low
    # The raw field: the SDK labels exactly 100 with the enum's name (bpm_offset); FIT reads 0-100 as % of max.
    assert step["custom_target_value_high"] == percent_high


def test_fit_percent_of_max_hr_is_custom_heart_rate():
    (step,) = fit_steps(structure(timed(seconds=60, target=target("heartRatePercentMax", 75, 80.5))))
    assert step["target_type"] == "heart_rate"
    assert step["target_value"] == 0
    assert step["custom_target_heart_rate_low"] == 75
    assert step["custom_target_heart_rate_high"] == 81  # rounded half up


def test_fit_percent_of_max_hr_above_100_is_written_as_100_not_as_bpm():
    # FIT reads a custom heart rate above 100 as bpm + 100: 110 % would become 10 bpm.
    (step,) = fit_steps(structure(timed(seconds=60, target=target("heartRatePercentMax", 30, 110))))
    assert step["custom_target_heart_rate_low"] == 30
    assert step["custom_target_value_high"] == 100  # the raw field: the SDK labels exactly 100 "bpm_offset"


@pytest.mark.parametrize(("low", "high"), [(88, 92), (20, 20), (300, 300)])
def test_fit_power_is_custom_percent_of_ftp(low, high):
    (step,) = fit_steps(structure(timed(seconds=60, target=target("powerPercentFtp", low, high))))
    assert step["target_type"] == "power"
    assert step["target_power_zone"] == 0
    assert step["custom_target_power_low"] == low
    assert step["custom_target_power_high"] == high


def test_fit_pace_is_a_custom_speed_range_in_mm_per_second_slow_end_low():
    (step,) = fit_steps(structure(timed(meters=1000, target=target("pace", 225, 235))))
    assert step["target_type"] == "speed"
    assert step["target_speed_zone"] == 0
    assert step["custom_target_value_low"] == 4255  # 1000 m in 235 s
    assert step["custom_target_value_high"] == 4444  # 1000 m in 225 s
    assert step["custom_target_speed_low"] == pytest.approx(4.255)


@pytest.mark.parametrize(("pace", "speed"), [(60, 16667), (1200, 833)])
def test_fit_pace_boundaries(pace, speed):
    (step,) = fit_steps(structure(timed(seconds=60, target=target("pace", pace))))
    assert step["custom_target_value_low"] == step["custom_target_value_high"] == speed


def test_fit_cadence_is_a_custom_cadence():
    (step,) = fit_steps(structure(timed(seconds=60, target=target("cadence", 85, 95))))
    assert step["target_type"] == "cadence"
    assert step["target_cadence_zone"] == 0
    assert step["custom_target_cadence_low"] == 85
    assert step["custom_target_cadence_high"] == 95


def test_fit_notes_go_to_the_step_notes():
    steps = fit_steps(structure(timed(seconds=60, notes="Stay\nrelaxed"), repeat(2, timed(seconds=30), notes="Hard")))
    assert steps[0]["notes"] == "Stay relaxed"
    assert steps[2]["notes"] == "Hard"
    assert "notes" not in steps[1]


def test_fit_each_set_is_a_step_named_after_the_exercise_followed_by_its_rest():
    steps = fit_steps(
        structure(
            exercise(
                SQUAT, {"reps": 5, "loadKg": 100, "restSeconds": 120}, {"reps": 3, "loadKg": 110, "restSeconds": 0}
            ),
            exercise(BENCH, {"seconds": 45, "restSeconds": 60}, notes="Pause at the chest"),
        ),
        modality="strength",
    )
    assert [(s["wkt_step_name"], s["duration_type"], s["intensity"]) for s in steps] == [
        ("Back squat", "reps", "active"),
        ("Rest", "time", "rest"),
        ("Back squat", "reps", "active"),
        ("Bench press", "time", "active"),
        ("Rest", "time", "rest"),
    ]
    assert [s["message_index"] for s in steps] == [0, 1, 2, 3, 4]
    assert steps[0]["duration_reps"] == 5
    assert steps[1]["duration_value"] == 120_000
    assert steps[2]["duration_reps"] == 3
    assert steps[3]["duration_value"] == 45_000
    assert steps[3]["notes"] == "Pause at the chest"
    assert steps[4]["duration_value"] == 60_000


def test_fit_set_load_is_the_exercise_weight():
    steps = fit_steps(
        structure(
            exercise(
                SQUAT,
                {"reps": 5, "loadKg": 62.5},
                {"reps": 5, "percent1rm": 80, "resolvedLoadKg": 100},
                {"reps": 5, "percent1rm": 80, "resolvedLoadKg": None},
                {"reps": 5},
                {"reps": 1, "loadKg": 655.34},
                {"reps": 1, "loadKg": 1000},
            )
        )
    )
    assert steps[0]["exercise_weight"] == 62.5
    assert steps[0]["weight_display_unit"] == "kilogram"
    assert steps[1]["exercise_weight"] == 100
    assert "exercise_weight" not in steps[2]
    assert "exercise_weight" not in steps[3]
    assert steps[4]["exercise_weight"] == pytest.approx(655.34)
    assert "exercise_weight" not in steps[5]  # beyond what FIT's field holds
    assert steps[5]["duration_reps"] == 1


def test_fit_unknown_exercise_is_named_exercise():
    (step,) = fit_steps(structure(exercise("0b7c1d3e-0000-4000-8000-00000000ffff", {"reps": 5})))
    assert step["wkt_step_name"] == "Exercise"


def test_fit_twenty_sets_with_rest():
    steps = fit_steps(structure(exercise(SQUAT, *({"reps": i + 1, "restSeconds": 1800} for i in range(20)))))
    assert len(steps) == 40
    assert [s["duration_reps"] for s in steps[::2]] == [i + 1 for i in range(20)]
    assert {s["duration_time"] for s in steps[1::2]} == {1800}


def test_fit_strings_are_cut_to_the_field_size_on_a_character_boundary():
    title = "é" * 120 + "x"  # 241 bytes: fits
    (workout,) = fit(structure(timed(seconds=60)), title=title)["workout_mesgs"]
    assert workout["wkt_name"] == title

    long_name = "ü" * 80 + "ß" * 80  # 320 bytes
    messages = fit(
        structure(exercise(SQUAT, {"reps": 1}, notes="€" * 500)),
        title="\x00Tempo " + "é" * 200,
        names={SQUAT: long_name},
    )
    name = messages["workout_mesgs"][0]["wkt_name"]
    assert name.startswith("Tempo é")
    assert len(name.encode()) <= 254
    step = messages["workout_step_mesgs"][0]
    assert step["wkt_step_name"] == long_name[:127]
    assert step["notes"] == "€" * 84  # 252 bytes; a 85th would need 255


# ---------------------------------------------------------------------------------------------------------------
# ZWO


def zwo(structure_=None, *, title="Session", modality="bike", duration_minutes=60, **kwargs) -> ElementTree.Element:
    data = workout_zwo(
        title=title, modality=modality, duration_minutes=duration_minutes, structure=structure_, **kwargs
    )
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return ElementTree.fromstring(data)  # noqa: S314 - the file this module just wrote


def elements(root: ElementTree.Element) -> list[tuple[str, dict]]:
    return [(element.tag, element.attrib) for element in root.find("workout")]


@pytest.mark.parametrize("modality", ["swim", "strength", "conditioning", "mobility", "sport", "other"])
def test_zwo_is_only_for_bike_and_run(modality):
    with pytest.raises(ZwoNotAvailable):
        workout_zwo(title="Swim", modality=modality, duration_minutes=60, structure=None)


@pytest.mark.parametrize("modality", ["bike", "run"])
def test_zwo_has_name_description_and_sport(modality):
    root = zwo(structure(timed(seconds=60)), title="Over-unders", modality=modality, description="Hard one")
    assert root.tag == "workout_file"
    assert root.findtext("name") == "Over-unders"
    assert root.findtext("description") == "Hard one"
    assert root.findtext("sportType") == modality


def test_zwo_escapes_the_title_and_drops_characters_xml_cannot_hold():
    data = workout_zwo(
        title='A <&> "B" é\x01', modality="bike", duration_minutes=60, structure=None, description="x < y\x0b"
    )
    assert b"A &lt;&amp;&gt;" in data
    root = ElementTree.fromstring(data)  # noqa: S314 - the file this module just wrote
    assert root.findtext("name") == 'A <&> "B" é'
    assert root.findtext("description") == "x < y"


def test_zwo_without_structure_is_one_free_ride_of_the_session_minutes():
    assert elements(zwo(None, duration_minutes=75)) == [("FreeRide", {"Duration": "4500"})]


def test_zwo_power_steps():
    root = zwo(
        structure(
            timed("warmup", seconds=600, target=target("powerPercentFtp", 50, 75)),
            timed(seconds=1200, target=target("powerPercentFtp", 88, 92)),
            timed("recovery", seconds=300, target=target("powerPercentFtp", 55)),
            timed("cooldown", seconds=600, target=target("powerPercentFtp", 40, 65)),
        )
    )
    assert elements(root) == [
        ("Warmup", {"Duration": "600", "PowerLow": "0.5", "PowerHigh": "0.75"}),
        ("SteadyState", {"Duration": "1200", "Power": "0.9"}),
        ("SteadyState", {"Duration": "300", "Power": "0.55"}),
        # A cooldown ramps down: from the high end to the low end.
        ("Cooldown", {"Duration": "600", "PowerLow": "0.65", "PowerHigh": "0.4"}),
    ]


def test_zwo_steps_without_a_power_target_are_free_rides():
    root = zwo(
        structure(
            timed("warmup", seconds=600),
            timed(seconds=60, target=target("heartRateZone", 2)),
            timed(seconds=60, target=target("rpe", 7)),
            timed(seconds=60, target=target("cadence", 85, 95)),
            timed("cooldown", seconds=600, target=target("heartRatePercentMax", 60, 70)),
        )
    )
    assert elements(root) == [
        ("FreeRide", {"Duration": "600"}),
        ("FreeRide", {"Duration": "60"}),
        ("FreeRide", {"Duration": "60"}),
        ("FreeRide", {"Duration": "60", "Cadence": "90"}),
        ("FreeRide", {"Duration": "600"}),
    ]


def test_zwo_power_boundaries():
    root = zwo(
        structure(
            timed(seconds=1, target=target("powerPercentFtp", 20)),
            timed(seconds=86400, target=target("powerPercentFtp", 300)),
            timed(seconds=60, target=target("powerPercentFtp", 87.5)),
        )
    )
    assert [attributes for _, attributes in elements(root)] == [
        {"Duration": "1", "Power": "0.2"},
        {"Duration": "86400", "Power": "3"},
        {"Duration": "60", "Power": "0.875"},
    ]


def test_zwo_repeat_of_two_power_steps_is_intervals():
    root = zwo(
        structure(
            repeat(
                6,
                timed(seconds=30, target=target("powerPercentFtp", 120, 130)),
                timed("recovery", seconds=90, target=target("powerPercentFtp", 50)),
            )
        )
    )
    assert elements(root) == [
        ("IntervalsT", {"Repeat": "6", "OnDuration": "30", "OffDuration": "90", "OnPower": "1.25", "OffPower": "0.5"})
    ]


def test_zwo_repeat_count_boundary_99():
    root = zwo(
        structure(
            repeat(
                99,
                timed(seconds=30, target=target("powerPercentFtp", 120)),
                timed(seconds=30, target=target("powerPercentFtp", 50)),
            )
        )
    )
    assert elements(root)[0][1]["Repeat"] == "99"


def test_zwo_other_repeats_are_expanded():
    root = zwo(
        structure(
            repeat(3, timed(seconds=30, target=target("powerPercentFtp", 120)), timed("recovery", seconds=90)),
            repeat(2, timed(seconds=60, target=target("powerPercentFtp", 100))),
            repeat(
                2,
                timed(seconds=10, target=target("powerPercentFtp", 150)),
                timed(seconds=20, target=target("powerPercentFtp", 100)),
                timed(seconds=30, target=target("powerPercentFtp", 60)),
            ),
        )
    )
    tags = [tag for tag, _ in elements(root)]
    assert tags == ["SteadyState", "FreeRide"] * 3 + ["SteadyState"] * 2 + ["SteadyState"] * 6
    assert [a["Duration"] for _, a in elements(root)][-6:] == ["10", "20", "30", "10", "20", "30"]


def test_zwo_distance_step_with_pace_takes_the_time_of_its_midpoint_pace():
    root = zwo(structure(timed(meters=1000, target=target("pace", 225, 235))), modality="run")
    assert elements(root) == [("FreeRide", {"Duration": "230"})]
    assert root.findtext("description") == ""


def test_zwo_what_zwift_cannot_hold_is_left_out_and_listed_in_the_description():
    root = zwo(
        structure(
            timed(seconds=300),
            timed(meters=10000, target=target("powerPercentFtp", 85)),
            repeat(2, timed(meters=400), timed("recovery", seconds=60)),
            exercise(SQUAT, {"reps": 5, "loadKg": 100, "restSeconds": 120}),
        ),
        description="Road day",
        exercise_names=NAMES,
    )
    assert elements(root) == [
        ("FreeRide", {"Duration": "300"}),
        ("FreeRide", {"Duration": "60"}),
        ("FreeRide", {"Duration": "60"}),
    ]
    assert root.findtext("description") == (
        "Road day\n\nNot in this workout (no Zwift equivalent): 10.00 km work @ 85 % FTP; "
        "2 × (400 m, 1:00 recovery); Back squat: 5 @ 100 kg, rest 2:00."
    )


def test_zwo_notes_are_text_events():
    root = zwo(structure(timed(seconds=60, notes="Spin <fast> & smooth")))
    (step,) = root.find("workout")
    (event,) = step.findall("textevent")
    assert event.attrib == {"timeoffset": "0", "message": "Spin <fast> & smooth"}


def test_zwo_needs_the_session_minutes():
    with pytest.raises(TypeError):
        workout_zwo(title="x", modality="bike", structure=None)  # type: ignore[call-arg]


# ---------------------------------------------------------------------------------------------------------------
# Text


def text(*steps, names=None) -> str:
    return structure_text(structure=structure(*steps), exercise_names=NAMES if names is None else names)


def test_text_without_structure_is_empty():
    assert structure_text(structure=None, exercise_names={}) == ""
    assert structure_text(structure=structure(), exercise_names={}) == ""


def test_text_is_one_line_per_step():
    assert text(
        timed("warmup", seconds=900, target=target("heartRateZone", 1, 2)),
        repeat(5, timed(meters=1000, target=target("pace", 225, 235)), timed("recovery", seconds=120)),
        timed(seconds=1200, target=target("powerPercentFtp", 88, 92)),
        exercise(SQUAT, *[{"reps": 5, "percent1rm": 80, "rir": 2, "restSeconds": 120}] * 5),
        exercise(BENCH, {"reps": 8, "loadKg": 60}, {"reps": 6, "loadKg": 65}, {"reps": 4, "loadKg": 70}),
        timed("cooldown", seconds=600),
    ).split("\n") == [
        "15:00 warmup @ Z1–Z2",
        "5 × (1.00 km @ 3:45–3:55 /km, 2:00 recovery)",
        "20:00 work @ 88–92 % FTP",
        "Back squat: 5 × 5 @ 80 % 1RM (RIR 2), rest 2:00",
        "Bench press: 8 @ 60 kg, 6 @ 65 kg, 4 @ 70 kg",
        "10:00 cooldown",
    ]


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (1, "0:01"),
        (59, "0:59"),
        (60, "1:00"),
        (3599, "59:59"),
        (3600, "1:00:00"),
        (5025, "1:23:45"),
        (86400, "24:00:00"),
    ],
)
def test_text_durations(seconds, shown):
    assert text(timed("rest", seconds=seconds)) == f"{shown} rest"


@pytest.mark.parametrize(
    ("meters", "shown"),
    [(1, "1 m"), (400, "400 m"), (999, "999 m"), (1000, "1.00 km"), (1609, "1.61 km"), (500000, "500.00 km")],
)
def test_text_distances(meters, shown):
    assert text(timed(meters=meters)) == f"{shown} work"


@pytest.mark.parametrize(
    ("target_", "shown"),
    [
        (target("rpe", 6), "RPE 6"),
        (target("rpe", 6, 7.5), "RPE 6–7.5"),
        (target("heartRateZone", 3), "Z3"),
        (target("heartRateZone", 1, 2), "Z1–Z2"),
        (target("heartRatePercentMax", 75, 80), "75–80 % HRmax"),
        (target("powerPercentFtp", 105), "105 % FTP"),
        (target("pace", 240), "4:00 /km"),
        (target("pace", 60, 1200), "1:00–20:00 /km"),
        (target("cadence", 85, 95), "cadence 85–95"),
    ],
)
def test_text_targets(target_, shown):
    assert text(timed(seconds=60, target=target_)) == f"1:00 work @ {shown}"


def test_text_repeat_names_kinds_except_the_work_itself():
    assert text(repeat(99, timed(seconds=30, target=target("powerPercentFtp", 120)), timed("rest", seconds=30))) == (
        "99 × (0:30 @ 120 % FTP, 0:30 rest)"
    )


def test_text_notes_follow_the_step_on_the_same_line():
    assert text(
        timed("warmup", seconds=600, notes="Easy\n  spin"),
        repeat(2, timed(seconds=60, notes="all out"), timed("recovery", seconds=60), notes="Count them"),
        exercise(SQUAT, {"reps": 5}, notes="Belt on"),
    ).split("\n") == [
        "10:00 warmup — Easy spin",
        "2 × (1:00 (all out), 1:00 recovery) — Count them",
        "Back squat: 5 — Belt on",
    ]


def test_text_exercise_groups_identical_consecutive_sets_only():
    assert (
        text(
            exercise(
                SQUAT,
                {"reps": 5, "loadKg": 100},
                {"reps": 5, "loadKg": 100},
                {"reps": 3, "loadKg": 110},
                {"reps": 5, "loadKg": 100},
            )
        )
        == "Back squat: 2 × 5 @ 100 kg, 3 @ 110 kg, 5 @ 100 kg"
    )


def test_text_exercise_different_rests_are_said_set_by_set():
    assert (
        text(
            exercise(
                SQUAT, {"reps": 5, "loadKg": 100, "restSeconds": 180}, {"reps": 5, "loadKg": 100, "restSeconds": 0}
            )
        )
        == "Back squat: 5 @ 100 kg (rest 3:00), 5 @ 100 kg"
    )


def test_text_exercise_details():
    assert text(
        exercise(BENCH, {"reps": 5, "percent1rm": 82.5, "resolvedLoadKg": 80.5, "rir": 0, "restSeconds": 90}),
        exercise(BENCH, *[{"seconds": 45, "restSeconds": 15}] * 3),
        exercise("0b7c1d3e-0000-4000-8000-00000000ffff", *[{"reps": 20, "loadKg": 0}] * 20),
    ).split("\n") == [
        "Bench press: 5 @ 82.5 % 1RM (≈ 80.5 kg, RIR 0), rest 1:30",
        "Bench press: 3 × 0:45, rest 0:15",
        "Exercise: 20 × 20 @ 0 kg",
    ]
