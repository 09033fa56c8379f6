from django.contrib import admin

from clearance.models import ClearanceBatch, ClearanceLine


class ClearanceLineInline(admin.TabularInline):
    model = ClearanceLine
    extra = 0
    can_delete = False
    raw_id_fields = ("sku", "bundle_with", "movement", "decided_by", "done_by")
    readonly_fields = ("movement",)


@admin.register(ClearanceBatch)
class ClearanceBatchAdmin(admin.ModelAdmin):
    list_display = ("id", "warehouse", "status", "origin", "created_at", "decided_by", "closed_at")
    list_filter = ("status", "warehouse")
    raw_id_fields = ("proposed_by", "decided_by", "closed_by")
    inlines = [ClearanceLineInline]
