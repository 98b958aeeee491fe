"""Where the site's task queue stands relative to the caller's database transaction."""

from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db import DatabaseBackend


def queued_with_transaction() -> bool:
    """True when tasks (on the default backend, which every task of the site uses) are
    rows in the site's own database: a task queued inside a transaction then commits or
    rolls back with it, an outbox that costs no commit of its own.

    Otherwise a caller queues after its commit (transaction.on_commit), so that the
    immediate backend never acts on writes that might still roll back."""
    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend)
