"""Model choice fields that read their choices once per request.

A filter bar's dropdown (categories, suppliers, warehouses) costs Django two queries when the
list is filtered by it: one to validate the chosen value and one to render the options. These
fields evaluate their queryset once and use it for both, which keeps a list page within its
query budget (≤ 8 whatever the page size, docs/performance.md). Meant for short lists: the
whole list is rendered as options anyway.
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator


class ReadOnceChoices(ModelChoiceIterator):
    """The options from the field's queryset as evaluated (its result cache)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class _ReadOnce:
    iterator = ReadOnceChoices

    def to_python(self, value):
        if value in self.empty_values:
            return None
        key = self.to_field_name or "pk"
        wanted = str(value.pk if isinstance(value, self.queryset.model) else value)
        for obj in self.queryset:  # evaluated once, shared with the options
            if str(getattr(obj, key)) == wanted:
                return obj
        raise ValidationError(
            self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
        )


class ReadOnceModelChoiceField(_ReadOnce, forms.ModelChoiceField):
    pass


class _ReadOnceFilterField(_ReadOnce, django_filters.fields.ModelChoiceField):
    pass


class ReadOnceModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = _ReadOnceFilterField
