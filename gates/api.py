"""Public reference data: the gates and what they accept."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router

from accounts.schemas import ErrorOut
from cuakhau.errors import NotFound
from gates import rules
from gates.models import Gate, GoodsProtocol
from gates.schemas import GateDetailOut, GateOut
from gates.services import gate_is_open

router = Router(tags=["gates"])


def _gate_out(gate: Gate, reference: rules.Rules | None = None) -> dict:
    return {
        "code": gate.code, "name": gate.name, "name_vi": gate.name_vi, "name_zh": gate.name_zh,
        "counterpart_name_vi": gate.counterpart_name_vi, "counterpart_name_zh": gate.counterpart_name_zh,
        "kind": gate.kind, "kind_label": gate.get_kind_display(), "province": gate.province.code,
        "transport_mode": gate.transport_mode, "markers": gate.markers, "clearance_routes": gate.clearance_routes,
        "handles_goods": gate.handles_goods, "open_now": gate_is_open(gate, timezone.now(), reference),
    }


@router.get("/gates", auth=None, response={200: list[GateOut], 422: ErrorOut})
def list_gates(request: HttpRequest, province: str = ""):  # type: ignore[no-untyped-def]
    gates = Gate.objects.select_related("province")
    if province:
        gates = gates.filter(province__code=province)
    reference = rules.current()  # read once for every gate listed
    return [_gate_out(gate, reference) for gate in gates]


@router.get("/gates/{code}", auth=None, response={200: GateDetailOut, 404: ErrorOut, 422: ErrorOut})
def gate_detail(request: HttpRequest, code: str):  # type: ignore[no-untyped-def]
    gate = Gate.objects.select_related("province").filter(code=code).first()
    if gate is None:
        raise NotFound(_("Gate not found."))
    now = timezone.now()
    protocols = GoodsProtocol.objects.filter(permits__gate=gate)
    return {
        **_gate_out(gate),
        "lanes": list(gate.lanes.all()),
        "yards": list(gate.yards.all()),
        "working_hours": list(gate.working_hours.all()),
        "closures": list(gate.closures.filter(ends_at__gt=now)),
        "protocols": [{"hs_prefix": p.hs_prefix, "name": p.name, "directions": p.directions} for p in protocols],
    }
