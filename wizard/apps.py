from django.apps import AppConfig


class WizardConfig(AppConfig):
    name = "wizard"
    verbose_name = "Recommendation wizard"

    def ready(self) -> None:
        from certguide import generations
        from wizard.models import Choice, Question, Questionnaire

        generations.bump_on_change(
            generations.Family.QUESTIONNAIRE, Questionnaire, Question, Choice
        )
