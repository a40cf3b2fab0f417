from core.routing import api_path

from . import views

urlpatterns = [
    api_path("athletes/<uuid:pk>/calendar-feed/", views.CalendarFeedView.as_view(), name="athlete-calendar-feed"),
    api_path(
        "athletes/<uuid:pk>/calendar-feed/revoke/",
        views.CalendarFeedRevokeView.as_view(),
        name="athlete-calendar-feed-revoke",
    ),
]
