"""The base viewsets: list / retrieve / create / update / partial update, no destroy (DELETE answers 405),
writes in one transaction with an atomic If-Match check, and the refreshed (annotated) row in the response."""

from django.db import transaction
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from .api import PreconditionFailed, etag_for, if_match_satisfied
from .idempotency import IdempotentPostMixin
from .permissions import DenyAll
from .representation import represent_rows


class FastListMixin(mixins.ListModelMixin):
    """Lists rendered through the compiled representation (core.representation), not the serializer: the
    same JSON without DRF's per-field work. Details and writes keep the serializer."""

    # The derived columns of this resource (core.page_rows.PageAnnotation), or None. Lists get them for the
    # page's rows only (the paginators ask the annotation for those rows); every other action's queryset has
    # them applied in CadenceViewSet.get_queryset.
    page_annotation = None

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        if page is None and self.page_annotation is not None:
            queryset = self.page_annotation.apply(queryset)
        rows = represent_rows(self.get_serializer_class(), page if page is not None else queryset)
        return self.get_paginated_response(rows) if page is not None else Response(rows)


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
        if self.page_annotation is not None and self.action != "list":
            queryset = self.page_annotation.apply(queryset)
        return queryset

    def lock_for_write(self, instance):
        """Lock the row about to be written and return it fresh. Subclasses whose services lock parent rows
        (athlete, program) lock those first here, in the services' order, so writers cannot deadlock.
        FOR NO KEY UPDATE, like the services: it still serializes writers of the row, but does not block the
        key-share lock a concurrent INSERT takes on the rows its foreign keys name (no deadlock with those)."""
        return type(instance)._default_manager.select_for_update(no_key=True).get(pk=instance.pk)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            instance = serializer.save()
        fresh = self.get_queryset().get(pk=instance.pk)
        return Response(
            self.get_serializer(fresh).data, status=status.HTTP_201_CREATED, headers={"ETag": etag_for(fresh)}
        )

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()  # scoped (404 for others' rows) and object permissions (403)
        with transaction.atomic():
            # Lock, compare, write: a second writer holding the same ETag waits here, then sees the new
            # version and gets 412, so two PATCHes with one ETag cannot both win.
            locked = self.lock_for_write(instance)
            if not if_match_satisfied(request.headers.get("If-Match"), locked):
                raise PreconditionFailed()
            serializer = self.get_serializer(locked, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            serializer.save()
        fresh = self.get_queryset().get(pk=instance.pk)
        return Response(self.get_serializer(fresh).data, headers={"ETag": etag_for(fresh)})


class ReadOnlyCadenceViewSet(ETagRetrieveMixin, FastListMixin, viewsets.GenericViewSet):
    """list / retrieve only; every write method answers 405. Names its permission like CadenceViewSet does."""

    permission_classes = [DenyAll]  # deny by default, as in CadenceViewSet
