from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GatesConfig(AppConfig):
    name = "gates"
    verbose_name = _("Gates")

    def ready(self) -> None:
        from gates import rules  # noqa: F401 - connects the signals that mark reference data as changed
