from core.routing import OptionalSlashRouter

from .api import ConnectionHealthEventViewSet

router = OptionalSlashRouter()
router.register("health-events", ConnectionHealthEventViewSet, basename="health-event")

urlpatterns = router.urls
