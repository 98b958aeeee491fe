"""The upgrade to texts in two languages, on a database that already has English texts,
some of them rewritten by marketers."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("certguide", "0002_seed_content"),
    ("wizard", "0005_record_paths_and_branch_default_questionnaire"),
    ("leads", "0007_lead_language"),
]
TEXTS = {
    ("certguide", "Certification"): (
        "name",
        "role",
        "summary",
        "focus",
        "primary_role",
        "key_skills",
        "main_goal",
        "target_audience",
    ),
    ("certguide", "CertificationPoint"): ("title", "text"),
    ("certguide", "PageSection"): ("title", "body"),
    ("wizard", "Question"): ("text", "help_text"),
    ("wizard", "Choice"): ("text", "explanation"),
    ("leads", "TrainingMaterial"): ("title", "description"),
}


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def latest_afterwards():
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("latest_afterwards")
def test_the_upgrade_keeps_every_english_text_and_adds_the_german():
    old = migrate(BEFORE)
    PageSection = old.get_model("certguide", "PageSection")
    Question = old.get_model("wizard", "Question")
    TrainingMaterial = old.get_model("leads", "TrainingMaterial")
    # What marketers did before the upgrade: rewrote a section, added a question, retitled
    # a material.
    PageSection.objects.filter(slug="home-intro").update(body="Rewritten by a marketer.")
    default = Question.objects.get(text="What is your main goal?")
    added = Question.objects.create(
        questionnaire_id=default.questionnaire_id, order=99, text="A question added later"
    )
    TrainingMaterial.objects.filter(title="The Scrum Guide").update(title="Read the Scrum Guide")
    before = {
        (key, row["pk"]): row
        for key, fields in TEXTS.items()
        for row in old.get_model(*key).objects.values("pk", *fields)
    }
    assert len(before) >= 89  # 2 certifications, 30 points, 8 sections, 8 + 33 + 8 rows

    new = migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    after = {
        (key, row["pk"]): row
        for key, fields in TEXTS.items()
        for row in new.get_model(*key)
        .objects.values("pk", *fields, *(f"{name}_en" for name in fields))
        .iterator()
    }
    assert after.keys() == before.keys()
    for (key, pk), row in before.items():
        for name in TEXTS[key]:
            assert after[key, pk][f"{name}_en"] == row[name], (key, pk, name)
            assert after[key, pk][name] == row[name]

    PageSection = new.get_model("certguide", "PageSection")
    rewritten = PageSection.objects.get(slug="home-intro")
    assert not rewritten.body_de  # the German of the old text would be wrong now
    assert PageSection.objects.get(slug="compare-intro").body_de.startswith("Beide")
    Question = new.get_model("wizard", "Question")
    assert not Question.objects.get(pk=added.pk).text_de
    assert Question.objects.get(pk=default.pk).text_de == "Was ist Ihr wichtigstes Ziel?"
    TrainingMaterial = new.get_model("leads", "TrainingMaterial")
    assert not TrainingMaterial.objects.get(title_en="Read the Scrum Guide").title_de
    assert TrainingMaterial.objects.get(title_en="What a Product Owner decides").title_de == (
        "Was ein Product Owner entscheidet"
    )
    assert new.get_model("wizard", "Choice").objects.filter(text_de__isnull=True).count() == 0
