from django.contrib.auth import views as auth_views
from django.urls import include, path

from cuakhau import views
from web import views as web_views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", web_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("", include("web.urls")),
]
