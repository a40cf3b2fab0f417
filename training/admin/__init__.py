"""The training plan in the admin: every write goes through `training.services`, every rule shows on a field.

Changelists load derived values in the query that loads the rows (`with_metrics()`, `with_session_counts()`,
subqueries), never per row. One module per part of the plan, registered here, all of them:

- `programs`: programs with their phases inline; `plan`: phases and micro-cycles; `sessions`: sessions.
- `exercises`: the exercise catalogue (archived, never deleted).
- `season`: season events (races, tests, camps).
- `activities`: imported activities with their figures and the session each completed (link, match, unlink).
- `library`: program and session templates, "Save as template" on programs and "Apply to athletes or a squad…".
- `forms`, `filters`, `actions`: what those admins share (validation under the services' locks, the session
  list's filters by athlete-local day, the bulk actions).
- `labels`, `local_times`, `history`: labels that tell rows apart, times in the athlete's timezone, the status
  audit trail.
- The "Training load" page is the load feature's own (training.load.admin).
"""

from django.contrib import admin

from ..activities.models import Activity
from ..library.models import ProgramTemplate, SessionTemplate
from ..load.admin import AthleteLoadAdmin
from ..models import AthleteLoad, MicroCycle, ProgramPhase, TrainingProgram, TrainingSession
from ..season.models import SeasonEvent
from ..workouts.models import Exercise
from .activities import ActivityAdmin
from .exercises import ExerciseAdmin
from .library import ProgramTemplateAdmin, SessionTemplateAdmin
from .plan import MicroCycleAdmin, ProgramPhaseAdmin
from .programs import TrainingProgramAdmin
from .season import SeasonEventAdmin
from .sessions import TrainingSessionAdmin

admin.site.register(TrainingProgram, TrainingProgramAdmin)
admin.site.register(ProgramPhase, ProgramPhaseAdmin)
admin.site.register(MicroCycle, MicroCycleAdmin)
admin.site.register(TrainingSession, TrainingSessionAdmin)
admin.site.register(AthleteLoad, AthleteLoadAdmin)
admin.site.register(Exercise, ExerciseAdmin)
admin.site.register(ProgramTemplate, ProgramTemplateAdmin)
admin.site.register(SessionTemplate, SessionTemplateAdmin)
admin.site.register(SeasonEvent, SeasonEventAdmin)
admin.site.register(Activity, ActivityAdmin)
