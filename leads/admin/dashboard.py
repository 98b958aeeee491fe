"""The leads admin's funnel dashboard page."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone

from leads.charts import charts
from leads.dashboard import DateRangeForm, dashboard_figures, default_range


class LeadDashboardView:
    """For LeadAdmin: the dashboard, for whoever may view leads."""

    def dashboard_view(self, request: HttpRequest) -> TemplateResponse:
        """The funnel dashboard for a date range (GET; defaults to the last 30 days)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        data = request.GET if ("start" in request.GET or "end" in request.GET) else None
        form = DateRangeForm(data or default_range(today))
        context = {
            **self.admin_site.each_context(request),
            "title": "Funnel dashboard",
            "opts": self.opts,
            "form": form,
        }
        if form.is_valid():
            figures = dashboard_figures(
                start=form.cleaned_data["start"], end=form.cleaned_data["end"]
            )
            drawn = charts(figures)
            context |= {
                "figures": figures,
                "charts": drawn,
                "splits": [
                    (
                        "By placement",
                        "placement",
                        drawn["by_placement"],
                        figures.by_placement,
                        "Placement",
                    ),
                    (
                        "By UTM source",
                        "source",
                        drawn["by_source"],
                        figures.by_source,
                        "UTM source",
                    ),
                    (
                        "By language",
                        "language",
                        drawn["by_language"],
                        figures.by_language,
                        "Language",
                    ),
                ],
            }
        return TemplateResponse(request, "admin/leads/dashboard.html", context)
