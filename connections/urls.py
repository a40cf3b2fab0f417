from rest_framework.routers import SimpleRouter

from .api import DatabaseConnectionProfileViewSet

router = SimpleRouter()
router.register("connection-profiles", DatabaseConnectionProfileViewSet, basename="connection-profile")

urlpatterns = router.urls
