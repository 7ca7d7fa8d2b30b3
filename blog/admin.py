from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html

from clinic_site.admin import ReadOnlyAdmin, one_choice_filter
from clinic_site.times import local_date

from .models import REVIEW_EVERY, Article, Page, review_due

ReviewDueFilter = one_choice_filter(
    "medical review",
    "review",
    "Missing or older than 12 months",
    lambda qs: qs.filter(review_due()),
)


def staff_date(name, description):
    """A date field as staff read dates everywhere in the admin ("Mar 4, 2025"); Django's own
    display would use the public pages' "March 4, 2025"."""

    @admin.display(description=description, ordering=name)
    def show(self, obj):
        value = getattr(obj, name)
        return local_date(value) if value else ""

    return show


class ContentAdmin(ReadOnlyAdmin):
    """Read-only: the text is edited in the files under content/ and loaded by sync_content."""

    list_filter = ["is_published", ReviewDueFilter]
    search_fields = ["title", "slug", "source_path"]
    readonly_fields = ["view_source_note", "published", "reviewed", "updated"]
    published = staff_date("published_on", "Published")
    reviewed = staff_date("reviewed_on", "Reviewed on")
    updated = staff_date("updated_on", "Updated")

    @admin.display(description="How to edit")
    def view_source_note(self, obj):
        return f"Edit content/{obj.source_path} and run `manage.py sync_content`."

    @admin.display(description="Reviewed", ordering="reviewed_on")
    def review(self, obj):
        if obj.reviewed_on is None:
            return format_html('<strong class="overdue">{}</strong>', "Not reviewed")
        when = local_date(obj.reviewed_on)
        if obj.reviewed_on < timezone.localdate() - REVIEW_EVERY:
            return format_html('<strong class="overdue">{} (due again)</strong>', when)
        return f"{when} by {obj.reviewer}"


@admin.register(Article)
class ArticleAdmin(ContentAdmin):
    list_display = ["title", "published", "review", "is_published", "source_path", "synced_at"]
    date_hierarchy = "published_on"
    fields = [
        "title", "slug", "summary", "author", "reviewer", "reviewed", "published",
        "updated", "services", "is_published", "source_path", "synced_at", "word_count",
        "view_source_note",
    ]  # fmt: skip


@admin.register(Page)
class PageAdmin(ContentAdmin):
    list_display = ["title", "section", "review", "is_published", "source_path", "synced_at"]
    list_filter = ["section", "is_published", ReviewDueFilter]
    fields = [
        "title", "slug", "summary", "section", "service", "reviewer", "reviewed",
        "updated", "is_published", "source_path", "synced_at", "view_source_note",
    ]  # fmt: skip
