"""/api/v1/webhook-endpoints/: a user's webhook endpoints (head coaches, coaches and operations; athletes 403),
their deliveries, a test ping, secret rotation, and `POST …/deliveries/{id}/retry/`."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from core.api import Conflict, ServiceModelSerializer, TrimmedCharField
from core.events import EVENT_TYPES
from core.idempotency import IdempotentPostMixin
from core.lists.filters import FilterSet
from core.lists.pagination import PageNumberPagination
from core.permissions import RolePermission
from core.viewsets import CadenceViewSet

from . import services
from .models import ALL_EVENTS, WebhookDelivery, WebhookEndpoint
from .selectors import delivery_list, endpoint_list

ALL_ALONE = 'Give ["*"] alone for every event, or list the event types.'


class WebhookEndpointSerializer(ServiceModelSerializer):
    url = serializers.URLField(
        max_length=2000,
        help_text="https:// to a public address (http:// and private addresses only for WEBHOOK_ALLOW_PRIVATE_HOSTS).",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=[*EVENT_TYPES, ALL_EVENTS]),
        min_length=1,
        max_length=len(EVENT_TYPES),
        help_text='Event types to receive, or ["*"] for every one.',
    )
    description = TrimmedCharField(max_length=500, allow_blank=True, required=False)

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "description", "active", "disabled_at", "updated_at"]
        read_only_fields = ["id", "disabled_at", "updated_at"]

    def validate_events(self, value):
        if ALL_EVENTS in value and len(value) > 1:
            raise serializers.ValidationError(ALL_ALONE)
        if len(set(value)) != len(value):
            raise serializers.ValidationError("An event type is listed twice.")
        return value


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    """The answer to a create and to rotate-secret: the only ones that show `secret`."""

    secret = serializers.CharField(read_only=True, help_text="whsec_ + base64 of 32 random bytes; shown only here.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = [*WebhookEndpointSerializer.Meta.read_only_fields, "secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "type",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "created_at",
        ]
        read_only_fields = fields


class WebhookEndpointFilter(FilterSet):
    """No filters: a user has a handful of endpoints."""

    class Meta:
        model = WebhookEndpoint
        fields: list = []


class WebhookEndpointViewSet(CadenceViewSet):
    """Webhook endpoints: head coaches see every one, coaches and operations their own. No DELETE (405)."""

    queryset = WebhookEndpoint.objects.none()
    serializer_class = WebhookEndpointSerializer
    permission_classes = [RolePermission]
    action_permissions = {
        "rotate_secret": ["webhooks.change_webhookendpoint"],
        "test": ["webhooks.change_webhookendpoint"],
        "deliveries": ["webhooks.view_webhookendpoint", "webhooks.view_webhookdelivery"],
    }
    filterset_class = WebhookEndpointFilter
    pagination_class = PageNumberPagination
    ordering_fields = ["created_at"]
    ordering = ["created_at", "id"]
    write_service = staticmethod(services.endpoint_write)
    reread_after_write = False

    def scoped_queryset(self):
        return endpoint_list(user=self.request.user)

    def get_serializer_class(self):
        if self.action in ("create", "rotate_secret"):
            return WebhookEndpointWithSecretSerializer
        if self.action == "deliveries":
            return WebhookDeliverySerializer
        return WebhookEndpointSerializer

    @extend_schema(request=None, responses={200: WebhookEndpointWithSecretSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret", filter_backends=[], pagination_class=None)
    def rotate_secret(self, request, pk=None):
        endpoint = services.endpoint_secret_rotate(endpoint=self.get_object())
        return Response(self.get_serializer(endpoint).data, headers={"Cache-Control": "no-store"})

    @extend_schema(
        request=None,
        responses={202: WebhookDeliverySerializer},
        summary="Send a ping event to the endpoint (queued: the delivery is in …/deliveries/); 409 when the "
        "endpoint is not active",
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def test(self, request, pk=None):
        try:
            delivery = services.endpoint_ping(endpoint=self.get_object())
        except services.EndpointInactive as exc:
            raise Conflict(str(exc)) from exc
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: WebhookDeliverySerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[])
    def deliveries(self, request, pk=None):
        endpoint = self.get_object()
        rows = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-id")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)


class WebhookDeliveryRetryView(IdempotentPostMixin, GenericAPIView):
    """POST /api/v1/webhook-endpoints/deliveries/{id}/retry/: attempt a failed or pending delivery again now."""

    queryset = WebhookDelivery.objects.none()
    serializer_class = WebhookDeliverySerializer
    permission_classes = [RolePermission]
    action_permissions = {"retry": ["webhooks.change_webhookendpoint"]}
    action = "retry"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return delivery_list(user=self.request.user)

    @extend_schema(
        request=None,
        responses={202: WebhookDeliverySerializer},
        summary="Attempt a failed or pending delivery again now; 409 when it was delivered already",
    )
    def post(self, request, pk=None):
        try:
            delivery = services.delivery_retry(delivery=self.get_object())
        except services.AlreadyDelivered as exc:
            raise Conflict(str(exc)) from exc
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
