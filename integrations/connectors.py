"""Email-service connectors: Mailchimp (Marketing API 3.0), Brevo (API v3), Kit (API v4).

Plain HTTP against each vendor's documented API through the one client (integrations.http);
their SDKs are stale or missing. Each connector turns an event into the vendor's calls:
confirmed/updated upsert the contact (with tags or attributes), unsubscribed unsubscribes,
erased deletes (Kit has no delete: it unsubscribes). A call answers a `Sent`.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import httpx

from integrations import http
from integrations.models import Connection, EventType, RemoteContact

# Mailchimp errors that no retry can fix (its API answers them with a 400 "title").
MAILCHIMP_PERMANENT = ("Member In Compliance State", "Forgotten Email Not Subscribed")


@dataclass
class Sent:
    """How one attempt went. `retry` is False when trying again cannot help."""

    ok: bool
    status_code: int | None = None
    error: str = ""
    retry: bool = True
    retry_after: float | None = None


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None


def judge(response: httpx.Response, *, gone_is_done: bool = False) -> Sent:
    """2xx is done; 404 too where the aim was to remove; 408, 429 and 5xx are retried;
    other 4xx are the vendor refusing, recorded with its message and not retried."""
    code = response.status_code
    if 200 <= code < 300 or (gone_is_done and code == 404):
        return Sent(ok=True, status_code=code)
    transient = code in (408, 429) or code >= 500
    return Sent(
        ok=False,
        status_code=code,
        error=vendor_message(response),
        retry=transient,
        retry_after=retry_after(response) if code == 429 else None,
    )


def vendor_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:300]}"
    if isinstance(body, dict):
        parts = [body.get("title"), body.get("detail"), body.get("message"), body.get("code")]
        errors = body.get("errors")
        if isinstance(errors, list):
            parts += [str(e) for e in errors]
        text = ": ".join(str(p) for p in parts if p)
        if text:
            return f"HTTP {response.status_code}: {text}"
    return f"HTTP {response.status_code}"


def tags_for(connection: Connection, data: dict) -> list[str]:
    mapping = connection.tag_mapping if isinstance(connection.tag_mapping, dict) else {}
    values = [data.get("outcome") or "", data.get("placement") or ""]
    return [str(mapping.get(v, v)) for v in values if v and mapping.get(v, v)]


def remember(connection: Connection, lead_id: int, remote_id: str) -> None:
    RemoteContact.objects.update_or_create(
        connection=connection, lead_id=lead_id, defaults={"remote_id": remote_id}
    )


def remote_id(connection: Connection, lead_id: int) -> str | None:
    found = RemoteContact.objects.filter(connection=connection, lead_id=lead_id).first()
    return found.remote_id if found else None


def forget(connection: Connection, lead_id: int) -> None:
    RemoteContact.objects.filter(connection=connection, lead_id=lead_id).delete()


# --- Mailchimp -------------------------------------------------------------------


def mailchimp(client: httpx.Client, connection: Connection, event_type: str, data: dict) -> Sent:
    key = connection.api_key
    base = connection.api_base_url.rstrip("/")
    if not base:
        datacenter = key.rsplit("-", 1)[-1] if "-" in key else "us1"
        base = f"https://{datacenter}.api.mailchimp.com/3.0"
    auth = httpx.BasicAuth("certguide", key)
    members = f"{base}/lists/{quote(connection.list_id, safe='')}/members"
    lead_id = data["lead_id"]

    if event_type == EventType.LEAD_ERASED:
        member = remote_id(connection, lead_id)
        if member is None:
            return Sent(ok=True, error="Never synced: nothing to delete.")
        response = http.send(
            client, "POST", f"{members}/{member}/actions/delete-permanent", auth=auth
        )
        sent = judge(response, gone_is_done=True)
        if sent.ok:
            forget(connection, lead_id)
        return permanent_if_known(sent)

    # The member's id is the MD5 of the lower-cased address (Mailchimp's subscriber hash).
    member = hashlib.md5(data["email"].lower().encode(), usedforsecurity=False).hexdigest()
    if event_type == EventType.LEAD_UNSUBSCRIBED:
        response = http.send(
            client, "PATCH", f"{members}/{member}", auth=auth, json={"status": "unsubscribed"}
        )
        return permanent_if_known(judge(response, gone_is_done=True))

    body = {
        "email_address": data["email"],
        "status_if_new": "subscribed",
        "merge_fields": {"FNAME": data.get("first_name", "")},
    }
    if event_type == EventType.LEAD_CONFIRMED:
        body["status"] = "subscribed"  # A new double opt-in is fresh consent.
    sent = permanent_if_known(
        judge(http.send(client, "PUT", f"{members}/{member}", auth=auth, json=body))
    )
    if not sent.ok:
        return sent
    remember(connection, lead_id, member)
    tags = tags_for(connection, data)
    if tags:
        tag_body = {"tags": [{"name": t, "status": "active"} for t in tags]}
        sent = judge(
            http.send(client, "POST", f"{members}/{member}/tags", auth=auth, json=tag_body)
        )
    return sent


def permanent_if_known(sent: Sent) -> Sent:
    if not sent.ok and any(title in sent.error for title in MAILCHIMP_PERMANENT):
        sent.retry = False
    return sent


# --- Brevo -----------------------------------------------------------------------


def brevo(client: httpx.Client, connection: Connection, event_type: str, data: dict) -> Sent:
    base = (connection.api_base_url or "https://api.brevo.com/v3").rstrip("/")
    headers = {"api-key": connection.api_key, "Accept": "application/json"}
    lead_id = data["lead_id"]

    if event_type == EventType.LEAD_ERASED:
        contact = remote_id(connection, lead_id)
        if contact is None:
            return Sent(ok=True, error="Never synced: nothing to delete.")
        url = f"{base}/contacts/{contact}?identifierType=contact_id"
        sent = judge(http.send(client, "DELETE", url, headers=headers), gone_is_done=True)
        if sent.ok:
            forget(connection, lead_id)
        return sent

    address = quote(data["email"], safe="")
    if event_type == EventType.LEAD_UNSUBSCRIBED:
        response = http.send(
            client,
            "PUT",
            f"{base}/contacts/{address}",
            headers=headers,
            json={"emailBlacklisted": True},
        )
        return judge(response, gone_is_done=True)

    attributes = {"FIRSTNAME": data.get("first_name", "")}
    tags = tags_for(connection, data)
    if tags:
        attributes["TAGS"] = ",".join(tags)
    body = {"email": data["email"], "attributes": attributes, "updateEnabled": True}
    if connection.list_id.isdigit():
        body["listIds"] = [int(connection.list_id)]
    if event_type == EventType.LEAD_CONFIRMED:
        body["emailBlacklisted"] = False  # A new double opt-in is fresh consent.
    response = http.send(client, "POST", f"{base}/contacts", headers=headers, json=body)
    sent = judge(response)
    if not sent.ok:
        return sent
    # 201 carries the new contact's id; an update (204) does not, so ask for it.
    contact = response.json().get("id") if response.status_code == 201 else None
    if contact is None:
        found = http.send(client, "GET", f"{base}/contacts/{address}", headers=headers)
        if found.status_code != 200:
            return judge(found)
        contact = found.json().get("id")
    remember(connection, lead_id, str(contact))
    return sent


# --- Kit -------------------------------------------------------------------------


def kit(client: httpx.Client, connection: Connection, event_type: str, data: dict) -> Sent:
    base = (connection.api_base_url or "https://api.kit.com/v4").rstrip("/")
    headers = {"X-Kit-Api-Key": connection.api_key, "Accept": "application/json"}
    lead_id = data["lead_id"]

    if event_type in (EventType.LEAD_ERASED, EventType.LEAD_UNSUBSCRIBED):
        # Kit's API has no delete: an erased lead is unsubscribed there.
        subscriber = remote_id(connection, lead_id)
        if subscriber is None and data.get("email"):
            found = http.send(
                client,
                "GET",
                f"{base}/subscribers",
                headers=headers,
                params={"email_address": data["email"]},
            )
            if found.status_code != 200:
                return judge(found)
            listed = found.json().get("subscribers") or []
            subscriber = str(listed[0]["id"]) if listed else None
        if subscriber is None:
            return Sent(ok=True, error="Not in Kit: nothing to unsubscribe.")
        response = http.send(
            client, "POST", f"{base}/subscribers/{subscriber}/unsubscribe", headers=headers, json={}
        )
        sent = judge(response, gone_is_done=True)
        if sent.ok and event_type == EventType.LEAD_ERASED:
            forget(connection, lead_id)
        return sent

    body = {"email_address": data["email"], "first_name": data.get("first_name", "")}
    response = http.send(client, "POST", f"{base}/subscribers", headers=headers, json=body)
    sent = judge(response)
    if not sent.ok:
        return sent
    subscriber = str(response.json()["subscriber"]["id"])
    remember(connection, lead_id, subscriber)
    if connection.list_id:
        form = quote(connection.list_id, safe="")
        url = f"{base}/forms/{form}/subscribers/{subscriber}"
        sent = judge(http.send(client, "POST", url, headers=headers, json={}))
        if not sent.ok:
            return sent
    for name in tags_for(connection, data):
        tag = http.send(client, "POST", f"{base}/tags", headers=headers, json={"name": name})
        if not (sent := judge(tag)).ok:
            return sent
        url = f"{base}/tags/{tag.json()['tag']['id']}/subscribers/{subscriber}"
        if not (sent := judge(http.send(client, "POST", url, headers=headers, json={}))).ok:
            return sent
    return sent


CONNECTORS: dict[str, Callable[[httpx.Client, Connection, str, dict], Sent]] = {
    Connection.Kind.MAILCHIMP: mailchimp,
    Connection.Kind.BREVO: brevo,
    Connection.Kind.KIT: kit,
}
