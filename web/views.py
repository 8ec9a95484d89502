"""Pages for each role. Thin: parse the request, call a service, render; rules live in the services."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import check_for_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from accounts.models import Profile
from accounts.services import Actor, is_board
from crossings import audit, exports
from crossings.models import Outcome, Stage, Trip
from crossings.services import (
    STEP_LABELS,
    TRIP_STATUSES,
    do_add_receiving_vehicle,
    do_cancel_trip,
    do_confirm_checkpoint,
    do_mark_receiving_vehicle,
    get_trip,
    states_of,
    trips_for,
    with_status,
)
from cuakhau.errors import Conflict, Forbidden, NotFound, ServiceError, ValidationFailed
from declarations.models import Registration, RegistrationStatus
from declarations.services import (
    do_amend_registration,
    do_cancel_registration,
    do_confirm_registration,
    do_reject_registration,
    do_return_registration,
    do_submit_registration,
    get_registration,
    registration_as_input,
    registrations_for,
)
from gates.models import Direction, Gate
from web import forms as web_forms
from web import queries
from web.helpers import (
    bounded_count,
    enterprise_only,
    error_response,
    in_languages,
    is_htmx,
    nest,
    officer_only,
    qr_svg,
    with_actor,
)

# --- home, sign-in and language ---------------------------------------------------------------


def home_for(actor: Actor | None) -> str | None:
    """Where each role starts: firms on their trips, officers at the console, the province on the board."""
    if actor is None:
        return None
    if actor.enterprise is not None:
        return reverse("web:trips")
    if actor.is_supervisor:
        return reverse("web:board")
    if actor.agency is not None:
        return reverse("web:console")
    return reverse("admin:index")


# A language picked on the sign-in page, before anyone is signed in: it becomes the user's own at sign-in.
CHOSEN_BEFORE_SIGN_IN = "language_chosen_before_sign_in"


class LoginView(auth_views.LoginView):
    """Django's sign-in, then the user's language for the pages that follow: the one just picked on the
    sign-in page (kept in the profile), else the one saved in the profile. A language left in the cookie
    by someone who used the browser before does not count: signing out clears the session."""

    def form_valid(self, form: Any) -> HttpResponse:
        chosen = self.request.session.pop(CHOSEN_BEFORE_SIGN_IN, "")
        response = super().form_valid(form)
        user = form.get_user()
        if chosen in dict(settings.LANGUAGES) and check_for_language(chosen):
            Profile.objects.filter(user=user).update(language=chosen)
        language = Profile.objects.filter(user=user).values_list("language", flat=True).first()
        if language and check_for_language(language):
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
                                path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
                                secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                                samesite=settings.LANGUAGE_COOKIE_SAMESITE)
        return response


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language, and for a signed-in user the choice is kept in the profile."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if language in dict(settings.LANGUAGES) and check_for_language(language):
        if request.user.is_authenticated:
            Profile.objects.filter(user=request.user).update(language=language)
        else:
            request.session[CHOSEN_BEFORE_SIGN_IN] = language
    return response


# --- enterprise: trips and registrations ------------------------------------------------------

STATUS_FILTERS = [(stage.value, stage.label) for stage in Stage] + [
    (outcome.value, outcome.label) for outcome in Outcome if outcome != Outcome.ACTIVE]


@require_GET
@with_actor
def trips(request: HttpRequest, actor: Actor) -> HttpResponse:
    status = request.GET.get("status", "")
    # Only what the list shows (trips_for also joins the declarant and the driver, for the truck pages).
    query = (_trips_with_status(actor, status).select_related(None).select_related("registration__gate", "vehicle")
             .order_by("-created_at", "position"))
    page = Paginator(query, 50).get_page(request.GET.get("page"))
    return render(request, "web/enterprise/trips.html", {
        "page": page, "status": status, "status_filters": STATUS_FILTERS, "actor": actor})


@require_GET
@with_actor
def trips_export(request: HttpRequest, actor: Actor) -> HttpResponseBase:
    """The list's trucks (same status filter) as a CSV or Excel file; driver ID and phone masked."""
    file_format = exports.check_format(request.GET.get("format", "csv"))
    return exports.download(_trips_with_status(actor, request.GET.get("status", "")), file_format)


def _trips_with_status(actor: Actor, status: str) -> QuerySet[Trip]:
    """The trucks the actor may see, with the list's status (anything else: all of them)."""
    query = trips_for(actor)
    return with_status(query, status) if status in TRIP_STATUSES else query


@require_http_methods(["GET", "POST"])
@with_actor
def registration_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    enterprise_only(actor)
    if request.method == "GET":
        return render(request, "web/enterprise/form.html", web_forms.form_context(web_forms.blank_registration()))
    values = nest(request.POST)
    try:
        registration = do_submit_registration(actor, web_forms.to_input(values))
    except ValidationFailed as error:
        return _form_with_errors(request, values, error)
    messages.success(request, _("Registration %(number)s submitted.") % {"number": registration.number})
    return redirect("web:registration", registration.pk)


@require_http_methods(["GET", "POST"])
@with_actor
def registration_edit(request: HttpRequest, actor: Actor, registration_id: int) -> HttpResponse:
    enterprise_only(actor)
    registration = get_registration(actor, registration_id)
    if not registration.is_open_for_amendment:
        raise Conflict(_("This registration can no longer be amended."), "not_amendable")
    if request.method == "GET":
        values = web_forms.registration_values(registration_as_input(registration))
        context = web_forms.form_context(values)
        return render(request, "web/enterprise/form.html", {**context, "registration": registration,
                                                            "version": registration.version})
    values = nest(request.POST, skip=("csrfmiddlewaretoken", "version"))
    try:
        registration = do_amend_registration(actor, registration.pk,
                                             web_forms.to_patch(values, request.POST.get("version", "")))
    except ValidationFailed as error:
        return _form_with_errors(request, values, error, registration)
    messages.success(request, _("Registration %(number)s corrected and resubmitted.") % {"number": registration.number})
    return redirect("web:registration", registration.pk)


def _form_with_errors(request: HttpRequest, values: dict[str, Any], error: ValidationFailed,
                      registration: Registration | None = None) -> HttpResponse:
    context = web_forms.form_context(values, error.errors)
    context.update(registration=registration, version=request.POST.get("version", ""), form_error=error.message)
    return render(request, "web/enterprise/form.html", context, status=422)


@require_GET
@with_actor
def form_row(request: HttpRequest, actor: Actor, kind: str) -> HttpResponse:
    """A new empty vehicle, consignment or item, added in place by HTMX."""
    enterprise_only(actor)
    number = request.GET.get("n", "")
    if not number.isdigit():
        number = str(int(timezone.now().timestamp() * 1000))
    context = {**web_forms.choices(), "errors": {}}
    row: dict[str, Any]
    if kind == "vehicle":
        row = {"prefix": f"vehicles.{number}", "v": web_forms.blank_vehicle()}
        return render(request, "web/partials/vehicle.html", {**context, "row": row})
    if kind == "consignment":
        prefix = f"consignments.{number}"
        row = {"prefix": prefix, "v": {}, "items": [{"prefix": f"{prefix}.items.0", "v": web_forms.blank_item()}]}
        return render(request, "web/partials/consignment.html", {**context, "c": row})
    if kind == "item":
        parent = request.GET.get("parent", "")
        parts = parent.split(".")
        if len(parts) != 2 or parts[0] != "consignments" or not parts[1].isdigit():
            raise Http404
        row = {"prefix": f"{parent}.items.{number}", "v": web_forms.blank_item()}
        return render(request, "web/partials/item.html", {**context, "item": row})
    raise Http404


@require_POST
@with_actor
def registration_check(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The live check under the form: gate hours and goods protocols, before submitting."""
    from web.booking import arrival_check

    values = nest(request.POST)
    warnings = web_forms.live_warnings(values)
    return render(request, "web/partials/live_check.html", {"warnings": warnings,
                                                             "arrival": arrival_check(values)})


TRUCKS_PAGE = 10  # trucks shown at first on a registration page


@require_GET
@with_actor
def registration_detail(request: HttpRequest, actor: Actor, registration_id: int) -> HttpResponse:
    registration = get_registration(actor, registration_id)
    # Up to 100 trucks per registration, each with its timeline and QR code: the first ten, then more
    # on request (?trucks=20…), so a large registration opens as fast as a small one.
    truck_count = len(registration.trips.all())  # prefetched by get_registration
    shown = bounded_count(request.GET.get("trucks"), TRUCKS_PAGE, max(truck_count, TRUCKS_PAGE))
    trucks = []
    for trip in queries.with_timelines(Trip.objects.filter(registration=registration)
                                       .select_related("vehicle", "driver", "fee").order_by("position")[:shown]):
        trip.registration = registration
        view = queries.truck_view(actor, trip)
        # The QR code is an image fetched when the clerk opens the ticket, not drawn here: drawing ten
        # codes cost ≈ 60 ms on the first visit, more than the rest of the page.
        ticket_url = request.build_absolute_uri(reverse("web:ticket", args=[trip.ticket_token]))
        trucks.append({"view": view, "ticket_url": ticket_url,
                       "qr_url": reverse("web:ticket_qr", args=[trip.ticket_token])})
    owner = actor.enterprise is not None and actor.enterprise.pk == registration.declarant_id
    board = is_board(actor) and actor.acts_at_gate(registration.gate_id, registration.gate.province_id)
    return render(request, "web/enterprise/registration.html", {
        "registration": registration, "trucks": trucks, "owner": owner, "board": board,
        "truck_count": truck_count, "more_trucks": truck_count > shown, "next_trucks": shown + TRUCKS_PAGE,
        "amendable": owner and registration.is_open_for_amendment,
        "cancellable": owner and registration.status in (RegistrationStatus.SUBMITTED, RegistrationStatus.RETURNED,
                                                         RegistrationStatus.CONFIRMED),
        "consignments": registration.consignments.all()})


@require_POST
@with_actor
def registration_cancel(request: HttpRequest, actor: Actor, registration_id: int) -> HttpResponse:
    registration = do_cancel_registration(actor, registration_id, _version(request))
    messages.success(request, _("Registration %(number)s cancelled.") % {"number": registration.number})
    return redirect("web:registration", registration.pk)


@require_POST
@with_actor
def trip_cancel(request: HttpRequest, actor: Actor, trip_id: int) -> HttpResponse:
    trip = do_cancel_trip(actor, trip_id)
    messages.success(request, _("Truck %(plate)s cancelled.") % {"plate": trip.vehicle})
    return redirect("web:registration", trip.registration_id)


def _version(request: HttpRequest) -> int | None:
    version = request.POST.get("version", "")
    return int(version) if version.isdigit() else None


DECISIONS = {"confirm", "return", "reject"}


@require_POST
@with_actor
def registration_decide(request: HttpRequest, actor: Actor, registration_id: int, decision: str) -> HttpResponse:
    """The management board confirms, returns for correction (with a reason) or rejects."""
    if decision not in DECISIONS:
        raise NotFound(_("Unknown decision."))
    reason = request.POST.get("reason", "").strip()
    version = _version(request)
    try:
        if decision == "confirm":
            registration = do_confirm_registration(actor, registration_id, version, note=reason)
            done = _("Registration %(number)s confirmed.")
        elif decision == "return":
            registration = do_return_registration(actor, registration_id, reason, version)
            done = _("Registration %(number)s returned for correction.")
        else:
            registration = do_reject_registration(actor, registration_id, reason, version)
            done = _("Registration %(number)s rejected.")
    except ServiceError as error:
        if not is_htmx(request) or isinstance(error, NotFound):
            raise
        registration = get_registration(actor, registration_id)
        return render(request, "web/partials/registration_decision.html",
                      {"registration": registration, "error": error}, status=error.status)
    message = done % {"number": registration.number}
    if is_htmx(request):
        return render(request, "web/partials/registration_decision.html",
                      {"registration": registration, "message": message})
    messages.success(request, message)
    return redirect("web:registration", registration.pk)


FAVICON = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" '
           b'fill="#0b4f6c"/><path d="M6 24V12l10-6 10 6v12h-6v-7h-8v7z" fill="#fff"/></svg>')


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on every site; answering avoids a 404 in their console."""
    response = HttpResponse(FAVICON, content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response


# --- driver ticket (public, by unguessable token) ---------------------------------------------

@require_GET
def ticket(request: HttpRequest, token: str) -> HttpResponse:
    trip = (Trip.objects.select_related("registration__gate", "registration__yard", "vehicle",
                                        "call_forward__yard", "call_forward__waiting_area")
            .filter(ticket_token=token).first())
    if trip is None:
        raise Http404
    registration = trip.registration
    url = request.build_absolute_uri(reverse("web:ticket", args=[token]))
    next_step = queries.next_step(trip, states_of(trip.pk))
    window = queries.booked_window(trip)
    rows = [
        (in_languages(gettext_lazy("Registration")), registration.number),
        (in_languages(gettext_lazy("Gate")), f"{registration.gate.name_vi} · {registration.gate.name_zh}"),
        (in_languages(gettext_lazy("Yard")), " · ".join(dict.fromkeys(  # one name when it has no translation
            name for name in (registration.yard.name_vi, registration.yard.name_zh) if name))),
        (in_languages(gettext_lazy("Direction")), " · ".join(in_languages(Direction(registration.direction).label))),
        (in_languages(gettext_lazy("Planned arrival")),
         timezone.localtime(registration.planned_arrival).strftime("%d/%m/%Y %H:%M")),
    ]
    if window:
        start, end = (timezone.localtime(moment) for moment in window)
        rows.append((in_languages(gettext_lazy("Booked arrival hour")), f"{start:%d/%m %H:%M}–{end:%H:%M}"))
    return render(request, "web/ticket.html", {
        "trip": trip, "registration": registration, "rows": rows, "url": url,
        "next_step": [", ".join(texts) for texts in zip(*(in_languages(s) for s in next_step), strict=True)],
        "heading": in_languages(gettext_lazy("Driver ticket")),
        "next_label": in_languages(gettext_lazy("Next step")), "stage": in_languages(Stage(trip.stage).label),
        "stage_label": in_languages(gettext_lazy("Status")), "qr": mark_safe(qr_svg(url, 5))})  # noqa: S308


@require_GET
def ticket_qr(request: HttpRequest, token: str) -> HttpResponse:
    """The QR code of a driver ticket's address, as an SVG image (only for a ticket that exists: not a
    QR service for any text)."""
    if not Trip.objects.filter(ticket_token=token).exists():
        raise Http404
    url = request.build_absolute_uri(reverse("web:ticket", args=[token]))
    response = HttpResponse(qr_svg(url, 3, document=True), content_type="image/svg+xml")
    # The address, hence the code, never changes; private: the token is the ticket's only key.
    response["Cache-Control"] = "private, max-age=86400"
    return response

# --- officer gate console ---------------------------------------------------------------------

@require_GET
@with_actor
def console(request: HttpRequest, actor: Actor) -> HttpResponse:
    officer_only(actor)
    query = request.GET.get("q", "")
    search = queries.search_trips(actor, query)
    context = {"actor": actor, "search": search, "trucks": [queries.truck_view(actor, t) for t in search.trips]}
    if is_htmx(request):
        return render(request, "web/partials/console_results.html", context)
    # With a truck asked for, the page answers with that truck first and fetches the waiting list (thousands
    # of open trucks to sort at a busy gate) in a second request as soon as it is shown.
    waiting = None if search.query else queries.waiting_for(actor, queries.waiting_limit(request.GET.get("shown")))
    context.update(waiting=waiting, board=is_board(actor) and not actor.is_supervisor,
                   agency=actor.agency, submitted=_submitted(actor))
    return render(request, "web/console.html", context)


def _submitted(actor: Actor) -> list[Registration]:
    if not is_board(actor) or actor.is_supervisor:
        return []
    return list(registrations_for(actor).filter(status=RegistrationStatus.SUBMITTED).order_by("created_at")[:30])


@require_GET
@with_actor
def console_waiting(request: HttpRequest, actor: Actor) -> HttpResponse:
    officer_only(actor)
    waiting = queries.waiting_for(actor, queries.waiting_limit(request.GET.get("shown")))
    return render(request, "web/partials/console_waiting.html", {"waiting": waiting})


@require_GET
@with_actor
def console_truck(request: HttpRequest, actor: Actor, trip_id: int) -> HttpResponse:
    officer_only(actor)
    trip = _console_trip(actor, trip_id)
    return render(request, "web/partials/console_truck.html", {"t": queries.truck_view(actor, trip)})


def _console_trip(actor: Actor, trip_id: int) -> Trip:
    trip = queries.console_trips(actor).filter(pk=trip_id).first()
    if trip is None:
        raise NotFound(_("Trip not found."))
    return trip


@require_POST
@with_actor
def console_confirm(request: HttpRequest, actor: Actor, trip_id: int, step: str) -> HttpResponse:
    """One click: confirm the step, answer with the truck's updated fragment (errors inline)."""
    officer_only(actor)
    context: dict[str, Any] = {}
    status = 200
    try:
        do_confirm_checkpoint(actor, trip_id, step, note=request.POST.get("note", ""),
                              receipt_number=request.POST.get("receipt_number", ""))
        context["message"] = _("%(step)s: confirmed.") % {"step": STEP_LABELS.get(step, step)}
    except NotFound:
        raise
    except ServiceError as error:
        context["error"] = error
        status = error.status
    response = _console_truck_answer(request, actor, trip_id, context, status)
    if status == 200 and is_htmx(request):
        response["HX-Trigger"] = "truckConfirmed"  # the waiting list refreshes at once
    return response


@require_POST
@with_actor
def console_receiving(request: HttpRequest, actor: Actor, trip_id: int, vehicle_id: int | None = None,
                      event: str = "") -> HttpResponse:
    """Transshipment: the board adds a receiving Vietnamese truck, then records its entry and exit."""
    officer_only(actor)
    context: dict[str, Any] = {}
    status = 200
    try:
        if vehicle_id is None:
            vehicle = do_add_receiving_vehicle(
                actor, trip_id, plate=request.POST.get("plate", ""), driver_name=request.POST.get("driver_name", ""),
                driver_identity_document=request.POST.get("driver_identity_document", ""),
                driver_phone=request.POST.get("driver_phone", ""))
            context["message"] = _("Receiving truck %(plate)s added.") % {"plate": vehicle.plate}
        else:
            vehicle = do_mark_receiving_vehicle(actor, trip_id, vehicle_id, event)
            context["message"] = _("Receiving truck %(plate)s recorded.") % {"plate": vehicle.plate}
    except NotFound:
        raise
    except ServiceError as error:
        context["error"] = error
        status = error.status
    return _console_truck_answer(request, actor, trip_id, context, status)


# --- audit trail ------------------------------------------------------------------------------

@require_GET
@with_actor
def trip_audit(request: HttpRequest, actor: Actor, trip_id: int) -> HttpResponse:
    """Every recorded action on a trip: for the officers of its gate and the province supervisor."""
    trip = get_trip(actor, trip_id)
    if actor.agency is None:
        raise Forbidden(_("The audit trail is for officers of the gate."))
    return render(request, "web/board/audit.html", {"trip": trip, "events": queries.audit_trail(trip)})


# --- management board -------------------------------------------------------------------------

def _board_only(actor: Actor) -> None:
    if not is_board(actor):
        raise Forbidden(_("This page is for the border gate management board."))


@require_GET
@with_actor
def board(request: HttpRequest, actor: Actor) -> HttpResponse:
    _board_only(actor)
    rows = queries.province_overview(queries.gates_for_board(actor))
    template = "web/partials/board_rows.html" if is_htmx(request) else "web/board/overview.html"
    return render(request, template, {"rows": rows, "now": timezone.now(), "actor": actor})


def _board_gate(actor: Actor, code: str) -> Gate:
    _board_only(actor)
    gate = queries.covered_gate(actor, code)
    if gate is None:
        raise NotFound(_("Gate not found."))
    return gate


@require_GET
@with_actor
def board_gate(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """A gate's load, working hours and capacity. The supervisor edits hours, yards and lanes on the
    settings form (fetched on demand: its ~60 inputs cost more to render than the rest of the page)."""
    gate = _board_gate(actor, code)
    row = queries.province_overview([gate])[0]
    return render(request, "web/board/gate.html", {
        "gate": gate, "row": row, "editable": actor.is_supervisor,
        "lanes": gate.lanes.all(), "hours": gate.working_hours.all(),
        "closures": gate.closures.filter(ends_at__gte=timezone.now())})


@require_http_methods(["GET", "POST"])
@with_actor
def board_gate_settings(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """The supervisor's form for a gate's working hours, yard places and lane rates: in place on the gate
    page for HTMX, else a page of its own; saved, it leads back to the gate page."""
    gate = _board_gate(actor, code)
    if not actor.is_supervisor:
        raise Forbidden(_("Only the province supervisor can change working hours and capacity."))
    data = request.POST if request.method == "POST" else None
    hours = web_forms.HoursFormSet(data, queryset=gate.working_hours.all(), prefix="hours")
    yards = web_forms.YardFormSet(data, queryset=gate.yards.all(), prefix="yards")
    lanes = web_forms.LaneFormSet(data, queryset=gate.lanes.all(), prefix="lanes")
    status = 200
    if data is not None:
        if hours.is_valid() and yards.is_valid() and lanes.is_valid():
            save_gate_settings(actor, gate, hours, yards, lanes)
            messages.success(request, _("Working hours and capacity saved."))
            return redirect("web:board_gate", gate.code)
        status = 422
    template = "web/partials/gate_settings.html" if is_htmx(request) else "web/board/gate_settings.html"
    return render(request, template, {"gate": gate, "hours": hours, "yards": yards, "lanes": lanes}, status=status)


def save_gate_settings(actor: Actor, gate: Gate, hours: Any, yards: Any, lanes: Any) -> None:
    """Save the validated formsets and record the gate's new settings in the audit trail, in one transaction."""
    with transaction.atomic():
        for form in hours.forms:
            if form.has_changed() and not (form.cleaned_data.get("DELETE") and form.instance.pk is None):
                form.instance.gate = gate
        hours.save()
        yards.save()
        lanes.save()
        audit.record(actor, "gate.settings_changed", data={
            "gate": gate.code,
            "hours": [f"{h.weekday} {h.opens:%H:%M}-{h.closes:%H:%M}" for h in gate.working_hours.all()],
            "yards": {y.code: y.places for y in gate.yards.all()},
            "lanes": {lane.code: lane.trucks_per_hour for lane in gate.lanes.all()}})


def _console_truck_answer(request: HttpRequest, actor: Actor, trip_id: int, context: dict[str, Any],
                          status: int) -> HttpResponse:
    """After a console action: the truck's fragment for HTMX, else back to the console page."""
    trip = _console_trip(actor, trip_id)
    context["t"] = queries.truck_view(actor, trip)
    if not is_htmx(request):
        if "error" in context:
            return error_response(request, context["error"])
        messages.success(request, context["message"])
        return HttpResponseRedirect(f"{reverse('web:console')}?q={trip.vehicle.plate}")
    return render(request, "web/partials/console_truck.html", context, status=status)
