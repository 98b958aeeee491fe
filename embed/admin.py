import csv

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html_join

from embed.models import EmbedSite
from embed.services import normalise_origin
from embed.snippet import embed_snippet
from leads.dashboard import by_embed_site
from leads.models import Lead
from wizard.models import Attempt


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
    actions = ["download_figures"]

    def get_fields(self, request: HttpRequest, obj: EmbedSite | None = None) -> list[str]:
        return ["origin", "name", "is_active", *(["snippet"] if obj else [])]

    @admin.display(description="Snippet to paste into the host page")
    def snippet(self, obj: EmbedSite) -> str:
        # One per language: the German one frames the quiz at /de/embed/ (data-certguide-
        # language="de" on the element).
        return format_html_join(
            "",
            '<p>{}</p><textarea readonly rows="4" cols="90" aria-label="Snippet ({})">{}'
            "</textarea>",
            ((name, name, embed_snippet(obj, language=code)) for code, name in settings.LANGUAGES),
        )

    @admin.action(description="Download attempts and leads of the selected sites (CSV)")
    def download_figures(self, request: HttpRequest, queryset: QuerySet[EmbedSite]) -> HttpResponse:
        """All-time attempts and leads per selected site; the dashboard has them by date.
        No formula neutralising is needed: names start with a letter or digit, origins
        with http."""
        sites = {site.placement: site for site in queryset}
        groups = {
            g.placement: g
            for g in by_embed_site(
                Attempt.objects.filter(embed__placement__in=sites),
                Lead.objects.filter(placement__in=sites),
            )
        }
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="embed-sites.csv"'
        response.write("\ufeff")  # so Excel reads UTF-8
        writer = csv.writer(response)
        writer.writerow(["name", "origin", "placement", "attempts started", "attempts completed",
                         "leads", "leads confirmed"])  # fmt: skip
        for placement, site in sorted(sites.items()):
            g = groups.get(placement)
            counts = (g.started, g.completed, g.leads, g.confirmed) if g else (0, 0, 0, 0)
            writer.writerow([site.name, site.origin, placement, *counts])
        return response
