from django.apps import AppConfig


class WellnessConfig(AppConfig):
    name = "wellness"
    verbose_name = "Wellness"

    def ready(self):
        from core.redaction import register_health_data

        register_health_data(
            tables=("wellness_wellnessentry",),
            paths=("/wellness/", "/readiness", "/admin/wellness/", "/export/"),
        )
