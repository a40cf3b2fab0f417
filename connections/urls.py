from core.routing import OptionalSlashRouter

from .api import DatabaseConnectionProfileViewSet

router = OptionalSlashRouter()
router.register("connection-profiles", DatabaseConnectionProfileViewSet, basename="connection-profile")

urlpatterns = router.urls
