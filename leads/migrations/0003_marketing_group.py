"""The "Marketing" group: what marketers may do in the admin.

View leads and export them (the custom export_lead permission), but never delete them;
view wizard attempts; view, add and change the page copy, the questionnaire and the
training materials, and remove rows from their lists. Nothing on users or groups.

Permissions are normally created by post_migrate, after every migration has run; on a
fresh database they do not exist yet here, so they are created explicitly first.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Marketing"
EDITABLE = ("view", "add", "change")
# (app label, model name or "*" for every model of the app, actions)
# Rows inside a list (a responsibility, a question, an answer, a material) may be removed
# too: editing a list in the admin means taking items out of it. Leads, questionnaires
# (attempts point at them), certifications and page sections cannot be deleted.
REMOVABLE = (*EDITABLE, "delete")
GRANTS = [
    ("leads", "lead", ("view", "export")),
    ("leads", "trainingmaterial", REMOVABLE),
    ("wizard", "attempt", ("view",)),
    ("wizard", "questionnaire", EDITABLE),
    ("wizard", "question", REMOVABLE),
    ("wizard", "choice", REMOVABLE),
    ("certguide", "*", EDITABLE),
    ("certguide", "certificationpoint", REMOVABLE),
]


def create_marketing_group(apps, schema_editor):
    alias = schema_editor.connection.alias
    for label in ("leads", "wizard", "certguide"):
        create_permissions(global_apps.get_app_config(label), verbosity=0, using=alias, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    codenames = set()
    for label, model, actions in GRANTS:
        models = (
            [m._meta.model_name for m in apps.get_app_config(label).get_models()]
            if model == "*"
            else [model]
        )
        codenames |= {(label, f"{action}_{name}") for name in models for action in actions}
    permissions = [
        Permission.objects.using(alias).get(content_type__app_label=label, codename=codename)
        for label, codename in sorted(codenames)
    ]
    group, _ = Group.objects.using(alias).get_or_create(name=GROUP)
    group.permissions.add(*permissions)


def delete_marketing_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(
        name=GROUP
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("certguide", "0002_seed_content"),
        ("wizard", "0002_seed_default_questionnaire"),
        ("leads", "0002_seed_training_materials"),
    ]

    operations = [migrations.RunPython(create_marketing_group, delete_marketing_group)]
