from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations: webhooks and email services"

    def ready(self) -> None:
        from integrations import checks, receivers  # noqa: F401 (checks register themselves)
        from leads import signals as lead_signals
        from wizard.signals import quiz_completed

        uid = "integrations."
        lead_signals.lead_confirmed.connect(receivers.on_lead_confirmed, dispatch_uid=uid + "1")
        lead_signals.lead_updated.connect(receivers.on_lead_updated, dispatch_uid=uid + "2")
        lead_signals.lead_unsubscribed.connect(
            receivers.on_lead_unsubscribed, dispatch_uid=uid + "3"
        )
        lead_signals.leads_erased.connect(receivers.on_leads_erased, dispatch_uid=uid + "4")
        quiz_completed.connect(receivers.on_quiz_completed, dispatch_uid=uid + "5")
