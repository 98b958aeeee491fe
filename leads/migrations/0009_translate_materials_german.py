"""Give the training materials' titles and descriptions a language: the existing texts
become the English, and the seeded materials get their German.

The English comes from the column the text lived in so far (modeltranslation's
update_translation_fields, inside the migration so a deployed database upgrades with
`migrate`). A German text is filled in only where the German is still empty and the English
is still the seeded text word for word: a material a marketer rewrote keeps its German empty
(leads then read the English) until someone translates it. The file and the link stay one
per material.
"""

from django.db import migrations
from django.db.models import F, Q

FIELDS = ("title", "description")

GERMAN = {
    "CSM and CSPO side by side": "CSM und CSPO im Vergleich",
    "The five differences that matter, focus, primary role, key skills, main goal and "
    "who each certification is for, laid out in one table you can scan in a minute.": (
        "Die fünf Unterschiede, auf die es ankommt – Schwerpunkt, Hauptrolle, "
        "Schlüsselkompetenzen, Hauptziel und Zielgruppe –, in einer Tabelle, die Sie in einer "
        "Minute überblicken."
    ),
    "How to choose between CSM and CSPO": "So entscheiden Sie sich zwischen CSM und CSPO",
    "A short, practical checklist: the signs that point to the Scrum Master path, the "
    "signs that point to product ownership, and when taking both makes sense. It ends "
    "with ideas for learning after the certificate.": (
        "Eine kurze, praktische Checkliste: die Anzeichen, die für den Weg zum Scrum Master "
        "sprechen, die Anzeichen, die für die Rolle des Product Owners sprechen, und wann "
        "sich beide lohnen. Zum Schluss gibt es Anregungen, wie Sie nach dem Zertifikat "
        "weiterlernen."
    ),
    "The Scrum Guide": "Der Scrum Guide",
    "The official definition of Scrum, written by its creators and free to read. Both "
    "courses build on it, so reading it first makes either class easier to follow.": (
        "Die offizielle Definition von Scrum, verfasst von seinen Begründern und frei "
        "zugänglich. Beide Schulungen bauen darauf auf; wer ihn vorher liest, kann jedem der "
        "beiden Kurse leichter folgen."
    ),
    "What a Scrum Master does all week": "Was ein Scrum Master die ganze Woche tut",
    "The Scrum Master's responsibilities in plain words: running the Scrum events, "
    "clearing obstacles, coaching the team and shielding it from distractions, and "
    "what the CSM certificate adds to your career.": (
        "Die Aufgaben des Scrum Masters in einfachen Worten: die Scrum-Events leiten, "
        "Hindernisse beseitigen, das Team coachen und vor Ablenkungen schützen – und was das "
        "CSM-Zertifikat Ihrer Karriere bringt."
    ),
    "The Scrum Master in the Scrum Guide": "Der Scrum Master im Scrum Guide",
    "How the Scrum Guide describes the Scrum Master's service to the team, to the "
    "Product Owner and to the wider organisation: the source every CSM course teaches.": (
        "Wie der Scrum Guide den Dienst des Scrum Masters am Team, am Product Owner und an der "
        "ganzen Organisation beschreibt: die Quelle, auf der jede CSM-Schulung aufbaut."
    ),
    "What a Product Owner decides": "Was ein Product Owner entscheidet",
    "The Product Owner's job in plain words: setting the product vision, owning and "
    "ordering the Product Backlog, working with stakeholders, and what the CSPO "
    "certificate adds to your career.": (
        "Die Aufgabe des Product Owners in einfachen Worten: die Produktvision festlegen, das "
        "Product Backlog verantworten und ordnen, mit Stakeholdern zusammenarbeiten – und was "
        "das CSPO-Zertifikat Ihrer Karriere bringt."
    ),
    "Product Backlog basics in the Scrum Guide": "Grundlagen des Product Backlogs im Scrum Guide",
    "The part of the Scrum Guide a Product Owner lives in every day: what the Product "
    "Backlog is, how items are refined, and what the Product Goal is for.": (
        "Der Teil des Scrum Guides, mit dem ein Product Owner jeden Tag arbeitet: was das "
        "Product Backlog ist, wie Einträge verfeinert werden und wozu das Produktziel dient."
    ),
    "Planning both certifications": "Beide Zertifizierungen planen",
    "If you want to lead an Agile transformation, knowing both roles pays off. This "
    "guide explains what each course adds and why the order you take them in matters "
    "less than practising what you learn in between.": (
        "Wenn Sie eine agile Transformation leiten möchten, zahlt es sich aus, beide Rollen "
        "zu kennen. Dieser Leitfaden erklärt, was jede Schulung beiträgt und warum die "
        "Reihenfolge weniger zählt, als das Gelernte zwischendurch in der Praxis anzuwenden."
    ),
}


def copy_to_english(apps, schema_editor):
    TrainingMaterial = apps.get_model("leads", "TrainingMaterial")
    for name in FIELDS:
        english = f"{name}_en"
        TrainingMaterial.objects.filter(
            Q(**{f"{english}__isnull": True}) | Q(**{english: ""})
        ).update(**{english: F(name)})


def seed_german(apps, schema_editor):
    TrainingMaterial = apps.get_model("leads", "TrainingMaterial")
    changed = []
    for material in TrainingMaterial.objects.all():
        touched = False
        for name in FIELDS:
            english = getattr(material, f"{name}_en") or ""
            if not getattr(material, f"{name}_de") and english in GERMAN:
                setattr(material, f"{name}_de", GERMAN[english])
                touched = True
        if touched:
            changed.append(material)
    TrainingMaterial.objects.bulk_update(changed, [f"{name}_de" for name in FIELDS])


class Migration(migrations.Migration):
    dependencies = [("leads", "0008_trainingmaterial_translation_fields")]

    operations = [
        migrations.RunPython(copy_to_english, migrations.RunPython.noop),
        migrations.RunPython(seed_german, migrations.RunPython.noop),
    ]
