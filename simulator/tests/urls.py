"""The project's URLs, plus the simulator's under /simulator/ if the project does not mount them yet."""

from collections.abc import Sequence

from django.urls import URLPattern, URLResolver, include, path

from cuakhau.urls import urlpatterns as project


def _mounted(patterns: Sequence[URLPattern | URLResolver]) -> bool:
    for p in patterns:
        if isinstance(p, URLResolver) and (p.namespace == "simulator" or _mounted(p.url_patterns)):
            return True
    return False


urlpatterns = [p for p in project if isinstance(p, URLPattern | URLResolver)]
if not _mounted(urlpatterns):
    urlpatterns.append(path("simulator/", include("simulator.urls")))
