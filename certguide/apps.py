from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _forget_everything_cached(**kwargs: object) -> None:
    # A data migration may have changed any copy or questionnaire.
    from certguide import generations

    for family in generations.Family:
        generations.bump(family)


class CertguideConfig(AppConfig):
    name = "certguide"
    verbose_name = "Site content"

    def ready(self) -> None:
        from certguide import generations
        from certguide.models import Certification, CertificationPoint, PageSection

        # A receiver rather than the admin's save_model: it also catches inline rows saved
        # by formsets, deletes from the changelist and edits from the shell.
        generations.bump_on_change(
            generations.Family.CONTENT, Certification, CertificationPoint, PageSection
        )
        # post_migrate is sent once per installed app; listening to ours bumps once.
        post_migrate.connect(
            _forget_everything_cached, sender=self, dispatch_uid="certguide-migrated"
        )
