from rest_framework.routers import SimpleRouter

from .views import AthleteProfileViewSet

router = SimpleRouter()
router.register("athletes", AthleteProfileViewSet, basename="athlete")

urlpatterns = router.urls
