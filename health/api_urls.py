from rest_framework.routers import SimpleRouter

from .api import ConnectionHealthEventViewSet

router = SimpleRouter()
router.register("health-events", ConnectionHealthEventViewSet, basename="health-event")

urlpatterns = router.urls
