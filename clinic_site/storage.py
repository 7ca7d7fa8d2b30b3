"""Static files in production: hashed names, pre-compressed copies, and no 500 for a file that
one host's build lacks."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Several app servers each run their own collectstatic (bin/release). During a roll-out
    the database can already name a hero image that an older host's build does not hold;
    Django's manifest then raises, and the whole article answers 500. Here the
    name falls back to the unhashed path: that one picture may be missing on that host for a
    minute (its alt text shows), and the article itself is served."""

    def stored_name(self, name):
        try:
            return super().stored_name(name)
        except ValueError:  # not in this host's manifest, nor on its disk
            return name
