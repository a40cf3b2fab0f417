from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("programs", views.TrainingProgramViewSet, basename="program")
router.register("phases", views.ProgramPhaseViewSet, basename="phase")
router.register("micro-cycles", views.MicroCycleViewSet, basename="micro-cycle")
router.register("sessions", views.TrainingSessionViewSet, basename="session")

urlpatterns = router.urls
