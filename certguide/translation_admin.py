"""What the admins of translated texts share: English and German side by side, and the
German that is still missing (visitors then read the English) flagged in the changelist
and on the change form."""

from django.conf import settings
from django.contrib import admin, messages
from django.db import models
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html, format_html_join
from modeltranslation.translator import NotRegistered, translator

# The language every text must have, and the ones that may lag behind it.
ENGLISH = settings.MODELTRANSLATION_DEFAULT_LANGUAGE
OTHERS = [code for code, _ in settings.LANGUAGES if code != ENGLISH]


def side_by_side(*names: str) -> list[tuple[str, ...]]:
    """Fieldset lines with each text's languages next to each other (English first)."""
    return [tuple(f"{name}_{code}" for code in (ENGLISH, *OTHERS)) for name in names]


def translated_fields(model: type[models.Model]) -> tuple[str, ...]:
    """The model's translated texts, in the model's field order."""
    try:
        names = set(translator.get_options_for_model(model).fields)
    except NotRegistered:
        return ()
    return tuple(field.name for field in model._meta.fields if field.name in names)


def missing_german(obj: models.Model) -> list[str]:
    """The names of the obj's texts that have English but no German (in field order)."""
    return [
        name
        for name in translated_fields(type(obj))
        for code in OTHERS
        if getattr(obj, f"{name}_{ENGLISH}") and not getattr(obj, f"{name}_{code}")
    ]


def missing_german_q(model: type[models.Model]) -> Q:
    """Rows with at least one text in English and not in another language."""
    condition = Q(pk__in=[])
    for name in translated_fields(model):
        for code in OTHERS:
            condition |= (
                Q(**{f"{name}_{ENGLISH}__isnull": False})
                & ~Q(**{f"{name}_{ENGLISH}": ""})
                & (Q(**{f"{name}_{code}__isnull": True}) | Q(**{f"{name}_{code}": ""}))
            )
    return condition


def _labels(obj: models.Model, names: list[str]) -> str:
    return ", ".join(str(obj._meta.get_field(name).verbose_name) for name in names)


class GermanFilter(admin.SimpleListFilter):
    title = "German"
    parameter_name = "german"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("missing", "German missing"), ("complete", "German complete")]

    def queryset(self, request: HttpRequest, queryset: models.QuerySet) -> models.QuerySet:
        if self.value() == "missing":
            return queryset.filter(missing_german_q(queryset.model))
        if self.value() == "complete":
            return queryset.exclude(missing_german_q(queryset.model))
        return queryset


class GermanGaps:
    """A ModelAdmin mixin: the "German" changelist column, and a warning on the change form
    listing every text of the object and of its inline rows that has no German yet."""

    @admin.display(description="German")
    def german(self, obj: models.Model) -> str:
        missing = missing_german(obj)
        return f"missing: {_labels(obj, missing)}" if missing else "complete"

    def german_gaps(self, request: HttpRequest, obj: models.Model) -> list[str]:
        """One line per row with German missing: which row, which texts."""
        gaps = []
        if missing := missing_german(obj):
            gaps.append(f"this {obj._meta.verbose_name}: {_labels(obj, missing)}")
        for inline in self.get_inline_instances(request, obj):
            if not translated_fields(inline.model):
                continue
            for row in inline.get_queryset(request).filter(**{_fk_name(inline): obj}):
                if missing := missing_german(row):
                    gaps.append(f"{inline.verbose_name} “{row}”: {_labels(row, missing)}")
        return gaps

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
    ) -> HttpResponse:
        obj = self.get_object(request, object_id) if request.method == "GET" else None
        if obj is not None and (gaps := self.german_gaps(request, obj)):
            self.message_user(
                request,
                format_html(
                    "German missing (German visitors read the English instead): <ul>{}</ul>",
                    format_html_join("", "<li>{}</li>", ((gap,) for gap in gaps)),
                ),
                messages.WARNING,
            )
        return super().change_view(request, object_id, form_url, extra_context)


def _fk_name(inline: admin.options.InlineModelAdmin) -> str:
    if inline.fk_name:
        return inline.fk_name
    return next(
        field.name
        for field in inline.model._meta.fields
        if isinstance(field, models.ForeignKey) and field.related_model is inline.parent_model
    )
