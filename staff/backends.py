from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q


class ModelBackendOneQuery(ModelBackend):
    """Django's ModelBackend, with a user's own and group permissions read in one query
    instead of two: every admin page asks for them, and the triage list has a query budget.

    The set is kept on the user object for the request, as Django's backend does, under a
    name of our own rather than Django's private cache attribute."""

    cache_attribute = "_staff_permissions"

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return super().get_all_permissions(user_obj, obj)
        permissions = getattr(user_obj, self.cache_attribute, None)
        if permissions is None:
            rows = (
                Permission.objects.filter(Q(user=user_obj) | Q(group__user=user_obj))
                .values_list("content_type__app_label", "codename")
                .distinct()
            )
            permissions = {f"{app}.{codename}" for app, codename in rows}
            setattr(user_obj, self.cache_attribute, permissions)
        return permissions
