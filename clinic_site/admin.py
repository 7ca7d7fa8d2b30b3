from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records nobody edits in the admin: content synced from files, the audit trail."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def one_choice_filter(title, parameter_name, label, narrow):
    """A list filter with a single choice, `label` (?<parameter_name>=yes), that keeps the rows
    narrow(queryset) returns: "Overdue", "Possible duplicates", "Review due"."""

    class Filter(admin.SimpleListFilter):
        def lookups(self, request, model_admin):
            return [("yes", label)]

        def queryset(self, request, queryset):
            return narrow(queryset) if self.value() == "yes" else queryset

    Filter.title, Filter.parameter_name = title, parameter_name
    return Filter
