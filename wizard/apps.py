from django.apps import AppConfig


class WizardConfig(AppConfig):
    name = "wizard"
    verbose_name = "Recommendation wizard"

    def ready(self) -> None:
        # Connects the receivers that drop cached questionnaires when one is edited.
        from wizard import questionnaires  # noqa: F401
