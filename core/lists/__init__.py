"""How the API reads a list: every step of `GET /api/v1/<resource>/`, in this package.

The flow of a list request, in order:

1. Router: the app's `core.routing.OptionalSlashRouter` (e.g. training/urls.py) sends the GET of a collection to
   the viewset's `list` action.
2. `viewset.list` (`core.lists.views.FastListMixin`, a base of `core.viewsets.CadenceViewSet` and
   `ReadOnlyCadenceViewSet`) runs the steps below.
3. Scoped queryset: `get_queryset()` (core.viewsets) returns the viewset's `scoped_queryset()`, the rows the caller
   may see (the app's selectors). A list's queryset has no derived columns yet: only its page's rows get them.
4. FilterSet: `core.lists.filters.FilterBackend` runs the viewset's `filterset_class` (a
   `core.lists.filters.FilterSet`) when the request names one of its filters, and is skipped otherwise.
5. Ordering: `core.lists.ordering.CamelCaseOrderingFilter`, `?ordering=` in camelCase (ties broken by id), else
   the viewset's `ordering`.
6. Paginator (`core.lists.pagination`): with `?pagination=cursor` or any `?cursor=`, on a viewset whose
   `pagination_class` is `KeysetOrPageNumberPagination`, a keyset page in `(updated_at, id)` order after the
   signed position of `core.lists.cursors`; otherwise a page number (`PageNumberPagination`). A list that
   declares `list_reads` (`core.lists.page_statement.ListReads`, read through `list_reads_of(view)`), or whose
   queryset is annotated, is paginated page first (`PageFirst`): its derived columns for the page's rows only.
7. One statement or separate queries (`core.lists.page_statement`): on PostgreSQL, a page asked for by number of
   a list that declares `page_in_one_statement` is one statement, the count, the page's ids and their rows
   (`ListReads.one_statement_page`). Elsewhere, for keyset pages, `page=last` and the querysets that statement
   refuses: the count (no count on keyset pages), the page's ids, then their rows.
8. Derived columns for the page's rows: `ListReads.rows_with_derived_columns` (the viewset's
   `derived_columns`, e.g. the program metrics), on PostgreSQL from SQL compiled once
   (`core.lists.compiled_sql`); a list without derived columns takes its plain slice.
9. Completed rows: a list whose `ListReads` names `complete_rows` gets what its rows' representation reads from
   other tables, for the whole page in one query (a session's %1RM sets: the athletes' estimated one-rep max).
10. Compiled representation: `core.lists.representation.represent_rows` turns the rows into camelCase dicts of
   JSON types with a function compiled once per serializer class, not the serializer's per-field work. A stored
   JSON document (`core.fields.StoredJSONField`, a session's structure) arrives on the PostgreSQL path as the
   compact text it was written as (the page's compiled query leaves it undecoded, `CompiledQuery(keep_text=True)`)
   and its field may hand that text on as `core.lists.renderers.JSONText` instead of decoding it.
11. Renderer: `core.lists.renderers.JSONRenderer` writes those rows (and the page's envelope) with orjson, a
    `JSONText` as its text; every other response takes the camel-case renderer's own path (whose encoder decodes
    a `JSONText`).

Per-process caches, and why none of them may depend on the request (tests/core/test_list_caches.py makes
requests that differ in caller, timezone and filters with the caches warm, in both orders, and compares each
answer with the one read with every cache emptied):

- `core.lists.representation.compiled`: one function per serializer class. Built from the serializer's fields
  made without a request; a field that depended on the caller would be frozen for every caller. The one thing a
  request changes, the current timezone, is read per page, never kept in it.
- `core.lists.compiled_sql.CompiledQuery._compiled`: each query's SQL per database alias. Compiled from
  stand-in markers; the request's values (a page's ids and "now", the Bearer token's key, the user id) are put
  in the markers' places on every run, and compiling checks that no other parameter depends on them. Its
  instances: each `ListReads`' page query per model (below), the token with its user (`core.auth`) and the
  caller's permissions (`core.roles`), which every list request runs before its rows.
- `core.lists.page_statement.ListReads._queries`: one compiled page query per model, per viewset's
  `ListReads`. Built from the model's manager, not the request's scoped queryset: the caller's scope and
  filters reach the page only as its ids (or as the ids' SQL, built per request).
- `core.lists.filters.FilterSet.get_form_class`: the form class, kept on each FilterSet class. Built from the
  class's filters, none of which depends on the request (no queryset callables, no per-request choices); each
  request binds its own form instance to its own parameters.

Per request, not per process: the page's current timezone (`representation._page_zone`, a thread-local set
while a page is written) and the caller's permissions kept on the request's user (`core.roles`).
"""
