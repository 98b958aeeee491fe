"""Seed the default questionnaire, derived from the article's "how to choose" guide.

Points: 3-4 for an answer that clearly fits one role, 1-2 for a lean, 1/1 for an answer
that fits both. Aiming to lead an Agile transformation recommends both outright.
"""

from django.db import migrations

NAME = "Which certification fits you? (default)"

# (text, help_text, kind, [(answer, csm, cspo, recommends_both, explanation), ...])
QUESTIONS = [
    (
        "What energises you most at work?",
        "",
        "single",
        [
            ("Helping a team work well together and clearing whatever blocks it", 3, 0, False,
             "Keeping a team running smoothly and unblocked is the heart of the Scrum Master role."),
            ("Shaping a product and deciding which features come next", 0, 3, False,
             "Deciding what to build next is the daily work of a Product Owner."),
            ("Coaching people so they grow and organise their own work", 2, 0, False,
             "Coaching people toward self-organisation is a core Scrum Master skill."),
            ("Listening to customers and turning their needs into a plan", 0, 2, False,
             "Turning customer needs into a plan is how a Product Owner creates value."),
        ],
    ),
    (
        "Which side of the work interests you more?",
        "Think about the questions you would rather answer every day.",
        "single",
        [
            ("How the team delivers: the process, the events, the way of working", 3, 0, False,
             "You care about how work gets done, which is where a Scrum Master focuses."),
            ("What the team builds, and why it matters to customers", 0, 3, False,
             "You care about what gets built and why, which is where a Product Owner focuses."),
            ("Both, about equally", 1, 1, False,
             "You are curious about the process and the product alike."),
        ],
    ),
    (
        "What is your current role?",
        "",
        "single",
        [
            ("Scrum Master", 3, 0, False,
             "You already work as a Scrum Master, and the CSM deepens what you do."),
            ("Member of a Scrum or development team", 2, 1, False,
             "Team members often grow into the Scrum Master role first."),
            ("Project manager", 2, 0, False,
             "Project managers moving to Agile usually find the Scrum Master role the closest fit."),
            ("Business analyst", 0, 2, False,
             "Business analysts already shape requirements, close to a Product Owner's backlog."),
            ("Product manager or Product Owner", 0, 3, False,
             "You already look after a product, and the CSPO sharpens how you do it."),
            ("Entrepreneur or founder", 0, 2, False,
             "Founders decide what to build, which is product ownership in practice."),
            ("Something else, or studying", 1, 1, False,
             "Coming from elsewhere, both paths are open to you."),
        ],
    ),
    (
        "Which of these are your strongest skills?",
        "Pick every one that applies.",
        "multiple",
        [
            ("Facilitation", 2, 0, False,
             "Good facilitation is what makes Scrum events useful, a Scrum Master's job."),
            ("Coaching", 2, 0, False,
             "Coaching is how a Scrum Master helps a team keep improving."),
            ("Problem-solving and removing obstacles", 2, 0, False,
             "Removing obstacles for the team is one of a Scrum Master's main duties."),
            ("Conflict resolution", 2, 0, False,
             "Settling conflicts keeps a team focused, a Scrum Master strength."),
            ("Product management", 0, 2, False,
             "Product management skills carry straight into the Product Owner role."),
            ("Prioritisation", 0, 2, False,
             "Ordering the backlog by value is the Product Owner's key decision."),
            ("Communication", 0, 1, False,
             "Sharing a clear product vision is a big part of a Product Owner's week."),
            ("Stakeholder management", 0, 2, False,
             "Working with stakeholders keeps a product on track, a Product Owner duty."),
        ],
    ),
    (
        "Where do you want your career to go next?",
        "",
        "single",
        [
            ("Become a Scrum Master or Agile coach", 4, 0, False,
             "You aim for the Scrum Master role, and the CSM is its foundation."),
            ("Become a Product Owner or product leader", 0, 4, False,
             "You aim for the Product Owner role, and the CSPO is its foundation."),
            ("Lead an Agile transformation across teams", 2, 2, True,
             "Leading an Agile transformation takes both views of Scrum, so both "
             "certifications serve you."),
            ("I am not sure yet", 0, 0, False,
             "You are still exploring, so your other answers decided the recommendation."),
        ],
    ),
    (
        "What is your main goal?",
        "",
        "single",
        [
            ("Help my team follow Scrum well and keep improving", 3, 0, False,
             "Helping a team live Scrum well is exactly what a Scrum Master is for."),
            ("Define and deliver a product that customers value", 0, 3, False,
             "Delivering a product customers value is the Product Owner's goal."),
            ("Improve collaboration and communication in my team", 2, 0, False,
             "Better teamwork is where a Scrum Master makes the biggest difference."),
            ("Get a well-rounded understanding of Scrum", 1, 1, False,
             "A rounded view of Scrum comes from knowing both roles."),
        ],
    ),
]


def seed(apps, schema_editor):
    Questionnaire = apps.get_model("wizard", "Questionnaire")
    Question = apps.get_model("wizard", "Question")
    Choice = apps.get_model("wizard", "Choice")
    if Questionnaire.objects.filter(name=NAME).exists():
        return
    is_active = not Questionnaire.objects.filter(is_active=True).exists()
    questionnaire = Questionnaire.objects.create(name=NAME, is_active=is_active, both_margin=10)
    for order, (text, help_text, kind, choices) in enumerate(QUESTIONS):
        question = Question.objects.create(
            questionnaire=questionnaire, order=order, text=text, help_text=help_text, kind=kind
        )
        Choice.objects.bulk_create(
            Choice(
                question=question,
                order=n,
                text=answer,
                csm_points=csm,
                cspo_points=cspo,
                recommends_both=both,
                explanation=explanation,
            )
            for n, (answer, csm, cspo, both, explanation) in enumerate(choices)
        )


def unseed(apps, schema_editor):
    Questionnaire = apps.get_model("wizard", "Questionnaire")
    # An attempt protects its questionnaire: keep it when visitors have taken it.
    Questionnaire.objects.filter(name=NAME, attempts__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("wizard", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
