"""A training material's title and description in every language (one file or link)."""

from modeltranslation.translator import TranslationOptions, register

from leads.models import TrainingMaterial


@register(TrainingMaterial)
class TrainingMaterialTranslation(TranslationOptions):
    fields = ("title", "description")
    required_languages = {"en": ("title",)}
