"""Several hosts, each with its own static build: a file one build lacks costs a picture, not
the page."""

import json

from clinic_site.storage import StaticFilesStorage


def test_a_file_missing_from_this_hosts_build_falls_back_to_its_plain_name(tmp_path, settings):
    # This host collected the stylesheet before the newest article's picture existed.
    (tmp_path / "staticfiles.json").write_text(
        json.dumps({"version": "1.1", "paths": {"css/site.css": "css/site.0123abcd.css"}})
    )
    storage = StaticFilesStorage(location=tmp_path, base_url="/static/")

    assert storage.url("css/site.css") == "/static/css/site.0123abcd.css"
    assert storage.url("content/hero/new-article-1200.webp") == (
        "/static/content/hero/new-article-1200.webp"
    )
