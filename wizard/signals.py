"""What happens to quiz attempts, for apps that react without wizard knowing them."""

from django.dispatch import Signal

# attempt=Attempt, just scored; sent inside attempt_complete's transaction.
quiz_completed = Signal()
