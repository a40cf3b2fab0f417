from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.lists.pagination import KeysetOrPageNumberPagination
from core.permissions import RolePermission
from core.viewsets import CadenceViewSet

from . import services
from .filters import AthleteProfileFilter, SquadFilterSet
from .models import AthleteProfile, Squad
from .selectors import athlete_list_with_coaches, squad_list, squad_list_with_members
from .serializers import AthleteProfileSerializer, InviteSerializer, SquadSerializer


class AthleteProfileViewSet(CadenceViewSet):
    """Athlete profiles. Head coaches see every athlete and assign coaches (`coachIds`); a coach sees the
    athletes assigned to them (and is assigned to those they create); an athlete sees only their own profile
    and may PATCH `displayName` and `timezone`."""

    queryset = AthleteProfile.objects.none()
    serializer_class = AthleteProfileSerializer
    permission_classes = [RolePermission]
    action_permissions = {"invite": ["athletes.change_athleteprofile"]}
    athlete_access = True
    filterset_class = AthleteProfileFilter
    pagination_class = KeysetOrPageNumberPagination
    ordering_fields = ["display_name", "updated_at"]
    ordering = ["display_name", "id"]
    athlete_writable_fields = ("display_name", "timezone")
    write_service = staticmethod(services.athlete_write)
    reread_after_write = False  # coachIds is read from the written row as from a re-read one

    def scoped_queryset(self):
        return athlete_list_with_coaches(user=self.request.user)

    @extend_schema(
        request=None,
        responses={
            200: InviteSerializer,
            400: OpenApiResponse(
                description="The athlete's login is inactive, or has been given staff rights (staff status, "
                "superuser, a group or a permission of its own) since the athlete was created."
            ),
        },
        summary="A one-time set-password link for the athlete's login (72 hours), e-mailed to its address",
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def invite(self, request, pk=None):
        athlete = self.get_object()  # scoped: another coach's athlete is a 404
        invitation = services.athlete_invite(
            athlete=athlete, build_absolute_uri=request.build_absolute_uri, now=timezone.now()
        )
        # The link is a credential for 72 hours: no cache keeps it, and an Idempotency-Key repeat is not
        # answered from a stored copy (it makes a new link instead).
        return Response(
            InviteSerializer(invitation).data, status=status.HTTP_200_OK, headers={"Cache-Control": "no-store"}
        )


class SquadViewSet(CadenceViewSet):
    """Squads: teams of athletes. A coach sees the squads they coach (and is added to those they create), head
    coaches every squad; athletes and operations get 403. `athleteIds` lists the members the caller may see. No
    DELETE (405), as for every resource of the API: squads are deleted in the admin."""

    queryset = Squad.objects.none()
    serializer_class = SquadSerializer
    permission_classes = [RolePermission]
    filterset_class = SquadFilterSet
    pagination_class = KeysetOrPageNumberPagination
    ordering_fields = ["name", "updated_at"]
    ordering = ["name", "id"]
    write_service = staticmethod(services.squad_write)

    def scoped_queryset(self):
        if self.action in ("update", "partial_update"):  # the row to write: its members are read by the service
            return squad_list(user=self.request.user)
        return squad_list_with_members(user=self.request.user)

    def _answer_row(self, written):
        # The row as its writer reads it, also when the writer has just left its coaches (they may no longer see
        # the squad, but they wrote this answer).
        return squad_list_with_members(user=self.request.user, squads=Squad.objects.all()).get(pk=written.pk)
