from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = _("Inventory")

    def ready(self):
        from inventory import hooks
        from inventory.abc import abc_classify
        from inventory.ageing import ageing_facts_update
        from inventory.facts import facts_ensure_rows

        hooks.register_nightly_step(0, "facts rows", facts_ensure_rows)
        hooks.register_nightly_step(20, "abc", abc_classify)
        hooks.register_nightly_step(30, "ageing", ageing_facts_update)
