"""Give every text a language: the existing copy becomes the English, and the seeded copy
gets its German.

The English comes from the column the text lived in so far (what modeltranslation's
update_translation_fields command does, here inside the migration so a deployed database
upgrades with `migrate`). A German text is filled in only where the German is still empty
and the English is still the seeded text word for word: a row a marketer rewrote keeps its
German empty (the site then shows the English) until someone translates it.
"""

from django.db import migrations
from django.db.models import F, Q

# The model's translated fields, and the German of each seeded English text.
CERTIFICATION_FIELDS = (
    "name",
    "role",
    "summary",
    "focus",
    "primary_role",
    "key_skills",
    "main_goal",
    "target_audience",
)
POINT_FIELDS = ("title", "text")
SECTION_FIELDS = ("title", "body")

CERTIFICATION_GERMAN = {
    # The names of the certifications are the Scrum Alliance's own; German speakers use
    # them in English, as they do the role names.
    "Certified ScrumMaster": "Certified ScrumMaster",
    "Certified Scrum Product Owner": "Certified Scrum Product Owner",
    "Scrum Master": "Scrum Master",
    "Product Owner": "Product Owner",
    "The Certified ScrumMaster credential shows that you understand how Scrum works, "
    "seen from the Scrum Master's seat: its principles and its day-to-day practice.\n\n"
    "A Scrum Master is a facilitator, a coach and a servant-leader rather than a boss. "
    "They guide the team until it organises itself and delivers well. Most of the job "
    "comes down to three things: clearing away whatever blocks the team, running the "
    "Scrum events, and keeping the team true to Scrum's values and principles.": (
        "Die Zertifizierung Certified ScrumMaster belegt, dass Sie verstehen, wie Scrum "
        "funktioniert, und zwar aus der Sicht des Scrum Masters: seine Prinzipien ebenso wie "
        "seine tägliche Praxis.\n\n"
        "Ein Scrum Master ist Moderator, Coach und dienende Führungskraft, kein Vorgesetzter. "
        "Er begleitet das Team, bis es sich selbst organisiert und gute Ergebnisse liefert. "
        "Im Kern geht es um drei Dinge: alles aus dem Weg räumen, was das Team aufhält, die "
        "Scrum-Events leiten und dafür sorgen, dass das Team den Werten und Prinzipien von "
        "Scrum treu bleibt."
    ),
    "Keeping the Scrum process running, clearing impediments and coaching the team": (
        "Den Scrum-Prozess am Laufen halten, Hindernisse beseitigen und das Team coachen"
    ),
    "A servant-leader who works for the Scrum team": (
        "Eine dienende Führungskraft, die für das Scrum-Team arbeitet"
    ),
    "Facilitation, coaching, problem-solving and resolving conflict": (
        "Moderation, Coaching, Problemlösung und Konfliktlösung"
    ),
    "Make sure the team works by Scrum's principles and practices": (
        "Sicherstellen, dass das Team nach den Prinzipien und Praktiken von Scrum arbeitet"
    ),
    "Scrum Masters, members of Scrum teams and project managers": (
        "Scrum Master, Mitglieder von Scrum-Teams und Projektleiter"
    ),
    "The Certified Scrum Product Owner credential shows that you understand the "
    "Product Owner's part in Scrum.\n\n"
    "The Product Owner answers for getting the most value out of what the Development "
    "Team builds. They speak for the customer, and they own the Product Backlog: what "
    "goes on it, in which order, and how it is kept up to date.": (
        "Die Zertifizierung Certified Scrum Product Owner belegt, dass Sie die Rolle des "
        "Product Owners in Scrum verstehen.\n\n"
        "Der Product Owner ist dafür verantwortlich, den größtmöglichen Wert aus dem "
        "herauszuholen, was das Entwicklungsteam baut. Er spricht für die Kunden und "
        "verantwortet das Product Backlog: was hineinkommt, in welcher Reihenfolge und wie es "
        "aktuell gehalten wird."
    ),
    "Getting the most value out of the product and managing the Product Backlog": (
        "Den größtmöglichen Wert aus dem Produkt holen und das Product Backlog managen"
    ),
    "The customer's voice on the team, in charge of the product vision": (
        "Die Stimme der Kunden im Team, verantwortlich für die Produktvision"
    ),
    "Product management, prioritisation, communication and working with stakeholders": (
        "Produktmanagement, Priorisierung, Kommunikation und Zusammenarbeit mit Stakeholdern"
    ),
    "Define and deliver a product worth having, one that meets customers' needs": (
        "Ein Produkt definieren und liefern, das sich lohnt und die Bedürfnisse der Kunden "
        "erfüllt"
    ),
    "Product Owners, business analysts, product managers and entrepreneurs": (
        "Product Owner, Business Analysts, Produktmanager und Unternehmer"
    ),
}

POINT_GERMAN = {
    # Certified ScrumMaster: responsibilities
    "Running the Scrum events": "Die Scrum-Events leiten",
    "Hosts the Daily Scrum, Sprint Planning, the Sprint Review and the Sprint "
    "Retrospective so that each meeting does its job.": (
        "Leitet das Daily Scrum, das Sprint Planning, das Sprint Review und die Sprint "
        "Retrospective, damit jedes Treffen seinen Zweck erfüllt."
    ),
    "Clearing impediments": "Hindernisse beseitigen",
    "Spots whatever is slowing the team down, from a technical snag to a roadblock "
    "in the organisation, and gets it out of the way.": (
        "Erkennt, was das Team bremst, vom technischen Problem bis zur Blockade in der "
        "Organisation, und räumt es aus dem Weg."
    ),
    "Coaching the team": "Das Team coachen",
    "Teaches Agile principles and Scrum practice so the team becomes more "
    "self-organising and gets more done.": (
        "Vermittelt agile Prinzipien und die Praxis von Scrum, damit sich das Team stärker "
        "selbst organisiert und mehr erreicht."
    ),
    "Shielding the team": "Das Team abschirmen",
    "Keeps outside distractions and interference away so the team can concentrate "
    "on its work.": (
        "Hält Ablenkungen und Störungen von außen fern, damit sich das Team auf seine Arbeit "
        "konzentrieren kann."
    ),
    "Championing Scrum values": "Für die Scrum-Werte eintreten",
    "Stands up for commitment, courage, focus, openness and respect, inside the team "
    "and across the wider organisation.": (
        "Setzt sich für Commitment, Mut, Fokus, Offenheit und Respekt ein, im Team und in der "
        "ganzen Organisation."
    ),
    # Certified ScrumMaster: benefits
    "A solid grasp of Scrum": "Ein solides Verständnis von Scrum",
    "The CSM course takes you through Scrum's principles, practices and values in "
    "depth.": (
        "Die CSM-Schulung führt Sie gründlich durch die Prinzipien, Praktiken und Werte von "
        "Scrum."
    ),
    "Sharper facilitation": "Bessere Moderation",
    "You learn to run Scrum events and other meetings that actually move the team "
    "forward.": (
        "Sie lernen, Scrum-Events und andere Meetings so zu leiten, dass sie das Team "
        "wirklich voranbringen."
    ),
    "More job openings": "Mehr berufliche Chancen",
    "Employers know the CSM and value it, which widens your options in Agile "
    "organisations.": (
        "Arbeitgeber kennen und schätzen den CSM. Das erweitert Ihre Möglichkeiten in agilen "
        "Organisationen."
    ),
    "Better pay prospects": "Bessere Gehaltsaussichten",
    "Certified ScrumMasters tend to earn more than colleagues who hold no "
    "certification.": (
        "Certified ScrumMaster verdienen in der Regel mehr als Kolleginnen und Kollegen ohne "
        "Zertifizierung."
    ),
    "Professional recognition": "Berufliche Anerkennung",
    "The credential is a visible sign that you are committed to Agile principles.": (
        "Die Zertifizierung zeigt sichtbar, dass Sie sich agilen Prinzipien verpflichtet "
        "fühlen."
    ),
    # Certified ScrumMaster: who should consider it
    "You want to become a Scrum Master.": "Sie möchten Scrum Master werden.",
    "You already work as a Scrum Master and want to sharpen your skills.": (
        "Sie arbeiten bereits als Scrum Master und möchten Ihre Fähigkeiten schärfen."
    ),
    "You belong to a Scrum team and want to understand Scrum more deeply.": (
        "Sie gehören zu einem Scrum-Team und möchten Scrum tiefer verstehen."
    ),
    "You are a project manager moving over to Agile ways of working.": (
        "Sie sind Projektleiter und wechseln zu agilen Arbeitsweisen."
    ),
    "You want the people around you to collaborate and communicate better.": (
        "Sie möchten, dass die Menschen um Sie herum besser zusammenarbeiten und "
        "kommunizieren."
    ),
    # Certified Scrum Product Owner: responsibilities
    "Setting the product vision": "Die Produktvision festlegen",
    "Decides where the product is heading and makes sure the whole Scrum team "
    "understands it.": (
        "Entscheidet, wohin sich das Produkt entwickelt, und sorgt dafür, dass das ganze "
        "Scrum-Team das versteht."
    ),
    "Building and owning the Product Backlog": "Das Product Backlog aufbauen und verantworten",
    "Creates, orders and looks after the Product Backlog: the single list of "
    "features, improvements and bug fixes the product still needs.": (
        "Erstellt, ordnet und pflegt das Product Backlog: die eine Liste aller Features, "
        "Verbesserungen und Fehlerbehebungen, die das Produkt noch braucht."
    ),
    "Prioritising features": "Features priorisieren",
    "Decides what comes first by weighing what each item is worth to customers and "
    "to the business.": (
        "Entscheidet, was zuerst kommt, indem er abwägt, welchen Wert jeder Eintrag für die "
        "Kunden und für das Unternehmen hat."
    ),
    "Taking part in Scrum events": "An den Scrum-Events teilnehmen",
    "Joins Sprint Planning, the Sprint Review and the Sprint Retrospective, and the "
    "Daily Scrum too when it helps (attending that one is optional).": (
        "Nimmt am Sprint Planning, am Sprint Review und an der Sprint Retrospective teil, "
        "und auch am Daily Scrum, wenn es hilft (dort ist die Teilnahme freiwillig)."
    ),
    "Working with stakeholders": "Mit Stakeholdern zusammenarbeiten",
    "Stays close to stakeholders, collects their feedback and checks that the "
    "product gives them what they need.": (
        "Bleibt eng mit den Stakeholdern in Kontakt, sammelt ihr Feedback und prüft, ob das "
        "Produkt ihnen gibt, was sie brauchen."
    ),
    # Certified Scrum Product Owner: benefits
    "Deep knowledge of product ownership": "Fundiertes Wissen über die Product-Owner-Rolle",
    "The CSPO course covers the Product Owner's role and duties from end to end.": (
        "Die CSPO-Schulung behandelt die Rolle und die Aufgaben des Product Owners von A bis Z."
    ),
    "Stronger product management": "Besseres Produktmanagement",
    "You learn to run a Product Backlog, rank features against each other and get "
    "more value out of the product.": (
        "Sie lernen, ein Product Backlog zu führen, Features gegeneinander abzuwägen und mehr "
        "Wert aus dem Produkt zu holen."
    ),
    "Better communication and collaboration": "Bessere Kommunikation und Zusammenarbeit",
    "You get better at talking with stakeholders and at working hand in hand with "
    "the Scrum team.": (
        "Sie kommunizieren besser mit Stakeholdern und arbeiten enger mit dem Scrum-Team "
        "zusammen."
    ),
    "Employers hunting for capable Product Owners actively look for the CSPO.": (
        "Arbeitgeber, die fähige Product Owner suchen, achten gezielt auf den CSPO."
    ),
    "Certified Scrum Product Owners usually earn more than peers without the "
    "certification.": (
        "Certified Scrum Product Owner verdienen meist mehr als Kolleginnen und Kollegen ohne "
        "diese Zertifizierung."
    ),
    # Certified Scrum Product Owner: who should consider it
    "You want to become a Product Owner.": "Sie möchten Product Owner werden.",
    "You already work as a Product Owner and want to sharpen your skills.": (
        "Sie arbeiten bereits als Product Owner und möchten Ihre Fähigkeiten schärfen."
    ),
    "You are a business analyst or product manager making the move to Agile.": (
        "Sie sind Business Analyst oder Produktmanager und wechseln in die agile Welt."
    ),
    "You are an entrepreneur who wants to build and run products that succeed.": (
        "Sie sind Unternehmer und möchten erfolgreiche Produkte entwickeln und führen."
    ),
    "You are the person who decides which product features matter and in what order.": (
        "Sie entscheiden, welche Produktfeatures wichtig sind und in welcher Reihenfolge."
    ),
}

SECTION_GERMAN = {
    "Agile ways of working have spread through project management, above all in software "
    "teams, and Scrum is one of the most widely used and most effective Agile frameworks. "
    "Inside Scrum, two certifications are the best-known starting points: **Certified "
    "ScrumMaster (CSM)** and **Certified Scrum Product Owner (CSPO)**.\n\n"
    "Picking one can feel like a big decision. This site sets out what each certification "
    "concentrates on, what it gives you and who it suits, so you can choose the path that "
    "matches where you want your career to go.": (
        "Agile Arbeitsweisen haben sich im Projektmanagement durchgesetzt, vor allem in "
        "Softwareteams, und Scrum ist eines der am weitesten verbreiteten und wirksamsten "
        "agilen Frameworks. Innerhalb von Scrum sind zwei Zertifizierungen die bekanntesten "
        "Einstiege: **Certified ScrumMaster (CSM)** und **Certified Scrum Product Owner "
        "(CSPO)**.\n\n"
        "Die Wahl kann sich wie eine große Entscheidung anfühlen. Diese Website zeigt, worauf "
        "sich jede Zertifizierung konzentriert, was sie Ihnen bringt und für wen sie passt, "
        "damit Sie den Weg wählen können, der zu Ihren beruflichen Zielen passt."
    ),
    "Both certifications are worth having inside Scrum, but they prepare you for different "
    "roles with different duties. The table puts them side by side.": (
        "Beide Zertifizierungen lohnen sich in der Scrum-Welt, doch sie bereiten Sie auf "
        "unterschiedliche Rollen mit unterschiedlichen Aufgaben vor. Die Tabelle stellt sie "
        "einander gegenüber."
    ),
    "Which certification suits you best depends on the role you have today and the one "
    "you want next. The three cases below are a quick way to decide.": (
        "Welche Zertifizierung am besten zu Ihnen passt, hängt von Ihrer heutigen Rolle ab "
        "und von der, die Sie als Nächstes anstreben. Die drei Fälle unten helfen Ihnen, "
        "schnell zu entscheiden."
    ),
    "Choose CSM if…": "Wählen Sie den CSM, wenn …",
    "- You like helping a team work well, clearing obstacles out of its way and seeing "
    "other people succeed.\n"
    "- Agile principles matter to you, and you want to help teams take up Scrum and get "
    "better at it.\n"
    "- You care most about *how* the work gets done.": (
        "- Sie gern dazu beitragen, dass ein Team gut arbeitet, ihm Hindernisse aus dem Weg "
        "räumen und andere erfolgreich sehen.\n"
        "- Ihnen agile Prinzipien wichtig sind und Sie Teams helfen möchten, Scrum einzuführen "
        "und darin besser zu werden.\n"
        "- Ihnen vor allem wichtig ist, *wie* die Arbeit erledigt wird."
    ),
    "Choose CSPO if…": "Wählen Sie den CSPO, wenn …",
    "- Building products excites you, and you want to decide what gets delivered so that "
    "customers get real value.\n"
    "- You understand what the business needs and are comfortable making the call on "
    "product features.\n"
    "- You care most about *what* gets built and *why*.": (
        "- Sie gern Produkte entwickeln und entscheiden möchten, was geliefert wird, damit "
        "Kunden echten Nutzen haben.\n"
        "- Sie verstehen, was das Unternehmen braucht, und Ihnen Entscheidungen über "
        "Produktfeatures leichtfallen.\n"
        "- Ihnen vor allem wichtig ist, *was* gebaut wird und *warum*."
    ),
    "Consider taking both": "Erwägen Sie beide",
    "If you want a rounded view of Scrum and hope to lead Agile transformations, earning "
    "both certifications makes sense. Holding both shows a serious commitment to Scrum and "
    "gives you the skills of both sides of the team.": (
        "Wenn Sie Scrum umfassend verstehen und agile Transformationen leiten möchten, lohnen "
        "sich beide Zertifizierungen. Wer beide besitzt, zeigt ein ernsthaftes Engagement für "
        "Scrum und bringt die Fähigkeiten beider Seiten des Teams mit."
    ),
    "Keep learning after the certificate": "Nach dem Zertifikat weiterlernen",
    "A CSM or CSPO is a strong first step, not the finish line. Keep building your skills:\n"
    "\n"
    "- go to industry conferences,\n"
    "- read books and articles about Agile and Scrum,\n"
    "- take an active part in the Agile community.\n"
    "\n"
    "Agile practice keeps changing, so steady learning is what keeps you relevant and "
    "good at the job.": (
        "Ein CSM oder CSPO ist ein starker erster Schritt, nicht das Ziel. Bauen Sie Ihre "
        "Fähigkeiten weiter aus:\n"
        "\n"
        "- Besuchen Sie Fachkonferenzen,\n"
        "- lesen Sie Bücher und Artikel über Agilität und Scrum,\n"
        "- beteiligen Sie sich aktiv an der agilen Community.\n"
        "\n"
        "Die agile Praxis entwickelt sich ständig weiter. Wer kontinuierlich lernt, bleibt "
        "gefragt und gut in seinem Beruf."
    ),
    "Making your choice": "Ihre Entscheidung",
    "Both the CSM and the CSPO help you move forward in Agile organisations. Once you know "
    "how they differ and weigh that against your career goals, either one is a sound "
    "investment in your professional growth.\n\n"
    "Whichever you pick, keep learning and keep putting your skills to work: that is what "
    "turns a certificate into a successful Scrum Master or Product Owner.": (
        "Sowohl der CSM als auch der CSPO bringen Sie in agilen Organisationen voran. Wenn Sie "
        "die Unterschiede kennen und gegen Ihre beruflichen Ziele abwägen, ist jede der beiden "
        "eine solide Investition in Ihre berufliche Entwicklung.\n\n"
        "Wofür Sie sich auch entscheiden: Lernen Sie weiter und setzen Sie Ihre Fähigkeiten "
        "ein. Erst das macht aus einem Zertifikat einen erfolgreichen Scrum Master oder "
        "Product Owner."
    ),
}

# Which German table serves which model.
GERMAN = {
    "Certification": (CERTIFICATION_FIELDS, CERTIFICATION_GERMAN),
    "CertificationPoint": (POINT_FIELDS, POINT_GERMAN),
    "PageSection": (SECTION_FIELDS, SECTION_GERMAN),
}


def copy_to_english(apps, schema_editor):
    for model_name, (fields, _) in GERMAN.items():
        model = apps.get_model("certguide", model_name)
        for name in fields:
            english = f"{name}_en"
            model.objects.filter(Q(**{f"{english}__isnull": True}) | Q(**{english: ""})).update(
                **{english: F(name)}
            )


def seed_german(apps, schema_editor):
    for model_name, (fields, german) in GERMAN.items():
        model = apps.get_model("certguide", model_name)
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
    dependencies = [("certguide", "0003_translation_fields")]

    operations = [
        migrations.RunPython(copy_to_english, migrations.RunPython.noop),
        migrations.RunPython(seed_german, migrations.RunPython.noop),
    ]
