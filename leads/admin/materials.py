"""Training materials: files or links that confirmed leads get on their materials page."""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path, reverse
from django.views.decorators.http import require_GET
from modeltranslation.admin import TranslationAdmin

from certguide.translation_admin import GermanFilter, GermanGaps, side_by_side
from leads.material_files import ALLOWED, FILE_KINDS, material_download
from leads.models import TrainingMaterial


class MaterialFileInput(forms.ClearableFileInput):
    """The file input whose "Currently:" link goes to the admin's own download."""

    download_url = ""

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        if self.download_url and context["widget"]["is_initial"]:
            context["widget"]["value"] = _LinkedFile(str(value), self.download_url)
        return context


@dataclass(frozen=True)
class _LinkedFile:
    name: str
    url: str

    def __str__(self) -> str:
        return self.name


@admin.register(TrainingMaterial)
class TrainingMaterialAdmin(GermanGaps, TranslationAdmin):
    list_display = ["title", "audience", "is_active", "order", "is_download", "german"]
    list_editable = ["is_active", "order"]
    list_filter = ["audience", "is_active", GermanFilter]
    search_fields = ["title_en", "title_de", "description_en", "description_de"]
    fields = [
        *side_by_side("title", "description"),
        "audience",
        "file",
        "url",
        "order",
        "is_active",
    ]

    def get_urls(self) -> list:
        own = [
            path(
                "<path:object_id>/file/",
                self.admin_site.admin_view(require_GET(self.file_view)),
                name="leads_trainingmaterial_file",
            ),
        ]
        return own + super().get_urls()

    def file_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The uploaded file, for whoever may view the material here (MEDIA_URL is not
        served); sent exactly as visitors get it."""
        material = self.get_object(request, object_id)
        if material is None or not material.file:
            raise Http404("No file for this material.")
        if not self.has_view_permission(request, material):
            raise PermissionDenied
        return material_download(title=material.title, file=material.file)

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)
        if obj is not None and obj.file:
            # "Currently: …" links to the file; by default that is MEDIA_URL, a dead link.
            form.base_fields["file"].widget.download_url = reverse(
                "admin:leads_trainingmaterial_file", args=[obj.pk]
            )
        return form

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "file":
            kwargs["widget"] = MaterialFileInput
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "file":
            field.help_text = (
                f"{ALLOWED[0].upper()}{ALLOWED[1:]}, at most {settings.MATERIAL_MAX_UPLOAD_MB} "
                "MB. Visitors download it from their materials page."
            )
            field.widget.attrs["accept"] = ",".join(f".{name}" for name in FILE_KINDS)
        return field

    @admin.display(description="Kind", boolean=False)
    def is_download(self, material: TrainingMaterial) -> str:
        return "File" if material.file else "Link"
