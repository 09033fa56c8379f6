"""View guards: login comes from LoginRequiredMiddleware; these add the role check (403)."""

from functools import wraps

from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from inventory.roles import can


class CapabilityRequiredMixin:
    """Class-based views: `capability = Capability.X`; users without it get 403."""

    capability: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if self.capability and not can(request.user, self.capability):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def capability_required(capability: str):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not can(request.user, capability):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def api_capability(capability: str) -> type[BasePermission]:
    """A DRF permission class for one capability."""

    class HasCapability(BasePermission):
        def has_permission(self, request, view):
            return bool(
                request.user and request.user.is_authenticated and can(request.user, capability)
            )

    HasCapability.__name__ = f"Has_{capability}"
    return HasCapability
