from django.contrib import admin

from clinic_site.admin import ReadOnlyAdmin

from .models import Article, Page


class ContentAdmin(ReadOnlyAdmin):
    """Read-only: the text is edited in the files under content/ and loaded by sync_content."""

    list_filter = ["is_published"]
    search_fields = ["title", "slug", "source_path"]
    readonly_fields = ["view_source_note"]

    @admin.display(description="How to edit")
    def view_source_note(self, obj):
        return f"Edit content/{obj.source_path} and run `manage.py sync_content`."


@admin.register(Article)
class ArticleAdmin(ContentAdmin):
    list_display = ["title", "published_on", "is_published", "source_path", "synced_at"]
    date_hierarchy = "published_on"
    fields = [
        "title", "slug", "summary", "author", "reviewer", "reviewed_on", "published_on",
        "updated_on", "services", "is_published", "source_path", "synced_at", "word_count",
        "view_source_note",
    ]  # fmt: skip


@admin.register(Page)
class PageAdmin(ContentAdmin):
    list_display = ["title", "section", "is_published", "source_path", "synced_at"]
    list_filter = ["section", "is_published"]
    fields = [
        "title", "slug", "summary", "section", "service", "reviewer", "reviewed_on",
        "updated_on", "is_published", "source_path", "synced_at", "view_source_note",
    ]  # fmt: skip
