"""API plumbing shared by every resource: the list envelope and JSON errors."""

from rest_framework import pagination
from rest_framework.views import exception_handler as drf_exception_handler


class PageNumberPagination(pagination.PageNumberPagination):
    """`{"count", "next", "previous", "results"}` with `?page=` (from 1) and `?pageSize=` (max 200)."""

    page_size = 50
    page_size_query_param = "page_size"  # the camelCase middleware turns ?pageSize= into page_size
    max_page_size = 200


def exception_handler(exc, context):
    return drf_exception_handler(exc, context)
