"""Content admin: marketers edit the certifications and the page copy without a deploy."""

from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html_join
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from certguide.models import PAGE_SECTIONS, Certification, CertificationPoint, PageSection
from certguide.translation_admin import GermanFilter, GermanGaps, side_by_side


class PointFormSet(BaseInlineFormSet):
    kind: str = ""

    def save_new(self, form, commit=True):
        # The list a row belongs to comes from the inline it was typed into.
        form.instance.kind = self.kind
        return super().save_new(form, commit=commit)


class PointInline(TranslationTabularInline):
    """One of a certification's ordered lists, as its own table of rows (each text in English
    and German, side by side)."""

    model = CertificationPoint
    formset = PointFormSet
    kind: str = ""
    fields = ["order", "title", "text"]
    extra = 1

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).filter(kind=self.kind)

    def get_formset(self, request: HttpRequest, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.kind = self.kind
        return formset


class ResponsibilityInline(PointInline):
    kind = CertificationPoint.Kind.RESPONSIBILITY
    verbose_name = "key responsibility of the role"
    verbose_name_plural = "key responsibilities of the role"


class BenefitInline(PointInline):
    kind = CertificationPoint.Kind.BENEFIT
    verbose_name = "benefit of the certification"
    verbose_name_plural = "benefits of the certification"


class AudienceInline(PointInline):
    kind = CertificationPoint.Kind.AUDIENCE
    verbose_name = "who should consider it"
    verbose_name_plural = "who should consider it"


@admin.register(Certification)
class CertificationAdmin(GermanGaps, TranslationAdmin):
    list_display = ["code", "name", "role", "order", "german", "updated_at"]
    list_filter = [GermanFilter]
    ordering = ["order", "code"]
    readonly_fields = ["slug", "updated_at"]
    fieldsets = [
        (
            None,
            {
                "description": "Each text in English and German. A German text left empty "
                "shows the English to German visitors.",
                "fields": [
                    "code",
                    "slug",
                    "order",
                    *side_by_side("name", "role", "summary"),
                ],
            },
        ),
        (
            "Key differences table",
            {
                "description": "One row each on the comparison page, beside the other "
                "certification.",
                "fields": side_by_side(*(field for field, _ in Certification.COMPARISON_ROWS)),
            },
        ),
        (None, {"fields": ["updated_at"]}),
    ]
    inlines = [ResponsibilityInline, BenefitInline, AudienceInline]

    # The site compares exactly these two certifications: pages, the wizard's outcomes
    # and links all expect them, so they are edited, never added or removed here.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(PageSection)
class PageSectionAdmin(GermanGaps, TranslationAdmin):
    list_display = ["slug", "title", "shown_on", "german", "updated_at"]
    list_filter = [GermanFilter]
    search_fields = ["slug", "title_en", "title_de", "body_en", "body_de"]
    fields = ["slug", "shown_on", *side_by_side("title", "body"), "updated_at"]
    readonly_fields = ["shown_on", "updated_at"]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        # Pages find a section by its slug; renaming it would make the text vanish.
        return [*self.readonly_fields, "slug"] if obj else self.readonly_fields

    @admin.display(description="shown on")
    def shown_on(self, obj: PageSection) -> str:
        paths = [(reverse(name),) for name, slugs in PAGE_SECTIONS.items() if obj.slug in slugs]
        return format_html_join(", ", '<a href="{0}">{0}</a>', paths) or "not on any page"
