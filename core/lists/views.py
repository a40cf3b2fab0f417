"""The list action of the API's viewsets (core.viewsets): the steps of a list request, in order (see core.lists)."""

from rest_framework import mixins
from rest_framework.response import Response

from .page_statement import list_reads_of
from .representation import represent_rows


class FastListMixin(mixins.ListModelMixin):
    """Lists rendered through the compiled representation (core.lists.representation), not the serializer: the
    same JSON without DRF's per-field work. Details and writes keep the serializer.

    A viewset declares what its list reads besides the bare rows with `list_reads`
    (core.lists.page_statement.ListReads): the derived columns, which a list gets for its page's rows only (the
    paginators ask for those rows) and every other action with the whole queryset (CadenceViewSet.get_queryset),
    and whether a numbered page is one statement. None: the list reads what its queryset gives."""

    list_reads = None

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())  # scoped (get_queryset), filtered and ordered
        page = self.paginate_queryset(queryset)
        reads = list_reads_of(self)
        if page is None and reads is not None:  # an unpaginated list: every row, with its derived columns
            queryset = reads.with_derived_columns(queryset)
        rows = page if page is not None else queryset
        if reads is not None and reads.complete_rows is not None:
            rows = list(rows)
            reads.complete_rows(rows)
        rows = represent_rows(self.get_serializer_class(), rows)
        return self.get_paginated_response(rows) if page is not None else Response(rows)
