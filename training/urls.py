from core.routing import OptionalSlashRouter, api_path

from . import views
from .activities.api import ActivityViewSet, AthleteActivityUploadView
from .library.api import ProgramTemplateViewSet, SessionTemplateViewSet
from .load import api as load_api
from .season.api import SeasonEventViewSet
from .workouts.exercise_api import ExerciseViewSet
from .workouts.sets_api import AthleteRecordsView, SessionSetsView

router = OptionalSlashRouter()
router.register("programs", views.TrainingProgramViewSet, basename="program")
router.register("phases", views.ProgramPhaseViewSet, basename="phase")
router.register("micro-cycles", views.MicroCycleViewSet, basename="micro-cycle")
router.register("sessions", views.TrainingSessionViewSet, basename="session")
router.register("exercises", ExerciseViewSet, basename="exercise")
router.register("program-templates", ProgramTemplateViewSet, basename="program-template")
router.register("session-templates", SessionTemplateViewSet, basename="session-template")
router.register("events", SeasonEventViewSet, basename="event")
router.register("activities", ActivityViewSet, basename="activity")

urlpatterns = [
    *router.urls,
    api_path("athletes/<uuid:pk>/load/", load_api.AthleteLoadView.as_view(), name="athlete-load"),
    api_path("load-summary/", load_api.LoadSummaryView.as_view(), name="load-summary"),
    api_path("sessions/<uuid:pk>/sets/", SessionSetsView.as_view(), name="session-sets"),
    api_path("athletes/<uuid:pk>/records/", AthleteRecordsView.as_view(), name="athlete-records"),
    api_path("athletes/<uuid:pk>/activities/", AthleteActivityUploadView.as_view(), name="athlete-activities"),
]
