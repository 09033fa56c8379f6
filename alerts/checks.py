"""System checks of the replenishment settings."""

from django.conf import settings
from django.core.checks import Error, Warning, register

SS_METHODS = ("normal", "spike")


@register()
def ss_method_check(app_configs, **kwargs):
    """STOCKWISE["SS_METHOD"] must be known; "spike" is not computed by the nightly SQL yet."""
    method = settings.STOCKWISE.get("SS_METHOD", "normal")
    if method not in SS_METHODS:
        return [
            Error(
                f'STOCKWISE["SS_METHOD"] = {method!r} is not one of {", ".join(SS_METHODS)}.',
                id="alerts.E001",
            )
        ]
    if method == "spike":
        return [
            Warning(
                'STOCKWISE["SS_METHOD"] = "spike" exists as pure functions (alerts/spike.py) and '
                "in the simulation only; the nightly recompute still uses DOMAIN.md's formula.",
                hint="See docs/simulation.md.",
                id="alerts.W001",
            )
        ]
    return []
