from core.routing import OptionalSlashRouter, api_path

from . import load_views, views

router = OptionalSlashRouter()
router.register("programs", views.TrainingProgramViewSet, basename="program")
router.register("phases", views.ProgramPhaseViewSet, basename="phase")
router.register("micro-cycles", views.MicroCycleViewSet, basename="micro-cycle")
router.register("sessions", views.TrainingSessionViewSet, basename="session")

urlpatterns = [
    *router.urls,
    api_path("athletes/<uuid:pk>/load/", load_views.AthleteLoadView.as_view(), name="athlete-load"),
    api_path("load-summary/", load_views.LoadSummaryView.as_view(), name="load-summary"),
]
