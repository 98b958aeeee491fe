"""The default training materials, so a fresh install sends something real.

Marketers edit, reorder or switch these off in the admin; the personalised PDF guide is
offered on the materials page beside them and is not a row here.
"""

from django.db import migrations

MATERIALS = [
    # (audience, order, title, url, description)
    (
        "EVERYONE",
        30,
        "CSM and CSPO side by side",
        "/compare/",
        "The five differences that matter, focus, primary role, key skills, main goal and "
        "who each certification is for, laid out in one table you can scan in a minute.",
    ),
    (
        "EVERYONE",
        40,
        "How to choose between CSM and CSPO",
        "/choose/",
        "A short, practical checklist: the signs that point to the Scrum Master path, the "
        "signs that point to product ownership, and when taking both makes sense. It ends "
        "with ideas for learning after the certificate.",
    ),
    (
        "EVERYONE",
        50,
        "The Scrum Guide",
        "https://scrumguides.org/scrum-guide.html",
        "The official definition of Scrum, written by its creators and free to read. Both "
        "courses build on it, so reading it first makes either class easier to follow.",
    ),
    (
        "CSM",
        10,
        "What a Scrum Master does all week",
        "/certifications/csm/",
        "The Scrum Master's responsibilities in plain words: running the Scrum events, "
        "clearing obstacles, coaching the team and shielding it from distractions, and "
        "what the CSM certificate adds to your career.",
    ),
    (
        "CSM",
        20,
        "The Scrum Master in the Scrum Guide",
        "https://scrumguides.org/scrum-guide.html#scrum-master",
        "How the Scrum Guide describes the Scrum Master's service to the team, to the "
        "Product Owner and to the wider organisation: the source every CSM course teaches.",
    ),
    (
        "CSPO",
        10,
        "What a Product Owner decides",
        "/certifications/cspo/",
        "The Product Owner's job in plain words: setting the product vision, owning and "
        "ordering the Product Backlog, working with stakeholders, and what the CSPO "
        "certificate adds to your career.",
    ),
    (
        "CSPO",
        20,
        "Product Backlog basics in the Scrum Guide",
        "https://scrumguides.org/scrum-guide.html#product-backlog",
        "The part of the Scrum Guide a Product Owner lives in every day: what the Product "
        "Backlog is, how items are refined, and what the Product Goal is for.",
    ),
    (
        "BOTH",
        10,
        "Planning both certifications",
        "/choose/",
        "If you want to lead an Agile transformation, knowing both roles pays off. This "
        "guide explains what each course adds and why the order you take them in matters "
        "less than practising what you learn in between.",
    ),
]


def seed_materials(apps, schema_editor):
    TrainingMaterial = apps.get_model("leads", "TrainingMaterial")
    if TrainingMaterial.objects.exists():
        return
    TrainingMaterial.objects.bulk_create(
        TrainingMaterial(
            audience=audience, order=order, title=title, url=url, description=description
        )
        for audience, order, title, url, description in MATERIALS
    )


def remove_materials(apps, schema_editor):
    TrainingMaterial = apps.get_model("leads", "TrainingMaterial")
    TrainingMaterial.objects.filter(title__in=[row[2] for row in MATERIALS]).delete()


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial")]

    operations = [migrations.RunPython(seed_materials, remove_materials)]
