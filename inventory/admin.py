from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from inventory import audit
from inventory.catalog import SKU_AUDITED_FIELDS, sku_audit_change
from inventory.models import (
    SKU,
    AdminNotice,
    AuditEntry,
    Category,
    ImportJob,
    StockBalance,
    StockMovement,
    Supplier,
    Warehouse,
)
from inventory.roles import role_of

admin.site.site_header = _("Stockwise administration")


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "timezone", "allow_negative_stock")
    search_fields = ("code", "name")
    filter_horizontal = ("members",)


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "lead_time_days", "logistics_days", "lead_time_std_days")
    search_fields = ("name",)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "external_id", "turnover_min", "turnover_max")
    search_fields = ("name",)


@admin.register(SKU)
class SKUAdmin(admin.ModelAdmin):
    list_display = ("seller_sku", "name", "category", "supplier", "unit_cost", "active")
    list_filter = ("active", "category", "supplier")
    search_fields = ("seller_sku", "tiktok_sku_id", "barcode", "name")
    list_select_related = ("category", "supplier")

    def save_model(self, request, obj, form, change):
        """Saved with the audit history, like every other SKU edit."""
        if not change:
            super().save_model(request, obj, form, change)
            after = audit.snapshot(obj, SKU_AUDITED_FIELDS)
            audit.record(
                user=request.user, action=audit.SKU_CREATE, obj=obj, after=after, source="admin"
            )
            return
        before = audit.snapshot(SKU.objects.get(pk=obj.pk), SKU_AUDITED_FIELDS)
        super().save_model(request, obj, form, change)
        sku_audit_change(sku=obj, before=before, user=request.user, source="admin")


class ReadOnlyAdmin(admin.ModelAdmin):
    """The ledger is immutable: the admin may look, never change."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "occurred_at",
        "warehouse",
        "sku",
        "kind",
        "quantity",
        "source",
        "external_ref",
        "user",
    )
    list_filter = ("kind", "warehouse", "source")
    search_fields = ("sku__seller_sku", "external_ref")
    list_select_related = ("warehouse", "sku", "user")
    show_full_result_count = False


@admin.register(StockBalance)
class StockBalanceAdmin(ReadOnlyAdmin):
    list_display = ("warehouse", "sku", "on_hand", "updated_at")
    list_filter = ("warehouse",)
    search_fields = ("sku__seller_sku",)
    list_select_related = ("warehouse", "sku")
    show_full_result_count = False


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "warehouse", "original_name", "status", "user", "created_at")
    list_filter = ("kind", "status", "warehouse")
    list_select_related = ("warehouse", "user")


class WarehouseMembershipInline(admin.TabularInline):
    """Warehouses a user belongs to, edited on the user's admin page."""

    model = Warehouse.members.through
    extra = 1
    verbose_name = _("warehouse membership")
    verbose_name_plural = _("warehouse memberships")


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StockwiseUserAdmin(UserAdmin):
    inlines = [WarehouseMembershipInline]
    list_display = ("username", "email", "role", "is_active", "last_login")

    @admin.display(description=_("role"))
    def role(self, obj):
        found = role_of(obj)
        return found.label if found else "—"


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "action", "object_type", "object_repr", "source")
    list_filter = ("action", "object_type", "source")
    search_fields = ("object_repr", "object_id", "user__username")
    list_select_related = ("user",)
    date_hierarchy = "at"


@admin.register(AdminNotice)
class AdminNoticeAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "opened_at", "last_seen_at", "resolved_at", "resolved_by")
    list_filter = ("kind", ("resolved_at", admin.EmptyFieldListFilter))
    readonly_fields = (
        "kind",
        "title",
        "detail",
        "data",
        "opened_at",
        "last_seen_at",
        "resolved_at",
        "resolved_by",
    )
    actions = ["mark_resolved"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Mark the selected notices resolved"))
    def mark_resolved(self, request, queryset):
        from inventory.notices import admin_notices_resolve

        admin_notices_resolve(ids=list(queryset.values_list("pk", flat=True)), user=request.user)
