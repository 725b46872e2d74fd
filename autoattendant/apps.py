from django.apps import AppConfig


class AutoAttendantConfig(AppConfig):
    name = "autoattendant"
    verbose_name = "Auto Attendant"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the tasks that services queue by name (autoattendant.services.jobs) in every process.
        from autoattendant import tasks  # noqa: F401
