from core.pagination import KeysetOrPageNumberPagination
from core.permissions import IsCoachOrOwnAthlete
from core.viewsets import CadenceViewSet

from .filters import AthleteProfileFilter
from .models import AthleteProfile
from .serializers import AthleteProfileSerializer


class AthleteProfileViewSet(CadenceViewSet):
    """Athlete profiles. Coaches see and edit all; an athlete sees only their own and may PATCH
    `displayName` and `timezone`."""

    queryset = AthleteProfile.objects.none()
    serializer_class = AthleteProfileSerializer
    permission_classes = [IsCoachOrOwnAthlete]
    filterset_class = AthleteProfileFilter
    pagination_class = KeysetOrPageNumberPagination
    ordering_fields = ["display_name", "updated_at"]
    ordering = ["display_name", "id"]
    athlete_writable_fields = ("display_name", "timezone")

    def scoped_queryset(self):
        user = self.request.user
        queryset = AthleteProfile.objects.all()
        return queryset if user.is_staff else queryset.filter(user=user)
