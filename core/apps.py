from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared building blocks: the base model, API plumbing (pagination, errors), role groups."""

    name = "core"

    def ready(self):
        from . import signals  # noqa: F401 (connects the receivers)
