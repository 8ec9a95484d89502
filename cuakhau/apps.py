from django.apps import AppConfig


class CuakhauConfig(AppConfig):
    name = "cuakhau"
    verbose_name = "Cửa khẩu số"

    def ready(self) -> None:
        from cuakhau import i18n

        i18n.ensure_compiled_messages()
