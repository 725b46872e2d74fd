from django.apps import AppConfig


class TelephonyConfig(AppConfig):
    name = "telephony"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the tasks that the domain queues by name (autoattendant.services.jobs) in every process.
        from telephony import tasks  # noqa: F401
