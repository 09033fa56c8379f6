"""System checks of the replenishment settings."""

from django.conf import settings
from django.core.checks import Error, register

SS_METHODS = ("normal", "spike")


@register()
def ss_method_check(app_configs, **kwargs):
    """STOCKWISE["SS_METHOD"] must be one the nightly recompute knows."""
    method = settings.STOCKWISE.get("SS_METHOD", "normal")
    if method not in SS_METHODS:
        return [
            Error(
                f'STOCKWISE["SS_METHOD"] = {method!r} is not one of {", ".join(SS_METHODS)}.',
                id="alerts.E001",
            )
        ]
    return []
