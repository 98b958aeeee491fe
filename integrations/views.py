"""Flow-back receivers: an email service tells us someone unsubscribed there."""

import json

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from integrations.models import Connection
from integrations.services import connection_apply_unsubscribe


def unsubscribed_addresses(kind: str, request: HttpRequest) -> list[str]:
    """The addresses an unsubscribe webhook names, in each vendor's documented shape;
    raises ValueError for a body that is not one."""
    if kind == Connection.Kind.MAILCHIMP:
        # Form-encoded: type=unsubscribe&data[email]=…
        if request.POST.get("type") != "unsubscribe":
            return []
        return [request.POST["data[email]"]] if request.POST.get("data[email]") else []
    body = json.loads(request.body)
    if not isinstance(body, dict):
        raise ValueError("The body is not a JSON object.")
    if kind == Connection.Kind.BREVO:
        if body.get("event") not in ("unsubscribe", "unsubscribed"):
            return []
        return [body["email"]] if isinstance(body.get("email"), str) else []
    subscriber = body.get("subscriber")  # Kit: {"subscriber": {"email_address", "state"}}
    if not isinstance(subscriber, dict) or subscriber.get("state") != "cancelled":
        return []
    address = subscriber.get("email_address")
    return [address] if isinstance(address, str) else []


# No CSRF: the email service posts from its own servers; the unguessable token in the
# path is what proves the caller is the service we gave it to.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def inbound(request: HttpRequest, token: str) -> HttpResponse:
    connection = Connection.objects.filter(inbound_token=token, is_active=True).first()
    if connection is None:
        raise Http404
    if request.method != "POST":
        return HttpResponse("ok", content_type="text/plain")  # Mailchimp checks with a GET.
    try:
        addresses = unsubscribed_addresses(connection.kind, request)
    except (ValueError, UnicodeDecodeError):
        return HttpResponseBadRequest("Expected the email service's webhook body.")
    for address in addresses[:1]:
        try:
            connection_apply_unsubscribe(connection=connection, email=address)
        except ValidationError:
            return HttpResponseBadRequest("The address in the body is not valid.")
    # The same answer whether or not we knew the address.
    return HttpResponse("ok", content_type="text/plain")
