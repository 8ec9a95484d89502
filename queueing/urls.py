from django.urls import path

from queueing import views

urlpatterns = [
    path("", views.board_page, name="queue_board"),
]
