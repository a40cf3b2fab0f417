"""The exercise catalogue a new installation starts with: common strength, power, conditioning and mobility
exercises. Coaches add their own and archive what they do not use.

Idempotent (an exercise whose name exists, in any case, is left as it is) and reversible (the exercises this
migration ships are removed unless a session's sets name them)."""

import uuid6
from django.db import migrations
from django.db.models.functions import Lower

# (name, category, equipment, unilateral, instructions)
CATALOGUE = [
    ("Back squat", "squat", ["barbell"], False, "Bar on the upper back; sit down between the hips to below parallel, drive up."),
    ("Front squat", "squat", ["barbell"], False, "Bar in the front rack, elbows high; squat upright."),
    ("Goblet squat", "squat", ["kettlebell", "dumbbell"], False, "Weight held at the chest; squat between the knees."),
    ("Overhead squat", "squat", ["barbell"], False, "Bar locked out overhead with a wide grip; squat below parallel."),
    ("Box squat", "squat", ["barbell"], False, "Sit back to a box, pause, stand without rocking."),
    ("Leg press", "squat", ["machine"], False, "Feet shoulder-width on the platform; lower under control."),
    ("Pistol squat", "squat", ["bodyweight"], True, "One-leg squat, the other leg held straight in front."),
    ("Deadlift", "hinge", ["barbell"], False, "Bar over mid-foot; push the floor away, hips and shoulders rise together."),
    ("Romanian deadlift", "hinge", ["barbell"], False, "Soft knees; hips back until the hamstrings stretch."),
    ("Sumo deadlift", "hinge", ["barbell"], False, "Wide stance, hands inside the knees; chest up."),
    ("Trap bar deadlift", "hinge", ["other"], False, "Stand in the hex bar; drive through the floor."),
    ("Single-leg Romanian deadlift", "hinge", ["dumbbell", "kettlebell"], True, "Hinge on one leg, hips square."),
    ("Good morning", "hinge", ["barbell"], False, "Bar on the back; hinge at the hips with a flat back."),
    ("Hip thrust", "hinge", ["barbell"], False, "Upper back on a bench; drive the hips up, chin tucked."),
    ("Kettlebell swing", "hinge", ["kettlebell"], False, "Hike the bell back, snap the hips to float it to chest height."),
    ("Nordic hamstring curl", "hinge", ["bodyweight"], False, "Knees anchored; lower the body forward as slowly as possible."),
    ("Walking lunge", "lunge", ["dumbbell", "bodyweight"], True, "Long steps; back knee close to the floor."),
    ("Reverse lunge", "lunge", ["dumbbell", "bodyweight"], True, "Step back into the lunge; drive through the front heel."),
    ("Bulgarian split squat", "lunge", ["dumbbell"], True, "Rear foot on a bench; lower straight down."),
    ("Step-up", "lunge", ["dumbbell", "bodyweight"], True, "Whole foot on the box; stand up without pushing off the back leg."),
    ("Lateral lunge", "lunge", ["bodyweight", "dumbbell"], True, "Step wide; sit into one hip, the other leg straight."),
    ("Bench press", "push", ["barbell"], False, "Shoulder blades pinned; bar to the lower chest, press up."),
    ("Incline bench press", "push", ["barbell"], False, "Bench at 30–45 degrees; bar to the upper chest."),
    ("Dumbbell bench press", "push", ["dumbbell"], False, "Press the dumbbells from chest level to lockout."),
    ("Overhead press", "push", ["barbell"], False, "Standing; press from the front rack to overhead, ribs down."),
    ("Push press", "push", ["barbell"], False, "A short dip of the knees drives the bar overhead."),
    ("Dumbbell shoulder press", "push", ["dumbbell"], False, "Seated or standing; press the dumbbells overhead."),
    ("Push-up", "push", ["bodyweight"], False, "Body in one line; chest to a fist's height from the floor."),
    ("Dip", "push", ["bodyweight"], False, "Lower until the shoulders are below the elbows; press up."),
    ("Landmine press", "push", ["barbell"], True, "One end of the bar anchored; press the other up and forward."),
    ("Pull-up", "pull", ["bodyweight"], False, "Overhand grip; from a dead hang until the chin clears the bar."),
    ("Chin-up", "pull", ["bodyweight"], False, "Underhand grip; chin over the bar."),
    ("Barbell row", "pull", ["barbell"], False, "Torso hinged; row the bar to the lower ribs."),
    ("One-arm dumbbell row", "pull", ["dumbbell"], True, "Hand and knee on a bench; row to the hip."),
    ("Lat pulldown", "pull", ["cable", "machine"], False, "Pull the bar to the upper chest, elbows down."),
    ("Seated cable row", "pull", ["cable"], False, "Tall posture; pull the handle to the waist."),
    ("Inverted row", "pull", ["bodyweight"], False, "Under a bar, body straight; pull the chest to it."),
    ("Face pull", "pull", ["cable", "band"], False, "Rope to the forehead, elbows high and out."),
    ("Farmer's carry", "carry", ["dumbbell", "kettlebell"], False, "Heavy weights at the sides; walk tall."),
    ("Suitcase carry", "carry", ["dumbbell", "kettlebell"], True, "One weight at one side; do not lean."),
    ("Overhead carry", "carry", ["kettlebell", "dumbbell"], True, "Weight locked out overhead; walk."),
    ("Plank", "core", ["bodyweight"], False, "Forearms and toes; body in a straight line."),
    ("Side plank", "core", ["bodyweight"], True, "On one forearm; hips high."),
    ("Dead bug", "core", ["bodyweight"], False, "On the back; extend the opposite arm and leg, lower back flat."),
    ("Pallof press", "core", ["cable", "band"], True, "Press the handle straight out and resist the rotation."),
    ("Hanging leg raise", "core", ["bodyweight"], False, "From a hang, raise straight legs to hip height or higher."),
    ("Ab wheel rollout", "core", ["other"], False, "Roll out as far as the back stays flat; pull back."),
    ("Russian twist", "core", ["bodyweight", "other"], False, "Seated, feet up; rotate side to side."),
    ("Power clean", "olympic", ["barbell"], False, "From the floor, extend and pull under; catch in a quarter squat."),
    ("Hang power clean", "olympic", ["barbell"], False, "From above the knees; extend and catch in the front rack."),
    ("Clean and jerk", "olympic", ["barbell"], False, "Clean to the shoulders, then drive and split under the bar."),
    ("Power snatch", "olympic", ["barbell"], False, "Wide grip; floor to overhead in one motion, catch high."),
    ("Snatch", "olympic", ["barbell"], False, "Floor to overhead, received in a full overhead squat."),
    ("Box jump", "plyometric", ["other"], False, "Jump onto the box, land soft; step down."),
    ("Broad jump", "plyometric", ["bodyweight"], False, "Jump as far forward as possible; stick the landing."),
    ("Depth jump", "plyometric", ["other"], False, "Step off a box, rebound up at once on landing."),
    ("Medicine ball slam", "plyometric", ["other"], False, "Raise the ball overhead and slam it to the floor."),
    ("Skater jump", "plyometric", ["bodyweight"], True, "Bound side to side, landing on one leg."),
    ("Burpee", "conditioning", ["bodyweight"], False, "Squat, kick back to a push-up, jump up."),
    ("Rowing machine", "conditioning", ["machine"], False, "Legs, then body, then arms; reverse on the return."),
    ("Assault bike", "conditioning", ["machine"], False, "Arms and legs together at the target effort."),
    ("Sled push", "conditioning", ["other"], False, "Low body angle; drive with short steps."),
    ("Jump rope", "conditioning", ["other"], False, "Small hops on the balls of the feet."),
    ("Battle ropes", "conditioning", ["other"], False, "Alternate waves, knees soft."),
    ("World's greatest stretch", "mobility", ["bodyweight"], True, "Lunge, elbow to instep, rotate the arm up."),
    ("Hip flexor stretch", "mobility", ["bodyweight"], True, "Half kneeling; squeeze the glute, shift forward."),
    ("Thoracic rotation", "mobility", ["bodyweight"], True, "On all fours, hand behind the head; rotate up."),
    ("Ankle dorsiflexion drill", "mobility", ["bodyweight"], True, "Knee over the toes toward a wall, heel down."),
    ("Calf raise", "other", ["bodyweight", "machine"], False, "Up on the toes, pause, lower slowly."),
    ("Biceps curl", "other", ["dumbbell", "barbell"], False, "Elbows at the sides; curl without swinging."),
    ("Triceps pushdown", "other", ["cable"], False, "Elbows fixed; extend the arms fully."),
]


# The order Exercise.clean_fields keeps equipment in.
EQUIPMENT_ORDER = ["barbell", "dumbbell", "kettlebell", "machine", "cable", "band", "bodyweight", "other"]


def add_catalogue(apps, schema_editor):
    Exercise = apps.get_model("training", "Exercise")
    db = schema_editor.connection.alias
    existing = set(Exercise.objects.using(db).annotate(lower=Lower("name")).values_list("lower", flat=True))
    Exercise.objects.using(db).bulk_create(
        [
            Exercise(
                id=uuid6.uuid7(),
                name=name,
                category=category,
                equipment=[value for value in EQUIPMENT_ORDER if value in equipment],
                unilateral=unilateral,
                instructions=instructions,
            )
            for name, category, equipment, unilateral, instructions in CATALOGUE
            if name.lower() not in existing
        ]
    )


def remove_catalogue(apps, schema_editor):
    Exercise = apps.get_model("training", "Exercise")
    db = schema_editor.connection.alias
    Exercise.objects.using(db).filter(name__in=[row[0] for row in CATALOGUE], performed_sets__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("training", "0009_workouts")]

    operations = [migrations.RunPython(add_catalogue, remove_catalogue)]
