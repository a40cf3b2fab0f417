from rest_framework import serializers

from .models import ConnectionHealthEvent


class ConnectionHealthEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConnectionHealthEvent
        fields = ["id", "checked_at", "environment", "database", "status", "latency_ms", "error_code", "message"]
        read_only_fields = fields
