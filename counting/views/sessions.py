"""Count session pages: list, create, detail (blind), start, submit, review, approve, reject."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin

from counting import selectors, services
from counting.filters import CountSessionFilter
from counting.forms import DecisionForm, SessionCreateForm, SubmitForm
from counting.models import SessionStatus
from counting.tables import BlindLineTable, CountSessionTable, ReviewLineTable
from inventory.exports import SafeExportMixin
from inventory.permissions import CapabilityRequiredMixin, capability_required
from inventory.roles import Capability, can


class SessionListView(CapabilityRequiredMixin, SafeExportMixin, SingleTableMixin, FilterView):
    capability = Capability.COUNT
    table_class = CountSessionTable
    filterset_class = CountSessionFilter
    template_name = "counting/session_list.html"
    # The table paginates; ListView's own pagination would count the rows twice.
    table_pagination = {"per_page": 50}
    export_name = "count-sessions"

    def get_queryset(self):
        return selectors.sessions_for(self.request.user)


@capability_required(Capability.COUNT)
def session_create(request):
    form = SessionCreateForm(request.POST or None, user=request.user, initial=request.GET.dict())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = services.session_create(
                warehouse=data["warehouse"],
                kind=data["kind"],
                user=request.user,
                skus=data["sku_list"],
                bins=data["bins"],
                counters=data["counters"],
                comment=data["comment"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("Count #%(id)s created with %(n)s lines.")
                % {"id": session.pk, "n": session.lines.count()},
            )
            return redirect(session)
    return render(request, "counting/session_form.html", {"form": form})


@capability_required(Capability.COUNT)
def session_detail(request, pk: int):
    """The session as a counter sees it: lines and their state, never an expected quantity."""
    session = selectors.session_for_user(request.user, pk)
    table = BlindLineTable(selectors.session_lines(session))
    RequestConfig(request, paginate={"per_page": 100}).configure(table)
    context = {
        "session": session,
        "table": table,
        "counters": session.counters.order_by("username"),
        "may_enter": selectors.may_enter_counts(request.user, session),
        "may_approve": can(request.user, Capability.APPROVE),
        "waiting": selectors.lines_waiting_for_recount(session),
        "submit_form": SubmitForm(),
    }
    return render(request, "counting/session_detail.html", context)


def _session_to_count(request, pk: int):
    session = selectors.session_for_user(request.user, pk)
    if not selectors.may_enter_counts(request.user, session):
        raise PermissionDenied
    return session


@require_POST
@capability_required(Capability.COUNT)
def session_start(request, pk: int):
    session = _session_to_count(request, pk)
    services.session_start(session=session, user=request.user)
    return redirect("counting:entry", pk=session.pk)


@require_POST
@capability_required(Capability.COUNT)
def session_submit(request, pk: int):
    session = _session_to_count(request, pk)
    form = SubmitForm(request.POST)
    form.is_valid()
    try:
        result = services.session_submit(
            session=session,
            user=request.user,
            uncounted_as_zero=form.cleaned_data.get("uncounted_as_zero", False),
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(session)
    if result.submitted:
        messages.success(request, _("Count #%(id)s is submitted for approval.") % {"id": pk})
    else:
        messages.warning(
            request,
            ngettext(
                "%(n)s line is out of tolerance and needs a recount: %(skus)s.",
                "%(n)s lines are out of tolerance and need a recount: %(skus)s.",
                len(result.recount_skus),
            )
            % {"n": len(result.recount_skus), "skus": ", ".join(result.recount_skus[:20])},
        )
    return redirect(session)


@capability_required(Capability.APPROVE)
def session_review(request, pk: int):
    """Manager's review: both counts, expected quantities, variance in units and value."""
    session = selectors.session_for_user(request.user, pk)
    only_variances = request.GET.get("all") != "1"
    table = ReviewLineTable(selectors.review_lines(session, only_variances=only_variances))
    RequestConfig(request, paginate={"per_page": 100}).configure(table)
    context = {
        "session": session,
        "table": table,
        "only_variances": only_variances,
        "accuracy": selectors.session_accuracy(session),
        "totals": selectors.session_variance_totals(session),
        "form": DecisionForm(),
        "can_approve": session.status == SessionStatus.SUBMITTED,
        "can_reject": session.is_open,
    }
    return render(request, "counting/review.html", context)


@require_POST
@capability_required(Capability.APPROVE)
def session_approve(request, pk: int):
    session = selectors.session_for_user(request.user, pk)
    form = DecisionForm(request.POST)
    form.is_valid()
    try:
        result = services.session_approve(
            session=session, user=request.user, comment=form.cleaned_data.get("comment", "")
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("counting:review", pk=pk)
    if result.created:
        messages.success(
            request,
            ngettext(
                "Count #%(id)s approved: %(n)s count adjustment posted.",
                "Count #%(id)s approved: %(n)s count adjustments posted.",
                result.posted,
            )
            % {"id": pk, "n": result.posted},
        )
    else:
        messages.info(
            request,
            _("Count #%(id)s was already approved by %(user)s.")
            % {"id": pk, "user": result.session.approved_by},
        )
    return redirect("counting:review", pk=pk)


@require_POST
@capability_required(Capability.APPROVE)
def session_reject(request, pk: int):
    session = selectors.session_for_user(request.user, pk)
    form = DecisionForm(request.POST)
    form.is_valid()
    try:
        services.session_reject(
            session=session, user=request.user, comment=form.cleaned_data.get("comment", "")
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Count #%(id)s rejected: nothing was posted.") % {"id": pk})
    return redirect("counting:review", pk=pk)
