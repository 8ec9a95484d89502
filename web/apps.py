from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    """Server-rendered pages for every role: enterprise, driver ticket, gate console, management board."""

    name = "web"
    verbose_name = _("Web pages")
