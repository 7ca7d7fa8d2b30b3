import textwrap

import pytest
import yaml

from blog.content import sync_content


class ContentFolder:
    """A content/ folder of our own, written the way an editor writes it."""

    def __init__(self, root):
        self.root = root
        (root / "articles").mkdir(parents=True)
        (root / "pages").mkdir()

    def article(self, name="article", body="Some words about depression care.", **front):
        front.setdefault("title", name.replace("-", " ").title())
        front.setdefault("summary", f"Summary of {name}.")
        front.setdefault("published", "2025-01-15")
        front.setdefault("author", "Dr. Test Author")
        return self.write(f"articles/{name}.md", front, body)

    def write(self, relative, front, body):
        path = self.root / relative
        text = "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n\n"
        path.write_text(text + textwrap.dedent(body).strip() + "\n")
        return path

    def raw(self, relative, text):
        path = self.root / relative
        path.write_text(textwrap.dedent(text).lstrip())
        return path

    def sync(self):
        return sync_content(self.root)


@pytest.fixture
def content(tmp_path, settings):
    settings.CONTENT_DIR = tmp_path / "content"
    settings.GENERATED_IMAGES_DIR = tmp_path / "generated"
    return ContentFolder(tmp_path / "content")
