"""Blank the referrers that are pages of this site (issue 13).

Such a referrer is no traffic source, and its URL may hold a link token or an attempt id
(the nav's quiz link on an unsubscribe page sent that page's URL). attempt_start and the
sign-up form no longer store them; this removes those already stored. The test for "our
site" is the one clean_referrer uses today, copied so that the migration keeps working
when that code changes.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import migrations


def is_own_site(url: str) -> bool:
    try:
        host = (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return False
    own = [urlsplit(settings.SITE_URL).hostname or "", *settings.ALLOWED_HOSTS]
    return any(
        host == name.lower() or (name.startswith(".") and host.endswith(name.lower()))
        for name in own
        if name and name != "*"
    )


def forget_own_site_referrers(apps, schema_editor):
    for model in (apps.get_model("wizard", "Attempt"), apps.get_model("leads", "Lead")):
        own = [
            pk
            for pk, referrer in model.objects.exclude(referrer="")
            .values_list("pk", "referrer")
            .iterator(chunk_size=2000)
            if is_own_site(referrer)
        ]
        for start in range(0, len(own), 1000):
            model.objects.filter(pk__in=own[start : start + 1000]).update(referrer="")


class Migration(migrations.Migration):
    dependencies = [
        ("wizard", "0002_seed_default_questionnaire"),
        ("leads", "0003_marketing_group"),
    ]

    operations = [
        migrations.RunPython(forget_own_site_referrers, migrations.RunPython.noop, elidable=True),
    ]
