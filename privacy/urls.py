from core.routing import api_path

from . import api

urlpatterns = [
    api_path("athletes/<uuid:pk>/export/", api.AthleteExportView.as_view(), name="athlete-export"),
    api_path("athletes/<uuid:pk>/erase/", api.AthleteEraseView.as_view(), name="athlete-erase"),
]
