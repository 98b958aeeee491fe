from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = "Leads and training materials"

    def ready(self) -> None:
        from leads import signals, tasks

        signals.mail_owed.connect(tasks.nudge_sender, dispatch_uid="leads.tasks.nudge_sender")
