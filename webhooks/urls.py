from core.routing import OptionalSlashRouter, api_path

from .api import WebhookDeliveryRetryView, WebhookEndpointViewSet

router = OptionalSlashRouter()
router.register("webhook-endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")

urlpatterns = [
    # Before the router's detail route, which would read "deliveries" as an endpoint's id.
    api_path(
        "webhook-endpoints/deliveries/<uuid:pk>/retry/",
        WebhookDeliveryRetryView.as_view(),
        name="webhook-delivery-retry",
    ),
    *router.urls,
]
