import uuid

from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Recommendation(models.TextChoices):
    CSM = "CSM", _("Certified ScrumMaster (CSM)")
    CSPO = "CSPO", _("Certified Scrum Product Owner (CSPO)")
    BOTH = "BOTH", _("Both CSM and CSPO")


class QuestionnaireQuerySet(models.QuerySet):
    def active(self) -> "QuestionnaireQuerySet":
        return self.filter(is_active=True)


class Questionnaire(models.Model):
    name = models.CharField(max_length=120)
    is_active = models.BooleanField(
        default=False,
        help_text="Visitors take the active questionnaire. Only one can be active.",
    )
    both_margin = models.PositiveSmallIntegerField(
        "margin for 'both'",
        default=10,
        help_text=(
            "When the CSM and CSPO percentages are this many points apart or closer, "
            "the recommendation is both certifications."
        ),
    )
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuestionnaireQuerySet.as_manager()

    class Meta:
        ordering = ["-is_active", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="wizard_one_active_questionnaire",
                violation_error_message="Only one questionnaire can be active at a time.",
            ),
            models.CheckConstraint(
                condition=Q(both_margin__lte=100), name="wizard_both_margin_is_a_percentage"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", "Pick one"
        MULTIPLE = "multiple", "Pick any"

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions"
    )
    order = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=200)
    help_text = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.SINGLE)
    next_question = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="then go to",
        help_text=(
            "Where this question leads whatever the answer (an answer's own jump wins). "
            "Empty: the next question in order."
        ),
    )

    class Meta:
        ordering = ["questionnaire", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(next_question=models.F("pk")),
                name="wizard_question_does_not_jump_to_itself",
                violation_error_message="A question cannot lead to itself.",
            ),
        ]

    def __str__(self) -> str:
        return self.text

    def clean(self) -> None:
        super().clean()
        if self.next_question_id is not None:
            problem = jump_problem(self, self.next_question)
            if problem:
                raise ValidationError({"next_question": problem})


def jump_problem(source: Question, target: Question) -> str:
    """Why a jump from ``source`` to ``target`` is refused, or "" when it goes forward.

    Jumps only go forward (by order, then by creation for equal orders) so every path ends.
    """
    if target.pk is not None and target.pk == source.pk:
        return "A question cannot lead to itself: pick a later question."
    if target.questionnaire_id != source.questionnaire_id:
        return f"“{target}” belongs to another questionnaire: pick a later question of this one."
    if source.pk is None:
        ahead = target.order > source.order
    else:
        ahead = (target.order, target.pk) > (source.order, source.pk)
    if not ahead:
        return (
            f"“{target}” comes before this question (order {target.order}, this one "
            f"{source.order}): jumps only go forward, so every visitor reaches a result."
        )
    return ""


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    order = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=200)
    csm_points = models.PositiveSmallIntegerField("points toward CSM", default=0)
    cspo_points = models.PositiveSmallIntegerField("points toward CSPO", default=0)
    recommends_both = models.BooleanField(
        "recommends both",
        default=False,
        help_text="Picking this answer recommends both certifications, whatever the scores.",
    )
    explanation = models.CharField(
        max_length=200,
        blank=True,
        help_text="One line shown on the result when this answer shaped the outcome.",
    )
    next_question = models.ForeignKey(
        Question,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="then go to",
        help_text="A later question this answer leads to. Empty: the question decides.",
    )
    ends_quiz = models.BooleanField(
        "then show the result",
        default=False,
        help_text="Picking this answer ends the quiz: the result follows straight away.",
    )

    class Meta:
        ordering = ["question", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_quiz=False) | Q(next_question__isnull=True),
                name="wizard_choice_jumps_or_ends",
                violation_error_message=(
                    "An answer either leads to a later question or ends the quiz, not both."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.text

    def clean(self) -> None:
        super().clean()
        if self.next_question_id is not None and self.question_id is not None:
            problem = jump_problem(self.question, self.next_question)
            if problem:
                raise ValidationError({"next_question": problem})


class AttemptQuerySet(models.QuerySet):
    def completed(self) -> "AttemptQuerySet":
        return self.filter(completed_at__isnull=False)

    def unfinished(self) -> "AttemptQuerySet":
        return self.filter(completed_at__isnull=True)


class AttemptManager(models.Manager.from_queryset(AttemptQuerySet)):
    # The SQL of by_id() and answer_if_unchanged(), compiled once per database alias and
    # locking or flushing.
    _by_id_sql: dict[tuple[str, bool], str] = {}
    _answer_sql: dict[tuple[str, bool], str] = {}

    def by_id(self, attempt_id: uuid.UUID, *, for_update: bool = False) -> "Attempt | None":
        """The attempt with this id, or None: the quiz reads one on every request, and
        locks it (`for_update`, inside a transaction) to record an answer.

        Its SQL is compiled once per database and then run as a raw query with the id as
        its parameter: compiling a queryset costs Django more than the database spends
        running this one (about a third of a quiz step's time)."""
        key = (self.db, for_update)
        sql = self._by_id_sql.get(key)
        if sql is None:
            queryset = self.get_queryset().filter(pk=uuid.UUID(int=0)).order_by()
            if for_update:
                queryset = queryset.select_for_update()
            sql = self._by_id_sql[key] = queryset.query.sql_with_params()[0]
        value = self.model._meta.pk.get_db_prep_value(attempt_id, connections[self.db])
        return next(iter(self.raw(sql, [value])), None)

    def answer_if_unchanged(
        self, attempt: "Attempt", *, answers: dict, path: list, step: int
    ) -> bool:
        """Write an answer's new state to the attempt as it was read, in one statement that
        changes nothing (and says False) if the attempt was written since (its revision)
        or completed. The attempt in memory is brought up to date.

        As a transaction of its own (outside any atomic block) on PostgreSQL, the
        statement's commit does not wait for the disk: `synchronous_commit` is off for
        that transaction only (see wizard.services._commit_without_flush). Inside a
        caller's transaction it is written durably: the setting would cover the caller's
        writes too."""
        connection = connections[self.db]
        flush = connection.in_atomic_block or connection.vendor != "postgresql"
        sql = self._answer_sql.get((self.db, flush))
        if sql is None:
            sql = self._answer_sql[(self.db, flush)] = self._compile_answer(connection, flush)
        now = timezone.now()
        values = [
            self.model._meta.get_field(name).get_db_prep_save(value, connection)
            for name, value in (
                ("answers", answers),
                ("path", path),
                ("step", step),
                ("updated_at", now),
                ("id", attempt.pk),
                ("revision", attempt.revision),
            )
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            if cursor.rowcount != 1:
                return False
        attempt.answers, attempt.path, attempt.step = answers, path, step
        attempt.updated_at, attempt.revision = now, attempt.revision + 1
        return True

    def _compile_answer(self, connection, flush: bool) -> str:
        meta, quote = self.model._meta, connection.ops.quote_name
        column = {f.name: quote(f.column) for f in meta.concrete_fields}
        # A one-row derived table, so the setting is made once, before the row is written.
        no_flush = (
            ""
            if flush
            else " FROM (SELECT set_config('synchronous_commit', 'off', true)) AS quiz_answer"
        )
        return (  # our own table and column names, quoted; every value is a parameter
            f"UPDATE {quote(meta.db_table)} SET {column['answers']} = %s, {column['path']} = %s, "  # noqa: S608
            f"{column['step']} = %s, {column['updated_at']} = %s, "
            f"{column['revision']} = {column['revision']} + 1{no_flush} "
            f"WHERE {column['id']} = %s AND {column['revision']} = %s "
            f"AND {column['completed_at']} IS NULL"
        )


class Attempt(models.Model):
    """One visitor's pass through a questionnaire, saved step by step."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="attempts"
    )
    # {"<question id>": [<choice id>, ...]}, written as each step is posted.
    answers = models.JSONField(default=dict, blank=True)
    # [<question id>, ...]: the questions on the visitor's current path, in the order
    # asked, as the answers so far route it (see wizard.scoring.route).
    path = models.JSONField(default=list, blank=True)
    step = models.PositiveSmallIntegerField(
        default=0, help_text="Position on the path of the furthest question reached."
    )
    started_at = models.DateTimeField(db_default=Now(), editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # One more on every write of the answers: an answer read, worked out and written
    # without a lock is written only if nobody wrote the attempt in between.
    revision = models.IntegerField(default=0, db_default=0, editable=False)
    csm_score = models.PositiveSmallIntegerField("CSM %", null=True, blank=True)
    cspo_score = models.PositiveSmallIntegerField("CSPO %", null=True, blank=True)
    outcome = models.CharField(max_length=4, choices=Recommendation, blank=True, db_index=True)
    # Frozen at completion (questions, chosen answers, reasons) so later edits to the
    # questionnaire never rewrite a result someone already has.
    result = models.JSONField(default=dict, blank=True)
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    utm_term = models.CharField(max_length=100, blank=True)
    utm_content = models.CharField(max_length=100, blank=True)
    referrer = models.CharField(max_length=500, blank=True)

    objects = AttemptManager()

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Attempt {self.pk} ({self.get_outcome_display() or 'unfinished'})"

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None

    def result_texts(self) -> dict:
        """The frozen result's questions, answers and reasons in the active language (the
        language it was finished in for results frozen before there were several)."""
        result = self.result if isinstance(self.result, dict) else {}
        texts = result.get("texts")
        localized = texts.get(get_language()) if isinstance(texts, dict) else None
        if not isinstance(localized, dict):
            localized = result
        return {
            "answers": localized.get("answers") or [],
            "reasons": localized.get("reasons") or [],
        }
