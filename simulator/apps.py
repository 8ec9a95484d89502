from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SimulatorConfig(AppConfig):
    """The Django side of the capacity simulator: a command and two pages, no models."""

    name = "simulator"
    label = "simulator"
    verbose_name = _("Capacity simulator")
