from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.html import format_html

from embed.models import EmbedSite
from embed.services import normalise_origin
from embed.snippet import embed_snippet


class EmbedSiteForm(forms.ModelForm):
    class Meta:
        model = EmbedSite
        fields = ["origin", "name", "is_active"]

    def clean_origin(self) -> str:
        try:
            return normalise_origin(self.cleaned_data["origin"])
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None


@admin.register(EmbedSite)
class EmbedSiteAdmin(admin.ModelAdmin):
    form = EmbedSiteForm
    list_display = ["name", "origin", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "origin"]
    readonly_fields = ["snippet"]

    def get_fields(self, request: HttpRequest, obj: EmbedSite | None = None) -> list[str]:
        return ["origin", "name", "is_active", *(["snippet"] if obj else [])]

    @admin.display(description="Snippet to paste into the host page")
    def snippet(self, obj: EmbedSite) -> str:
        return format_html(
            '<textarea readonly rows="4" cols="90" aria-label="Snippet">{}</textarea>',
            embed_snippet(obj),
        )
