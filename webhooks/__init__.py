"""Webhooks: endpoints that users register (`/api/v1/webhook-endpoints/`), the events the write services announce
(core.events) turned into signed deliveries (Standard Webhooks), sent by background workers with retries, SSRF
checks and the disabling of endpoints that only fail. Wellness is never sent."""
