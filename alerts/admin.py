from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from alerts.emails import outbox_retry
from alerts.models import Alert, EmailPreference, OutboxEmail, PlanningFigures


@admin.register(PlanningFigures)
class PlanningFiguresAdmin(admin.ModelAdmin):
    list_display = (
        "warehouse",
        "sku",
        "status",
        "on_hand",
        "on_order",
        "safety_stock_units",
        "reorder_point_units",
        "suggested_order_qty",
        "ad_advice",
        "computed_at",
    )
    list_filter = ("status", "ad_advice", "warehouse")
    search_fields = ("sku__seller_sku",)
    list_select_related = ("warehouse", "sku")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = (
        "warehouse",
        "sku",
        "status",
        "severity",
        "opened_at",
        "acknowledged_by",
        "acknowledged_at",
        "resolved_at",
    )
    list_filter = ("status", "severity", "warehouse")
    search_fields = ("sku__seller_sku",)
    list_select_related = ("warehouse", "sku", "acknowledged_by")
    readonly_fields = [f.name for f in Alert._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    list_display = (
        "dedup_key",
        "kind",
        "status",
        "attempts",
        "created_at",
        "sent_at",
        "last_error",
    )
    list_filter = ("status", "kind", "language")
    search_fields = ("dedup_key", "subject")
    readonly_fields = [f.name for f in OutboxEmail._meta.fields]
    actions = ["retry_failed"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Retry the selected failed emails"))
    def retry_failed(self, request, queryset):
        count = outbox_retry(list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext("%d email queued again.", "%d emails queued again.", count) % count,
            messages.SUCCESS,
        )


@admin.register(EmailPreference)
class EmailPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "language")
    list_filter = ("language",)
