from core.routing import OptionalSlashRouter, api_path

from . import views
from .load import api as load_api

router = OptionalSlashRouter()
router.register("programs", views.TrainingProgramViewSet, basename="program")
router.register("phases", views.ProgramPhaseViewSet, basename="phase")
router.register("micro-cycles", views.MicroCycleViewSet, basename="micro-cycle")
router.register("sessions", views.TrainingSessionViewSet, basename="session")

urlpatterns = [
    *router.urls,
    api_path("athletes/<uuid:pk>/load/", load_api.AthleteLoadView.as_view(), name="athlete-load"),
    api_path("load-summary/", load_api.LoadSummaryView.as_view(), name="load-summary"),
]
