"""The registration form: nested inputs named by dotted paths, validated by the API's own schema.

The browser posts names such as ``vehicles.0.plate`` or ``consignments.1.items.0.hs_code``;
`helpers.nest` turns them into the shape of `RegistrationIn`, so the web form and the REST API
share one validation, and each error's dotted path is the name of the input it belongs to.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pydantic
from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from crossings.models import Journey
from cuakhau.api import pydantic_errors
from cuakhau.errors import ValidationFailed
from cuakhau.lib.codes import normalize_hs_code
from cuakhau.lib.errors import InvalidValue
from declarations.schemas import RegistrationIn, RegistrationPatch
from enterprises.models import LoadClass
from gates import rules
from gates.models import Direction, Gate, Lane, WorkingHours, Yard
from gates.services import gate_is_open, goods_not_permitted, opening_hours_text


def blank_item() -> dict[str, Any]:
    return {"currency": "USD"}


def blank_consignment() -> dict[str, Any]:
    return {"items": [blank_item()]}


def blank_vehicle() -> dict[str, Any]:
    return {"load_class": LoadClass.OVER_18T, "journey": Journey.STANDARD, "driver": {}}


def blank_registration() -> dict[str, Any]:
    return {"direction": Direction.IMPORT, "consignments": [blank_consignment()], "vehicles": [blank_vehicle()]}


def local_input_value(moment: dt.datetime) -> str:
    """A datetime-local input's value, in Vietnam's time."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def registration_values(data: RegistrationIn) -> dict[str, Any]:
    """A stored registration as form values (for the correction form)."""
    values = data.model_dump(mode="json")
    values["planned_arrival"] = local_input_value(data.planned_arrival)
    return values


def to_input(values: dict[str, Any]) -> RegistrationIn:
    try:
        return RegistrationIn.model_validate(values)
    except pydantic.ValidationError as error:
        raise ValidationFailed(pydantic_errors(list(error.errors()))) from error  # type: ignore[arg-type]


def to_patch(values: dict[str, Any], version: str) -> RegistrationPatch:
    try:
        return RegistrationPatch.model_validate({**values, "version": version})
    except pydantic.ValidationError as error:
        raise ValidationFailed(pydantic_errors(list(error.errors()))) from error  # type: ignore[arg-type]


def _rows(values: Any) -> list[dict[str, Any]]:
    return [row for row in values if isinstance(row, dict)] if isinstance(values, list) else []


def form_context(values: dict[str, Any], errors: dict[str, list[Any]] | None = None) -> dict[str, Any]:
    """What the form template needs: each row with its dotted prefix, the choices, the errors."""
    consignments: list[dict[str, Any]] = []
    for c_index, consignment in enumerate(_rows(values.get("consignments"))):
        prefix = f"consignments.{c_index}"
        items = [{"prefix": f"{prefix}.items.{i_index}", "v": item}
                 for i_index, item in enumerate(_rows(consignment.get("items")))]
        consignments.append({"prefix": prefix, "v": consignment, "items": items})
    vehicles = []
    for v_index, vehicle in enumerate(_rows(values.get("vehicles"))):
        vehicle.setdefault("driver", {})
        vehicles.append({"prefix": f"vehicles.{v_index}", "v": vehicle})
    errors = errors or {}
    shown = {"gate", "direction", "planned_arrival", "yard", "fee_payer_tax_code", "consignments", "vehicles"}
    for c in consignments:
        shown |= {f"{c['prefix']}.{name}" for name in CONSIGNMENT_FIELDS}
        shown |= {f"{i['prefix']}.{name}" for i in c["items"] for name in ITEM_FIELDS}
    shown |= {f"{v['prefix']}.{name}" for v in vehicles for name in VEHICLE_FIELDS}
    # Anything not next to an input (e.g. a stale version) is listed at the top of the form.
    other_errors = [message for field, messages in errors.items() if field not in shown for message in messages]
    return {"values": values, "consignments": consignments, "vehicles": vehicles, "errors": errors,
            "other_errors": other_errors, **choices()}


CONSIGNMENT_FIELDS = ("declaration_number", "declaration_type", "description", "items")
ITEM_FIELDS = ("hs_code", "description", "quantity", "unit", "gross_weight_kg", "value", "currency")
VEHICLE_FIELDS = ("plate", "load_class", "journey", "trailer_plate", "container_number", "seal_number",
                  "permit_number", "driver", "driver.name", "driver.identity_document", "driver.phone")


def choices() -> dict[str, Any]:
    gates = list(Gate.objects.filter(handles_goods=True).select_related("province").order_by("province__code", "pk"))
    yards = list(Yard.objects.select_related("gate").order_by("gate_id", "code"))
    return {"gates": gates, "yards": yards, "directions": Direction.choices, "load_classes": LoadClass.choices,
            "journeys": Journey.choices}


# --- the live check ---------------------------------------------------------------------------

def live_warnings(values: dict[str, Any]) -> list[Any]:
    """Warnings before submitting: the gate closed at that time, goods not permitted, wrong yard."""
    warnings: list[Any] = []
    reference = rules.current()  # the gates' rules, read once for the whole check
    gate = reference.gate(values.get("gate") or "")
    if gate is None:
        return warnings
    if not gate.handles_goods:
        warnings.append(_("%(gate)s does not handle goods.") % {"gate": gate.name})
    try:
        arrival = parse_datetime(values.get("planned_arrival") or "")
    except ValueError:  # well-formed but impossible, e.g. month 13: the submit reports it
        arrival = None
    if arrival is not None:
        if timezone.is_naive(arrival):
            arrival = timezone.make_aware(arrival, timezone.get_default_timezone())
        if not gate_is_open(gate, arrival, reference):
            warnings.append(_("%(gate)s is closed at that time (open %(hours)s that day).")
                            % {"gate": gate.name, "hours": opening_hours_text(gate, arrival, reference)})
    yard = reference.yard(values.get("yard") or "")
    if yard is not None and yard.gate_id != gate.pk:
        warnings.append(_("The yard %(yard)s is not at %(gate)s.") % {"yard": yard.name, "gate": gate.name})
    hs_codes = []
    for consignment in _rows(values.get("consignments")):
        for item in _rows(consignment.get("items")):
            try:
                hs_codes.append(normalize_hs_code(item.get("hs_code") or ""))
            except InvalidValue:
                continue
    direction = values.get("direction") or ""
    seen = set()
    for violation in goods_not_permitted(gate, direction, hs_codes, reference):
        if violation.protocol.pk in seen:
            continue
        seen.add(violation.protocol.pk)
        warnings.append(_("%(goods)s (HS %(hs)s) may not pass through %(gate)s in this direction.")
                        % {"goods": violation.protocol.name, "hs": violation.hs_code, "gate": gate.name})
    return warnings


# --- working hours and yard capacity ----------------------------------------------------------

class WorkingHoursForm(forms.ModelForm):
    class Meta:
        model = WorkingHours
        fields = ["weekday", "opens", "closes"]
        widgets = {"opens": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "closes": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens, closes = data.get("opens"), data.get("closes")
        if opens and closes and closes != dt.time(0, 0) and closes <= opens:
            self.add_error("closes", _("Closing time must be after opening time (00:00 means midnight)."))
        return data


class YardPlacesForm(forms.ModelForm):
    class Meta:
        model = Yard
        fields = ["places"]


class LaneRateForm(forms.ModelForm):
    class Meta:
        model = Lane
        fields = ["trucks_per_hour"]


HoursFormSet = forms.modelformset_factory(WorkingHours, form=WorkingHoursForm, extra=1, can_delete=True)
YardFormSet = forms.modelformset_factory(Yard, form=YardPlacesForm, extra=0)
LaneFormSet = forms.modelformset_factory(Lane, form=LaneRateForm, extra=0)
