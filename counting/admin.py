from django.contrib import admin

from counting.models import CountEntry, CountLine, CountSession, FullCountReminder


class CountLineInline(admin.TabularInline):
    model = CountLine
    extra = 0
    fields = ("sku", "bin", "abc_class", "counted_qty", "expected_qty", "recount_qty", "variance")
    readonly_fields = fields
    can_delete = False


@admin.register(CountSession)
class CountSessionAdmin(admin.ModelAdmin):
    list_display = ("id", "warehouse", "kind", "status", "created_at", "approved_by", "approved_at")
    list_filter = ("warehouse", "kind", "status")
    readonly_fields = ("status", "approved_by", "approved_at", "rejected_by", "rejected_at")
    inlines = [CountLineInline]


@admin.register(CountEntry)
class CountEntryAdmin(admin.ModelAdmin):
    list_display = ("id", "line", "phase", "quantity", "user", "source", "created_at", "undone_at")
    list_filter = ("phase", "source")
    list_select_related = ("line", "user")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(FullCountReminder)
