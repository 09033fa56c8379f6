from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CountingConfig(AppConfig):
    name = "counting"
    verbose_name = _("Counting")

    def ready(self):
        from counting.tiles import accuracy_tile, todays_counts_tile
        from inventory import hooks

        hooks.register_dashboard_tile(todays_counts_tile)
        hooks.register_dashboard_tile(accuracy_tile)
