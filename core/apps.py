from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared building blocks: the base model, API plumbing (pagination, errors), role groups."""

    name = "core"

    def ready(self):
        from django.db.backends.signals import connection_created

        from . import signals  # noqa: F401 (connects the receivers)
        from .fields import escape_array_items_quickly, read_json_as_text

        connection_created.connect(read_json_as_text, dispatch_uid="cadence-read-json-as-text")
        connection_created.connect(escape_array_items_quickly, dispatch_uid="cadence-quick-list-dumper")
