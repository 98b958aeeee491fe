from django.conf import settings
from django.core.checks import Error, register


@register("integrations", deploy=True)
def encryption_keys_set(app_configs, **kwargs) -> list[Error]:
    if settings.INTEGRATIONS_ENCRYPTION_KEYS:
        return []
    return [
        Error(
            "INTEGRATIONS_ENCRYPTION_KEYS is not set: API keys and webhook secrets cannot be "
            "stored.",
            hint="Generate one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'",
            id="integrations.E001",
        )
    ]
