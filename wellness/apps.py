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

    def seed_demo_extra(self, *, athletes, weeks: int, seed: int, now):
        """seed_demo's daily wellness entries (training's seed_demo calls this; it imports no wellness code)."""
        from .demo import seed_demo_entries

        return seed_demo_entries(athletes=athletes, weeks=weeks, seed=seed, now=now)
