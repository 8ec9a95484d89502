from django.urls import path

from web import booking, capacity, views

app_name = "web"

urlpatterns = [
    path("favicon.ico", views.favicon, name="favicon"),
    path("trips/", views.trips, name="trips"),
    path("trips/export/", views.trips_export, name="trips_export"),
    path("trips/<int:trip_id>/cancel/", views.trip_cancel, name="trip_cancel"),
    path("trips/<int:trip_id>/audit/", views.trip_audit, name="trip_audit"),
    path("trips/<int:trip_id>/booking/", booking.book, name="booking"),
    path("trips/<int:trip_id>/booking/move/", booking.move, name="booking_move"),
    path("trips/<int:trip_id>/booking/cancel/", booking.cancel, name="booking_cancel"),
    path("trips/<int:trip_id>/swap/", booking.swap, name="booking_swap"),
    path("registrations/new/", views.registration_new, name="registration_new"),
    path("registrations/new/<str:kind>/", views.form_row, name="form_row"),
    path("registrations/check/", views.registration_check, name="registration_check"),
    path("registrations/<int:registration_id>/", views.registration_detail, name="registration"),
    path("registrations/<int:registration_id>/edit/", views.registration_edit, name="registration_edit"),
    path("registrations/<int:registration_id>/cancel/", views.registration_cancel, name="registration_cancel"),
    path("registrations/<int:registration_id>/<str:decision>/", views.registration_decide,
         name="registration_decide"),
    path("t/<str:token>/", views.ticket, name="ticket"),
    path("t/<str:token>/qr.svg", views.ticket_qr, name="ticket_qr"),
    path("console/", views.console, name="console"),
    path("console/waiting/", views.console_waiting, name="console_waiting"),
    path("console/trips/<int:trip_id>/", views.console_truck, name="console_truck"),
    path("console/trips/<int:trip_id>/confirm/<str:step>/", views.console_confirm, name="console_confirm"),
    path("console/trips/<int:trip_id>/receiving/", views.console_receiving, name="console_receiving_add"),
    path("console/trips/<int:trip_id>/receiving/<int:vehicle_id>/<str:event>/", views.console_receiving,
         name="console_receiving_mark"),
    path("province/", views.board, name="board"),
    path("province/gates/<slug:code>/", views.board_gate, name="board_gate"),
    path("province/gates/<slug:code>/settings/", views.board_gate_settings, name="board_gate_settings"),
    path("province/gates/<slug:code>/capacity/", capacity.override, name="board_gate_capacity"),
]
