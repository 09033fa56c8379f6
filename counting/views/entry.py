"""The counter's pages: the scan entry page (htmx), undo, printable sheet, XLSX out and in.

BLIND: nothing here renders an expected quantity or a variance.
"""

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from counting import selectors, services
from counting.forms import EntryForm, SheetImportForm
from counting.models import EntryPhase
from inventory.permissions import capability_required
from inventory.roles import Capability


def _session_to_count(request, pk: int):
    session = selectors.session_to_count_for_user(request.user, pk)
    if not selectors.may_enter_counts(request.user, session):
        raise PermissionDenied
    return session


def _panel(request, session, form, feedback=None):
    """Render the entry panel (htmx) or the whole page around it."""
    recent, last_entry = selectors.recent_and_undoable_entries(session, request.user)
    # The lines waiting for a recount are listed only when there are some.
    progress = selectors.session_progress(session)
    waiting = []
    if progress["waiting"]:
        waiting = [line.sku.seller_sku for line in selectors.lines_waiting_for_recount(session)]
    context = {
        "session": session,
        "form": form,
        "feedback": feedback,
        "last_entry": last_entry,
        "recent": recent,
        "waiting": waiting,
        "progress": progress,
    }
    template = "counting/_entry_panel.html" if request.htmx else "counting/entry.html"
    # Times on the counter's screen are the warehouse's local times.
    with timezone.override(ZoneInfo(session.warehouse.timezone or "UTC")):
        return render(request, template, context)


def _entry_message(result) -> str:
    line = result.line
    if result.entry.phase == EntryPhase.RECOUNT:
        total = _("recounted %(n)s") % {"n": line.recount_qty}
    else:
        total = _("counted %(n)s") % {"n": line.counted_qty}
    text = f"{line.sku.seller_sku} · {line.sku.name}: +{result.entry.quantity} → {total}"
    if not result.created:
        return _("Already recorded (sent twice): %(text)s") % {"text": text}
    return text


@capability_required(Capability.COUNT)
def count_entry(request, pk: int):
    """Scan or type a code and a quantity; Enter records it without reloading the page."""
    session = _session_to_count(request, pk)
    if request.method != "POST":
        return _panel(request, session, EntryForm.fresh())
    form = EntryForm(request.POST)
    if not form.is_valid():
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        return _panel(request, session, form, ("danger", " ".join(errors)))
    data = form.cleaned_data
    try:
        result = services.count_entry_add(
            session=session,
            code=data["code"],
            quantity=data["quantity"],
            user=request.user,
            idempotency_key=data["key"],
        )
    except ValidationError as exc:
        # Nothing was written; the form keeps what was typed so nothing is lost.
        return _panel(request, session, form, ("danger", " ".join(exc.messages)))
    # Its status may have changed (the first entry starts the count); the warehouse has not.
    session.status = result.session_status
    return _panel(request, session, EntryForm.fresh(), ("success", _entry_message(result)))


@require_POST
@capability_required(Capability.COUNT)
def count_undo(request, pk: int):
    session = _session_to_count(request, pk)
    try:
        entry = services.count_entry_undo(
            session=session, entry_id=int(request.POST.get("entry", 0) or 0), user=request.user
        )
        feedback = (
            "warning",
            _("Undone: %(sku)s +%(qty)s.")
            % {"sku": entry.line.sku.seller_sku, "qty": entry.quantity},
        )
    except (ValidationError, ValueError) as exc:
        feedback = ("danger", " ".join(getattr(exc, "messages", [_("Nothing to undo.")])))
    return _panel(request, session, EntryForm.fresh(), feedback)


@capability_required(Capability.COUNT)
def count_sheet(request, pk: int):
    """A printable count sheet: one row per line with an empty box for the count."""
    session = selectors.session_for_user(request.user, pk)
    return render(
        request,
        "counting/sheet.html",
        {"session": session, "lines": selectors.session_lines(session)},
    )


@capability_required(Capability.COUNT)
def count_sheet_xlsx(request, pk: int):
    session = selectors.session_for_user(request.user, pk)
    response = HttpResponse(
        services.sheet_xlsx(session),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="count-{session.pk}-{session.warehouse.code}.xlsx"'
    )
    return response


@capability_required(Capability.COUNT)
def count_sheet_import(request, pk: int):
    """Upload a filled sheet: every row recorded, or none (errors name the rows)."""
    session = _session_to_count(request, pk)
    form = SheetImportForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            result = services.sheet_import(
                session=session, data=form.cleaned_data["file"].read(), user=request.user
            )
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(
                request,
                ngettext(
                    "%(n)s count recorded from the sheet.",
                    "%(n)s counts recorded from the sheet.",
                    result.entries,
                )
                % {"n": result.entries}
                + (
                    " "
                    + _("%(n)s rows were already imported and were skipped.")
                    % {"n": result.already_imported}
                    if result.already_imported
                    else ""
                ),
            )
            return redirect(session)
    return render(
        request, "counting/import.html", {"session": session, "form": form, "errors": errors}
    )
