"""What visitors read of a questionnaire, in every language. Points, jumps and kinds have
no language, so one questionnaire scores the same in English and German; its name is only
seen in the admin."""

from modeltranslation.translator import TranslationOptions, register

from wizard.models import Choice, Question


@register(Question)
class QuestionTranslation(TranslationOptions):
    fields = ("text", "help_text")
    required_languages = {"en": ("text",)}


@register(Choice)
class ChoiceTranslation(TranslationOptions):
    fields = ("text", "explanation")
    required_languages = {"en": ("text",)}
