"""The base viewsets: list / retrieve / create / update / partial update, no destroy (DELETE answers 405).
A write is its resource's service function (`write_service`, core.writes): the viewset only parses the body,
calls it, and answers with the written row and its ETag."""

from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from .api import PreconditionFailed, etag_for, if_match_satisfied
from .idempotency import IdempotentPostMixin
from .lists.page_statement import list_reads_of
from .lists.views import FastListMixin
from .permissions import DenyAll


class ETagRetrieveMixin(mixins.RetrieveModelMixin):
    """Detail GETs carry the row's ETag (docs/api.md, Concurrency: ETag and If-Match), for a later If-Match."""

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        return Response(self.get_serializer(instance).data, headers={"ETag": etag_for(instance)})


class CadenceViewSet(
    IdempotentPostMixin,  # POSTs with an Idempotency-Key run once (core.idempotency)
    ETagRetrieveMixin,
    FastListMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """list / retrieve / create / update / partial_update with ETags; no destroy, so DELETE answers 405.

    Subclasses set `queryset` (typed `.none()` for the schema), `serializer_class`, `filterset_class`,
    `ordering_fields`, `ordering`, `permission_classes` (who may do what: `core.permissions.RolePermission`), and
    implement `scoped_queryset()` (who sees what)."""

    # Deny by default: a subclass that names no permission answers 403 to everyone, never "any signed-in user"
    # (which would let an athlete write whatever `scoped_queryset()` reaches).
    permission_classes = [DenyAll]

    def scoped_queryset(self):
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return self.queryset
        queryset = self.scoped_queryset()
        reads = list_reads_of(self)
        if reads is not None and self.action != "list":  # a list adds them for its page's rows only
            queryset = reads.with_derived_columns(queryset)
        return queryset

    # The resource's write: ONE service function, called by create (instance=None) and update as
    # `write_service(instance=, changes=<validated body>, if_match=<If-Match header or None>, actor=<user>)`.
    # It takes the locks, compares If-Match (412), validates, writes and emits (core.writes); this class takes
    # none and only translates HTTP around it. Subclasses set it as `staticmethod(<app>.services.<x>_write)`.
    write_service = None
    # Whether the answer re-reads the written row through get_queryset(): needed when the representation has
    # columns the database derives (a program's metrics, a cycle's session counts); otherwise the written row
    # renders the same body without the extra query.
    reread_after_write = True

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        written = serializer.write(self.write_service, instance=None, if_match=None, actor=request.user)
        row = self._answer_row(written)
        return Response(self.get_serializer(row).data, status=status.HTTP_201_CREATED, headers={"ETag": etag_for(row)})

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()  # scoped (404 for others' rows) and object permissions (403)
        if_match = request.headers.get("If-Match")
        # A precondition comes before the body: a version already stale when the row was read stays stale
        # (versions only move forward), so that client hears 412, not a 400 about a body it will rewrite. The
        # service compares again under its lock; that comparison is the one that decides a race.
        if not if_match_satisfied(if_match, instance):
            raise PreconditionFailed()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        written = serializer.write(self.write_service, instance=instance, if_match=if_match, actor=request.user)
        row = self._answer_row(written)
        return Response(self.get_serializer(row).data, headers={"ETag": etag_for(row)})

    def _answer_row(self, written):
        return self.get_queryset().get(pk=written.pk) if self.reread_after_write else written


class ReadOnlyCadenceViewSet(ETagRetrieveMixin, FastListMixin, viewsets.GenericViewSet):
    """list / retrieve only; every write method answers 405. Names its permission like CadenceViewSet does."""

    permission_classes = [DenyAll]  # deny by default, as in CadenceViewSet
