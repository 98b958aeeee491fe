"""Give the questionnaire texts a language: the existing texts become the English, and the
default questionnaire gets its German.

The English comes from the column the text lived in so far (modeltranslation's
update_translation_fields, inside the migration so a deployed database upgrades with
`migrate`). A German text is filled in only where the German is still empty and the English
is still the seeded text word for word: a question or answer a marketer rewrote keeps its
German empty (visitors then read the English) until someone translates it. Points, jumps
and kinds have no language: the quiz scores the same in English and German.
"""

from django.db import migrations
from django.db.models import F, Q

QUESTION_FIELDS = ("text", "help_text")
CHOICE_FIELDS = ("text", "explanation")

QUESTION_GERMAN = {
    "What energises you most at work?": "Was gibt Ihnen bei der Arbeit am meisten Energie?",
    "Which side of the work interests you more?": (
        "Welche Seite der Arbeit interessiert Sie mehr?"
    ),
    "Think about the questions you would rather answer every day.": (
        "Überlegen Sie, mit welchen Fragen Sie sich lieber jeden Tag beschäftigen würden."
    ),
    "What is your current role?": "Was ist Ihre aktuelle Rolle?",
    "Which kind of work appeals to you more?": "Welche Art von Arbeit spricht Sie mehr an?",
    "You are new to Scrum: picture the part of a Scrum team you would most like to play.": (
        "Sie sind neu bei Scrum: Stellen Sie sich vor, welche Rolle Sie in einem Scrum-Team "
        "am liebsten übernehmen würden."
    ),
    "Which of these are your strongest skills?": "Welche dieser Fähigkeiten sind Ihre Stärken?",
    "Pick every one that applies.": "Wählen Sie alle aus, die zutreffen.",
    "Where do you want your career to go next?": (
        "Wohin soll sich Ihre Karriere als Nächstes entwickeln?"
    ),
    "What is your main goal?": "Was ist Ihr wichtigstes Ziel?",
}

CHOICE_GERMAN = {
    # What energises you most at work?
    "Helping a team work well together and clearing whatever blocks it": (
        "Einem Team helfen, gut zusammenzuarbeiten, und alles aus dem Weg räumen, was es "
        "blockiert"
    ),
    "Keeping a team running smoothly and unblocked is the heart of the Scrum Master role.": (
        "Ein Team reibungslos und ohne Blockaden arbeiten zu lassen, ist der Kern der Rolle "
        "des Scrum Masters."
    ),
    "Shaping a product and deciding which features come next": (
        "Ein Produkt gestalten und entscheiden, welche Features als Nächstes kommen"
    ),
    "Deciding what to build next is the daily work of a Product Owner.": (
        "Zu entscheiden, was als Nächstes gebaut wird, ist die tägliche Arbeit eines Product "
        "Owners."
    ),
    "Coaching people so they grow and organise their own work": (
        "Menschen coachen, damit sie wachsen und ihre Arbeit selbst organisieren"
    ),
    "Coaching people toward self-organisation is a core Scrum Master skill.": (
        "Menschen zur Selbstorganisation zu coachen, ist eine Kernkompetenz des Scrum Masters."
    ),
    "Listening to customers and turning their needs into a plan": (
        "Kunden zuhören und ihre Bedürfnisse in einen Plan übersetzen"
    ),
    "Turning customer needs into a plan is how a Product Owner creates value.": (
        "Indem er Kundenbedürfnisse in einen Plan übersetzt, schafft ein Product Owner Wert."
    ),
    # Which side of the work interests you more?
    "How the team delivers: the process, the events, the way of working": (
        "Wie das Team liefert: der Prozess, die Events, die Arbeitsweise"
    ),
    "You care about how work gets done, which is where a Scrum Master focuses.": (
        "Ihnen ist wichtig, wie die Arbeit erledigt wird, und genau darauf konzentriert sich "
        "ein Scrum Master."
    ),
    "What the team builds, and why it matters to customers": (
        "Was das Team baut und warum es für die Kunden wichtig ist"
    ),
    "You care about what gets built and why, which is where a Product Owner focuses.": (
        "Ihnen ist wichtig, was gebaut wird und warum, und genau darauf konzentriert sich ein "
        "Product Owner."
    ),
    "Both, about equally": "Beides, etwa zu gleichen Teilen",
    "You are curious about the process and the product alike.": (
        "Sie interessieren sich für den Prozess und das Produkt gleichermaßen."
    ),
    # What is your current role?
    "Scrum Master": "Scrum Master",
    "You already work as a Scrum Master, and the CSM deepens what you do.": (
        "Sie arbeiten bereits als Scrum Master, und der CSM vertieft, was Sie tun."
    ),
    "Member of a Scrum or development team": "Mitglied eines Scrum- oder Entwicklungsteams",
    "Team members often grow into the Scrum Master role first.": (
        "Teammitglieder wachsen oft zuerst in die Rolle des Scrum Masters hinein."
    ),
    "Project manager": "Projektleiter",
    "Project managers moving to Agile usually find the Scrum Master role the closest fit.": (
        "Projektleitern, die in die agile Welt wechseln, liegt meist die Rolle des Scrum "
        "Masters am nächsten."
    ),
    "Business analyst": "Business Analyst",
    "Business analysts already shape requirements, close to a Product Owner's backlog.": (
        "Business Analysts gestalten bereits Anforderungen, ganz nah am Backlog eines Product "
        "Owners."
    ),
    "Product manager or Product Owner": "Produktmanager oder Product Owner",
    "You already look after a product, and the CSPO sharpens how you do it.": (
        "Sie betreuen bereits ein Produkt, und der CSPO schärft, wie Sie das tun."
    ),
    "Entrepreneur or founder": "Unternehmer oder Gründer",
    "Founders decide what to build, which is product ownership in practice.": (
        "Gründer entscheiden, was gebaut wird, und das ist gelebte Produktverantwortung."
    ),
    "Something else, or studying": "Etwas anderes oder noch im Studium",
    "Coming from elsewhere, both paths are open to you.": (
        "Wenn Sie aus einem anderen Bereich kommen, stehen Ihnen beide Wege offen."
    ),
    # Which kind of work appeals to you more? (for people new to Scrum)
    "Guiding a team through its events and helping people work well together": (
        "Ein Team durch seine Events führen und Menschen helfen, gut zusammenzuarbeiten"
    ),
    "Guiding a team and its way of working is what a Scrum Master does all day.": (
        "Ein Team und seine Arbeitsweise zu begleiten, ist das tägliche Brot eines Scrum "
        "Masters."
    ),
    "Deciding what a product should do and for whom": (
        "Entscheiden, was ein Produkt können soll und für wen"
    ),
    "Deciding what a product does and for whom is the Product Owner's call.": (
        "Was ein Produkt kann und für wen, entscheidet der Product Owner."
    ),
    "I would like to understand both before I choose": (
        "Ich möchte beide verstehen, bevor ich mich entscheide"
    ),
    "Wanting to understand both roles first is a good reason to learn both.": (
        "Wer zuerst beide Rollen verstehen möchte, hat einen guten Grund, beide zu lernen."
    ),
    # Which of these are your strongest skills?
    "Facilitation": "Moderation",
    "Good facilitation is what makes Scrum events useful, a Scrum Master's job.": (
        "Gute Moderation macht Scrum-Events wertvoll, und das ist Aufgabe des Scrum Masters."
    ),
    "Coaching": "Coaching",
    "Coaching is how a Scrum Master helps a team keep improving.": (
        "Durch Coaching hilft ein Scrum Master dem Team, immer besser zu werden."
    ),
    "Problem-solving and removing obstacles": "Probleme lösen und Hindernisse beseitigen",
    "Removing obstacles for the team is one of a Scrum Master's main duties.": (
        "Hindernisse für das Team zu beseitigen, ist eine der Hauptaufgaben eines Scrum "
        "Masters."
    ),
    "Conflict resolution": "Konfliktlösung",
    "Settling conflicts keeps a team focused, a Scrum Master strength.": (
        "Wer Konflikte beilegt, hält das Team fokussiert, eine Stärke des Scrum Masters."
    ),
    "Product management": "Produktmanagement",
    "Product management skills carry straight into the Product Owner role.": (
        "Kenntnisse im Produktmanagement lassen sich direkt in die Rolle des Product Owners "
        "übertragen."
    ),
    "Prioritisation": "Priorisierung",
    "Ordering the backlog by value is the Product Owner's key decision.": (
        "Das Backlog nach Wert zu ordnen, ist die wichtigste Entscheidung des Product Owners."
    ),
    "Communication": "Kommunikation",
    "Sharing a clear product vision is a big part of a Product Owner's week.": (
        "Eine klare Produktvision zu vermitteln, macht einen großen Teil der Woche eines "
        "Product Owners aus."
    ),
    "Stakeholder management": "Stakeholder-Management",
    "Working with stakeholders keeps a product on track, a Product Owner duty.": (
        "Die Zusammenarbeit mit Stakeholdern hält ein Produkt auf Kurs, eine Aufgabe des "
        "Product Owners."
    ),
    # Where do you want your career to go next?
    "Become a Scrum Master or Agile coach": "Scrum Master oder Agile Coach werden",
    "You aim for the Scrum Master role, and the CSM is its foundation.": (
        "Sie streben die Rolle des Scrum Masters an, und der CSM ist ihr Fundament."
    ),
    "Become a Product Owner or product leader": "Product Owner oder Produktverantwortlicher werden",
    "You aim for the Product Owner role, and the CSPO is its foundation.": (
        "Sie streben die Rolle des Product Owners an, und der CSPO ist ihr Fundament."
    ),
    "Lead an Agile transformation across teams": (
        "Eine agile Transformation über mehrere Teams hinweg leiten"
    ),
    "Leading an Agile transformation takes both views of Scrum, so both "
    "certifications serve you.": (
        "Wer eine agile Transformation leitet, braucht beide Sichtweisen auf Scrum, deshalb "
        "helfen Ihnen beide Zertifizierungen."
    ),
    "I am not sure yet": "Ich bin mir noch nicht sicher",
    "You are still exploring, so your other answers decided the recommendation.": (
        "Sie orientieren sich noch, deshalb haben Ihre übrigen Antworten die Empfehlung "
        "bestimmt."
    ),
    # What is your main goal?
    "Help my team follow Scrum well and keep improving": (
        "Meinem Team helfen, Scrum gut umzusetzen und sich ständig zu verbessern"
    ),
    "Helping a team live Scrum well is exactly what a Scrum Master is for.": (
        "Einem Team zu helfen, Scrum gut zu leben, ist genau die Aufgabe eines Scrum Masters."
    ),
    "Define and deliver a product that customers value": (
        "Ein Produkt definieren und liefern, das Kunden schätzen"
    ),
    "Delivering a product customers value is the Product Owner's goal.": (
        "Ein Produkt zu liefern, das Kunden schätzen, ist das Ziel des Product Owners."
    ),
    "Improve collaboration and communication in my team": (
        "Zusammenarbeit und Kommunikation in meinem Team verbessern"
    ),
    "Better teamwork is where a Scrum Master makes the biggest difference.": (
        "Bei der Zusammenarbeit im Team bewirkt ein Scrum Master am meisten."
    ),
    "Get a well-rounded understanding of Scrum": "Scrum umfassend verstehen",
    "A rounded view of Scrum comes from knowing both roles.": (
        "Ein umfassendes Bild von Scrum bekommt, wer beide Rollen kennt."
    ),
}

GERMAN = {
    "Question": (QUESTION_FIELDS, QUESTION_GERMAN),
    "Choice": (CHOICE_FIELDS, CHOICE_GERMAN),
}


def copy_to_english(apps, schema_editor):
    for model_name, (fields, _) in GERMAN.items():
        model = apps.get_model("wizard", model_name)
        for name in fields:
            english = f"{name}_en"
            model.objects.filter(Q(**{f"{english}__isnull": True}) | Q(**{english: ""})).update(
                **{english: F(name)}
            )


def seed_german(apps, schema_editor):
    for model_name, (fields, german) in GERMAN.items():
        model = apps.get_model("wizard", model_name)
        changed = []
        for row in model.objects.all():
            touched = False
            for name in fields:
                english = getattr(row, f"{name}_en") or ""
                if not getattr(row, f"{name}_de") and english in german:
                    setattr(row, f"{name}_de", german[english])
                    touched = True
            if touched:
                changed.append(row)
        model.objects.bulk_update(changed, [f"{name}_de" for name in fields])


class Migration(migrations.Migration):
    dependencies = [("wizard", "0006_translation_fields")]

    operations = [
        migrations.RunPython(copy_to_english, migrations.RunPython.noop),
        migrations.RunPython(seed_german, migrations.RunPython.noop),
    ]
