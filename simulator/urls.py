from django.urls import path

from . import views

app_name = "simulator"

urlpatterns = [
    path("", views.result_list, name="list"),
    path("<str:stem>/", views.result_detail, name="detail"),
]
