from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self):
        from core.events import event_receiver

        from .events import events_deliver

        event_receiver(events_deliver)

        from core.metrics import scrape_collector

        from .metrics import QUEUE_COLLECTOR

        scrape_collector(QUEUE_COLLECTOR)
