"""Text as a search compares it."""

import unicodedata


def fold(text):
    """`text` in lower case without accents, as a search compares it: "Ramírez" and "RAMIREZ"
    both read "ramirez" ("ß" reads "ss"). What the letters are made of (NFKD) decides, so a
    letter typed as a base and a combining accent folds like one typed whole."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(char for char in text if not unicodedata.combining(char)).casefold()
