import logging


class DropQueryStrings(logging.Filter):
    """runserver logs each request line; cut query strings, which can hold what a patient typed."""

    def filter(self, record):
        if record.args and isinstance(record.args, tuple) and isinstance(record.args[0], str):
            line = record.args[0]
            if "?" in line:
                method_path, _, rest = line.partition("?")
                version = rest.rsplit(" ", 1)[-1] if " " in rest else ""
                record.args = (f"{method_path} {version}".strip(), *record.args[1:])
        return True
