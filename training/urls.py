from django.urls import path
from rest_framework.routers import SimpleRouter

from . import load_views, views

router = SimpleRouter()
router.register("programs", views.TrainingProgramViewSet, basename="program")
router.register("phases", views.ProgramPhaseViewSet, basename="phase")
router.register("micro-cycles", views.MicroCycleViewSet, basename="micro-cycle")
router.register("sessions", views.TrainingSessionViewSet, basename="session")

urlpatterns = [
    *router.urls,
    path("athletes/<uuid:pk>/load/", load_views.AthleteLoadView.as_view(), name="athlete-load"),
    path("load-summary/", load_views.LoadSummaryView.as_view(), name="load-summary"),
]
