"""Opaque link ids, one-round confirmation links, pending sign-up details and the
per-mailbox confirmation limit (issue 13).

Existing leads get a random public_id each: the column is added nullable, filled row by
row (a column default would give every row the same UUID), then made unique and required.
"""

import uuid

from django.db import migrations, models


def give_each_lead_a_public_id(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # One statement; a row-by-row UPDATE took a query per lead (a million at scale).
        schema_editor.execute(
            "UPDATE leads_lead SET public_id = gen_random_uuid() WHERE public_id IS NULL"
        )
        return
    Lead = apps.get_model("leads", "Lead")
    missing = Lead.objects.filter(public_id__isnull=True).values_list("pk", flat=True)
    for pk in missing.iterator():
        Lead.objects.filter(pk=pk).update(public_id=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0004_mail_outbox_on_lead"),
    ]

    operations = [
        migrations.CreateModel(
            name="RecipientMailCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("recipient", models.CharField(max_length=64, unique=True)),
                ("window_start", models.DateTimeField()),
                ("count", models.PositiveSmallIntegerField(default=0)),
            ],
        ),
        migrations.AddField(
            model_name="lead",
            name="pending_signup",
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
        migrations.AddField(
            model_name="lead",
            name="signup_round",
            field=models.PositiveIntegerField(default=1, editable=False),
        ),
        migrations.AddField(
            model_name="lead",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(
            give_each_lead_a_public_id, migrations.RunPython.noop, elidable=True
        ),
        migrations.AlterField(
            model_name="lead",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
