from core.routing import OptionalSlashRouter, api_path

from . import api

router = OptionalSlashRouter()
router.register("wellness", api.WellnessViewSet, basename="wellness")

urlpatterns = [
    *router.urls,
    api_path("athletes/<uuid:pk>/wellness/<str:day>/", api.AthleteWellnessView.as_view(), name="athlete-wellness"),
    api_path("athletes/<uuid:pk>/readiness/", api.AthleteReadinessView.as_view(), name="athlete-readiness"),
    api_path("readiness-board/", api.ReadinessBoardView.as_view(), name="readiness-board"),
]
