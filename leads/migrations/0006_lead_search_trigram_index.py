"""A trigram index for the leads list's search (PostgreSQL only; SQLite skips it).

The admin searches email and first name with `icontains`, which Django writes as
`UPPER(col::text) LIKE UPPER('%…%')`: without this index PostgreSQL reads every lead for
the count, the date range and the page (1.26 s at a million leads). The index is on
exactly that expression so the planner can use it. pg_trgm is a trusted extension (PostgreSQL
13+): the database owner may create it.
"""

from django.db import migrations

INDEXES = {
    "leads_lead_email_trgm": "email",
    "leads_lead_first_name_trgm": "first_name",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON leads_lead "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("leads", "0005_lead_public_id_signup_rounds")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
