"""The upload page for imports, the job page and its progress endpoint (polled by htmx)."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.generic import FormView
from django_tables2 import SingleTableMixin

from inventory import selectors
from inventory.forms import ImportUploadForm
from inventory.imports.jobs import import_job_create, import_job_progress
from inventory.roles import Capability, can
from inventory.tables import ImportJobTable


def may_import(user) -> bool:
    return can(user, Capability.PURCHASE) or can(user, Capability.POST_MOVEMENTS)


class ImportRequiredMixin:
    def dispatch(self, request, *args, **kwargs):
        if not may_import(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ImportUploadView(ImportRequiredMixin, SingleTableMixin, FormView):
    """Upload a file (kind + warehouse); below, the recent imports of the user's warehouses."""

    form_class = ImportUploadForm
    template_name = "inventory/import_list.html"
    table_class = ImportJobTable
    table_pagination = {"per_page": 25}

    def get_table_data(self):
        return selectors.import_jobs_for(self.request.user)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        data = form.cleaned_data
        job = import_job_create(
            user=self.request.user,
            warehouse=data["warehouse"],
            kind=data["kind"],
            file=data["file"],
            language=get_language() or "",
        )
        return redirect(job)


def _job_context(request, pk: int) -> dict:
    if not may_import(request.user):
        raise PermissionDenied
    job = selectors.import_job_for_user(request.user, pk)
    return {"job": job, "percent": import_job_progress(job)}


def import_detail(request, pk: int):
    return render(request, "inventory/import_detail.html", _job_context(request, pk))


def import_status(request, pk: int):
    """The status block alone: htmx swaps it in every second until the job has finished."""
    return render(request, "inventory/_import_status.html", _job_context(request, pk))
