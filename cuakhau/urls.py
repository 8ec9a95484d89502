from django.contrib import admin
from django.urls import include, path

from cuakhau.api import api
from web.views import set_language

urlpatterns = [
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    # Before Django's own: the chosen language is also kept in the signed-in user's profile.
    path("i18n/setlang/", set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("board/", include("queueing.urls")),
    path("simulator/", include("simulator.urls")),
    path("", include("cuakhau.web_urls")),
]
