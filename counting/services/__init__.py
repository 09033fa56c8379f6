"""Writes for counting, by topic: entries, sessions, schedule, sheets."""

from counting.services.entries import (
    EntryResult,
    count_entry_add,
    count_entry_undo,
    sku_resolve,
)
from counting.services.schedule import (
    cycle_count_candidates,
    cycle_count_propose,
    daily_count_schedule,
    full_count_due,
    full_count_remind,
)
from counting.services.sessions import (
    ApproveResult,
    SubmitResult,
    session_approve,
    session_create,
    session_reject,
    session_start,
    session_submit,
)
from counting.services.sheets import ImportResult, sheet_import, sheet_xlsx

__all__ = [
    "ApproveResult",
    "EntryResult",
    "ImportResult",
    "SubmitResult",
    "count_entry_add",
    "count_entry_undo",
    "cycle_count_candidates",
    "cycle_count_propose",
    "daily_count_schedule",
    "full_count_due",
    "full_count_remind",
    "session_approve",
    "session_create",
    "session_reject",
    "session_start",
    "session_submit",
    "sheet_import",
    "sheet_xlsx",
    "sku_resolve",
]
