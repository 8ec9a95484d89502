from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class QueueingConfig(AppConfig):
    name = "queueing"
    verbose_name = _("Arrival slots and queues")

    def ready(self) -> None:
        from gates.models import Lane, WorkingHours
        from queueing.capacity import reference_changed
        from queueing.models import GateQueuePolicy, PerishableHeading

        for model in (Lane, WorkingHours, GateQueuePolicy, PerishableHeading):
            post_save.connect(reference_changed, sender=model, dispatch_uid=f"queueing-ref-save-{model.__name__}")
            post_delete.connect(reference_changed, sender=model, dispatch_uid=f"queueing-ref-del-{model.__name__}")
