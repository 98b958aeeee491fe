"""The site copy marketers write in every language (modeltranslation adds name_en, name_de
and so on; reading `name` gives the active language's text, or the English when empty)."""

from modeltranslation.translator import TranslationOptions, register

from certguide.models import Certification, CertificationPoint, PageSection


@register(Certification)
class CertificationTranslation(TranslationOptions):
    # Not the slug (the same address in every language) nor the code (CSM, CSPO).
    fields = (
        "name",
        "role",
        "summary",
        "focus",
        "primary_role",
        "key_skills",
        "main_goal",
        "target_audience",
    )
    required_languages = ("en",)


@register(CertificationPoint)
class CertificationPointTranslation(TranslationOptions):
    fields = ("title", "text")
    required_languages = {"en": ("text",)}


@register(PageSection)
class PageSectionTranslation(TranslationOptions):
    fields = ("title", "body")
    required_languages = {"en": ("body",)}
