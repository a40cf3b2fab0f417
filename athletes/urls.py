from core.routing import OptionalSlashRouter

from .views import AthleteProfileViewSet

router = OptionalSlashRouter()
router.register("athletes", AthleteProfileViewSet, basename="athlete")

urlpatterns = router.urls
