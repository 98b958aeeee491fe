from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from certguide.campaign import UTM_KEYS
from certguide.translation_admin import GermanFilter, GermanGaps, missing_german, side_by_side
from wizard.models import Attempt, Choice, Question, Questionnaire
from wizard.preview import DEFAULT_LIMIT, NEAR_TIE_EXTRA, preview_scoring
from wizard.questionnaire_map import draw
from wizard.questionnaires import load_weights
from wizard.services import questionnaire_activate


class JumpTargetsOfThisQuestionnaire:
    """Offer only questions of the questionnaire being edited as jump targets; the models'
    clean() still refuses a jump that does not go forward, with a message saying why."""

    def _questionnaire_id(self, request: HttpRequest) -> int | None:
        match = request.resolver_match
        object_id = match.kwargs.get("object_id") if match else None
        if object_id is None or not str(object_id).isdigit():
            return None
        if self.parent_model is Questionnaire:
            return int(object_id)
        return (
            Question.objects.filter(pk=object_id).values_list("questionnaire_id", flat=True).first()
        )

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "next_question":
            questionnaire_id = self._questionnaire_id(request)
            queryset = Question.objects.select_related(None).order_by("order", "pk")
            kwargs["queryset"] = (
                queryset.filter(questionnaire_id=questionnaire_id)
                if questionnaire_id is not None
                else queryset.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class QuestionInline(JumpTargetsOfThisQuestionnaire, TranslationTabularInline):
    model = Question
    fk_name = "questionnaire"
    fields = ["order", "text", "kind", "help_text", "next_question"]
    extra = 0
    show_change_link = True


class ChoiceInline(JumpTargetsOfThisQuestionnaire, TranslationTabularInline):
    model = Choice
    fk_name = "question"
    fields = [
        "order",
        "text",
        "csm_points",
        "cspo_points",
        "recommends_both",
        "explanation",
        "next_question",
        "ends_quiz",
    ]
    extra = 0


@admin.register(Questionnaire)
class QuestionnaireAdmin(GermanGaps, admin.ModelAdmin):
    list_display = ["name", "is_active", "both_margin", "question_count", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    fields = ["name", "is_active", "both_margin"]
    # Activation switches the one active before off: only questionnaire_activate does
    # that, through the change page's button or the list's action.
    readonly_fields = ["is_active"]
    inlines = [QuestionInline]
    actions = ["make_active"]
    change_form_template = "admin/wizard/questionnaire/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(question_total=Count("questions"))

    @admin.display(description="questions", ordering="question_total")
    def question_count(self, obj: Questionnaire) -> int:
        return obj.question_total

    def german_gaps(self, request: HttpRequest, obj: Questionnaire) -> list[str]:
        # The questions are inline here; their answers are edited on each question's page.
        gaps = super().german_gaps(request, obj)
        for choice in Choice.objects.filter(question__questionnaire=obj).select_related("question"):
            if missing := missing_german(choice):
                labels = ", ".join(str(Choice._meta.get_field(n).verbose_name) for n in missing)
                gaps.append(f"answer “{choice}” to “{choice.question}”: {labels}")
        return gaps

    @admin.action(description="Make the selected questionnaire the active one")
    def make_active(self, request: HttpRequest, queryset: QuerySet) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one questionnaire.", messages.ERROR)
            return
        questionnaire = questionnaire_activate(questionnaire=queryset.get())
        self.message_user(request, f"“{questionnaire}” is now the questionnaire visitors take.")

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
    ) -> HttpResponse:
        questionnaire = self.get_object(request, object_id)
        if questionnaire is not None:
            # What is saved now, not the cache: the marketer checks what they just saved.
            extra_context = {**(extra_context or {}), "map": draw(load_weights(questionnaire))}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self) -> list:
        preview = path(
            "<path:object_id>/scoring-preview/",
            self.admin_site.admin_view(self.scoring_preview_view),
            name="wizard_questionnaire_scoring_preview",
        )
        activate = path(
            "<path:object_id>/activate/",
            self.admin_site.admin_view(self.activate_view),
            name="wizard_questionnaire_activate",
        )
        return [preview, activate, *super().get_urls()]

    def activate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The change page's "Make this the questionnaire visitors take" button."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        questionnaire = get_object_or_404(Questionnaire, pk=object_id)
        if not self.has_change_permission(request, questionnaire):
            raise PermissionDenied
        questionnaire_activate(questionnaire=questionnaire)
        self.message_user(request, f"“{questionnaire}” is now the questionnaire visitors take.")
        return redirect("admin:wizard_questionnaire_change", questionnaire.pk)

    def scoring_preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Every way to answer the questionnaire, scored: what the weights really do."""
        questionnaire = get_object_or_404(Questionnaire, pk=object_id)
        if not self.has_view_permission(request, questionnaire):
            raise PermissionDenied
        weights = load_weights(questionnaire)  # Not the cache: show exactly what is saved.
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": questionnaire,
            "title": f"Scoring preview: {questionnaire}",
            "preview": preview_scoring(weights),
            "weights": weights,
            "limit": DEFAULT_LIMIT,
            "near_tie_extra": NEAR_TIE_EXTRA,
            "change_url": reverse("admin:wizard_questionnaire_change", args=[questionnaire.pk]),
        }
        return TemplateResponse(request, "admin/wizard/questionnaire/scoring_preview.html", context)


@admin.register(Question)
class QuestionAdmin(GermanGaps, TranslationAdmin):
    list_display = ["text", "questionnaire", "order", "kind", "german"]
    list_filter = ["questionnaire", "kind", GermanFilter]
    list_select_related = ["questionnaire"]
    search_fields = ["text_en", "text_de"]
    fields = [
        "questionnaire",
        "order",
        *side_by_side("text", "help_text"),
        "kind",
        "next_question",
    ]
    inlines = [ChoiceInline]

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "next_question":
            object_id = request.resolver_match.kwargs.get("object_id")
            questionnaire_id = (
                Question.objects.filter(pk=object_id)
                .values_list("questionnaire_id", flat=True)
                .first()
                if object_id and str(object_id).isdigit()
                else None
            )
            kwargs["queryset"] = Question.objects.filter(questionnaire_id=questionnaire_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class CompletionFilter(admin.SimpleListFilter):
    title = "completion"
    parameter_name = "completed"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("yes", "Completed"), ("no", "Unfinished")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.completed()
        if self.value() == "no":
            return queryset.unfinished()
        return queryset


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    """Read-only: attempts are the visitors' record. Superusers may delete (e.g. tests)."""

    list_display = ["id", "started_at", "completed_at", "outcome", "csm_score", "cspo_score"]
    list_filter = ["outcome", CompletionFilter, "questionnaire", "utm_source"]
    list_select_related = ["questionnaire"]
    date_hierarchy = "started_at"
    fields = [
        "id",
        "questionnaire",
        "started_at",
        "completed_at",
        "step",
        "outcome",
        "csm_score",
        "cspo_score",
        "answers_readable",
        "reasons",
        *UTM_KEYS,
        "referrer",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Attempt | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Attempt | None = None) -> bool:
        return request.user.is_superuser

    @admin.display(description="answers")
    def answers_readable(self, obj: Attempt) -> str:
        if answers := obj.result_texts()["answers"]:
            rows = [(a["question"], ", ".join(a["choices"])) for a in answers]
        else:
            # Unfinished: the ids recorded so far, named from the questionnaire as it is now.
            weights = load_weights(obj.questionnaire)
            rows = [
                (q.text, ", ".join(c.text for c in q.choices if c.id in obj.answers[str(q.id)]))
                for q in weights.questions
                if isinstance(obj.answers.get(str(q.id)), list)
            ]
        if not rows:
            return "No answers yet"
        return format_html("<dl>{}</dl>", format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows))

    @admin.display(description="reasons shown")
    def reasons(self, obj: Attempt) -> str:
        items = obj.result_texts()["reasons"]
        if not items:
            return "-"
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((r,) for r in items))
        )
