from core.routing import OptionalSlashRouter

from .views import AthleteProfileViewSet, SquadViewSet

router = OptionalSlashRouter()
router.register("athletes", AthleteProfileViewSet, basename="athlete")
router.register("squads", SquadViewSet, basename="squad")

urlpatterns = router.urls
