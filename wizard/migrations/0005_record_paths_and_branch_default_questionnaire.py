"""Record the path of every attempt so far, then give the default questionnaire its first
branch, from the article's guide.

Every questionnaire was linear until now, so every attempt's path is its questionnaire's
questions in order (the analytics count who reached a question from the path). Frozen
results are not touched: they keep their answers as they were.

Someone new to Scrum is asked which kind of work appeals to them: the article says a
Scrum Master fits people drawn to facilitating and coaching a team, a Product Owner people
drawn to deciding what a product should be. People already in a Scrum role (Scrum Master,
team member, Product Owner) answered that with their role and go straight on to their
strongest skills. Attempts already completed keep their frozen path and answers.
"""

from django.db import migrations
from django.db.models import F

NAME = "Which certification fits you? (default)"
ROLE = "What is your current role?"
SKILLS = "Which of these are your strongest skills?"
SCRUM_ROLES = (
    "Scrum Master",
    "Member of a Scrum or development team",
    "Product manager or Product Owner",
)
APPEAL = (
    "Which kind of work appeals to you more?",
    "You are new to Scrum: picture the part of a Scrum team you would most like to play.",
    [
        ("Guiding a team through its events and helping people work well together", 3, 0,
         "Guiding a team and its way of working is what a Scrum Master does all day."),
        ("Deciding what a product should do and for whom", 0, 3,
         "Deciding what a product does and for whom is the Product Owner's call."),
        ("I would like to understand both before I choose", 1, 1,
         "Wanting to understand both roles first is a good reason to learn both."),
    ],
)


def record_paths(apps, schema_editor):
    Questionnaire = apps.get_model("wizard", "Questionnaire")
    Attempt = apps.get_model("wizard", "Attempt")
    for questionnaire in Questionnaire.objects.all():
        ids = list(questionnaire.questions.order_by("order", "pk").values_list("pk", flat=True))
        Attempt.objects.filter(questionnaire=questionnaire).update(path=ids)


def add_branch(apps, schema_editor):
    Question = apps.get_model("wizard", "Question")
    Choice = apps.get_model("wizard", "Choice")
    questions = Question.objects.filter(questionnaire__name=NAME)
    role = questions.filter(text=ROLE).first()
    skills = questions.filter(text=SKILLS).first()
    if role is None or skills is None or questions.filter(text=APPEAL[0]).exists():
        return  # A marketer reworked it: leave their questionnaire alone.
    questions.filter(order__gt=role.order).update(order=F("order") + 1)
    text, help_text, choices = APPEAL
    appeal = Question.objects.create(
        questionnaire_id=role.questionnaire_id,
        order=role.order + 1,
        text=text,
        help_text=help_text,
        kind="single",
    )
    Choice.objects.bulk_create(
        Choice(
            question=appeal,
            order=n,
            text=answer,
            csm_points=csm,
            cspo_points=cspo,
            explanation=explanation,
        )
        for n, (answer, csm, cspo, explanation) in enumerate(choices)
    )
    Choice.objects.filter(question=role, text__in=SCRUM_ROLES).update(next_question=skills)


def remove_branch(apps, schema_editor):
    Question = apps.get_model("wizard", "Question")
    Choice = apps.get_model("wizard", "Choice")
    questions = Question.objects.filter(questionnaire__name=NAME)
    appeal = questions.filter(text=APPEAL[0]).first()
    if appeal is None:
        return
    Choice.objects.filter(question__questionnaire_id=appeal.questionnaire_id).update(
        next_question=None
    )
    order = appeal.order
    appeal.delete()
    questions.filter(order__gt=order).update(order=F("order") - 1)


class Migration(migrations.Migration):
    dependencies = [("wizard", "0004_question_choice_jumps_attempt_path")]

    operations = [
        migrations.RunPython(record_paths, migrations.RunPython.noop),
        migrations.RunPython(add_branch, remove_branch),
    ]
