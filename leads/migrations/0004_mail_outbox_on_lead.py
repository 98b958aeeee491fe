"""The mail outbox on the lead: which mail is owed, its attempts, lease and state.

Existing leads carry over: a mail marked for retry (mail_pending) is owed again; so is a
mail asked for in the last 7 days (a confirmation link's lifetime) that was never recorded
as sent, which is how a mail whose worker died mid-send was left; a lead mailed before is
"sent". Older unsent requests stay "none" rather than surprise someone months later.
"""

from datetime import timedelta

from django.db import migrations, models
from django.db.models import F, Q
from django.utils import timezone

RECOVER_WITHIN = timedelta(days=7)


def carry_over_mail_state(apps, schema_editor):
    Lead = apps.get_model("leads", "Lead")
    now = timezone.now()
    Lead.objects.filter(last_emailed_at__isnull=False).update(mail_state="sent")
    never_sent = Q(last_emailed_at__isnull=True) | Q(last_emailed_at__lt=F("mail_requested_at"))
    owed = Q(mail_pending=True) | (never_sent & Q(mail_requested_at__gte=now - RECOVER_WITHIN))
    for status, kind in [("pending", "confirmation"), ("confirmed", "materials")]:
        Lead.objects.filter(owed, status=status).update(
            mail_state="owed", mail_kind=kind, mail_attempts=0, mail_due_at=now
        )


class Migration(migrations.Migration):

    dependencies = [
        ('leads', '0003_marketing_group'),
        ('wizard', '0002_seed_default_questionnaire'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='lead',
            name='leads_lead_mail_pending_idx',
        ),
        migrations.AddField(
            model_name='lead',
            name='mail_attempts',
            field=models.PositiveSmallIntegerField(db_default=0, default=0, editable=False, verbose_name='send attempts'),
        ),
        migrations.AddField(
            model_name='lead',
            name='mail_claim',
            field=models.UUIDField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='lead',
            name='mail_due_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='next attempt at'),
        ),
        migrations.AddField(
            model_name='lead',
            name='mail_kind',
            field=models.CharField(blank=True, db_default='', editable=False, max_length=20, verbose_name='which mail'),
        ),
        migrations.AddField(
            model_name='lead',
            name='mail_state',
            field=models.CharField(choices=[('none', 'No mail owed'), ('owed', 'Waiting to be sent'), ('sending', 'Being sent'), ('sent', 'Sent'), ('failed', 'Failed')], db_default='none', default='none', help_text='Failed: every retry failed; the admin action sends it again.', max_length=8, verbose_name='mail'),
        ),
        migrations.RunPython(carry_over_mail_state, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(condition=models.Q(('mail_state__in', ['owed', 'sending'])), fields=['mail_due_at'], name='leads_lead_mail_due_idx'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(condition=models.Q(('mail_state', 'failed')), fields=['mail_state'], name='leads_lead_mail_failed_idx'),
        ),
        migrations.RemoveField(
            model_name='lead',
            name='mail_pending',
        ),
    ]
