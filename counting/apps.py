from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CountingConfig(AppConfig):
    name = "counting"
    verbose_name = _("Counting")

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from counting.selectors import annotate_last_counted
        from counting.tiles import accuracy_tile, todays_counts_tile
        from inventory import hooks

        hooks.register_sku_list_column(
            hooks.SkuListColumn("last_counted", _("Last counted"), annotate_last_counted)
        )
        hooks.register_dashboard_tile(todays_counts_tile)
        hooks.register_dashboard_tile(accuracy_tile)
