"""What happens to leads, for apps that react without leads knowing them (integrations).

Sent by leads/services.py inside the write's transaction, so a receiver's own rows commit
or roll back with the lead's.
"""

from django.dispatch import Signal

# lead=Lead, just confirmed (double opt-in done).
lead_confirmed = Signal()
# lead=Lead, a confirmed lead whose details changed.
lead_updated = Signal()
# lead=Lead, just unsubscribed (confirmed_at tells whether it had ever confirmed).
lead_unsubscribed = Signal()
# leads=list[Lead], about to be deleted (a GDPR erase or the purge), a batch at a time so
# a receiver can do its work in a few queries however many leads go.
leads_erased = Signal()
# lead_id=int: a mail is owed to that lead. Sent inside the transaction that owes it when
# the task queue is in the database (the queued task then commits or rolls back with it),
# else once that transaction has committed (a rollback owes nothing); see
# leads.services._announce_owed_mail. leads.tasks listens (connected in
# LeadsConfig.ready()) and queues a sender, so tasks import services and never the other
# way round.
mail_owed = Signal()
