"""/health/*: probes for load balancers, Kubernetes and monitors."""

from django.urls import path

from . import views

app_name = "health"

urlpatterns = [
    path("live", views.live, name="live"),
    path("db", views.db, name="db"),
]
