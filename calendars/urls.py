from django.urls import path

from . import views

urlpatterns = [
    path("athletes/<uuid:pk>/calendar-feed/", views.CalendarFeedView.as_view(), name="athlete-calendar-feed"),
    path(
        "athletes/<uuid:pk>/calendar-feed/revoke/",
        views.CalendarFeedRevokeView.as_view(),
        name="athlete-calendar-feed-revoke",
    ),
]
