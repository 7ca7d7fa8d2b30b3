"""Crisis language in what a patient writes: the phrases that mark a request urgent.

Who reviews this list: the clinical lead (a licensed clinician), when it changes, at least once
a year, and after any request that should have been flagged and was not. Changes go through a
code review like any other, with the tests in tests/appointments/test_urgent.py updated.

Why it errs towards flagging: a flag only moves a request to the top of the staff list and puts
988 and 911 first on the patient's thank-you page. A false flag costs a colleague a minute; a
missed one can cost a life. So a phrase goes in when it is often crisis language, even if it is
sometimes not ("hopeless", "overdose"). This is not a risk assessment and it does not replace
one: it decides what staff read first, nothing else.

How it matches: the text and every phrase are normalised the same way (accents stripped, case
folded, apostrophes dropped, other punctuation to spaces, a letter repeated in a row counted
once), then a phrase must match whole words. A phrase ending in "*" also matches longer words
("suicid*": suicide, suicidal, suicidio, suicidarme). So "SUICIDAL!!", "self-harm",
"selfharm", "kiiill myself", "quitarme la vída" and "Suicidee" are all found, while "skill
myself" is not.
"""

import re
import unicodedata

ENGLISH = [
    "suicid*",
    "kill myself",
    "killing myself",
    "kill my self",
    "unalive*",
    "end my life",
    "ending my life",
    "end it all",
    "ending it all",
    "want to end it",
    "going to end it",
    "take my own life",
    "take my life",
    "self harm*",
    "selfharm*",
    "harm myself",
    "harming myself",
    "hurt myself",
    "hurting myself",
    "cut myself",
    "cutting myself",
    "overdos*",
    "no reason to live",
    "nothing to live for",
    "want to die",
    "wanna die",
    "wish i was dead",
    "wish i were dead",
    "rather be dead",
    "better off dead",
    "better off without me",
    "cant go on",
    "cannot go on",
    "dont want to live",
    "dont want to be alive",
    "dont want to be here anymore",
    "hopeless*",
    "no way out",
    "give up on life",
]

SPANISH = [
    # "suicid*" above covers suicidio, suicida, suicidarme.
    "matarme",
    "me quiero matar",
    "quitarme la vida",
    "quitarme mi vida",
    "acabar con mi vida",
    "acabar con todo",
    "terminar con todo",
    "hacerme dano",
    "lastimarme",
    "cortarme",
    "autolesion*",
    "sobredosis",
    "no quiero vivir",
    "no quiero seguir viviendo",
    "quiero morir*",
    "me quiero morir",
    "mejor muerto",
    "mejor muerta",
    "sin razon para vivir",
    "ninguna razon para vivir",
    "nada por que vivir",
    "ya no puedo mas",
    "no aguanto mas",
    "sin esperanza",
    "desesperanz*",
]

PHRASES = ENGLISH + SPANISH

_APOSTROPHES = re.compile(r"['\u2019\u2018`\u00b4]")
_NOT_A_LETTER = re.compile(r"[^0-9a-z]+")
_REPEATS = re.compile(r"(.)\1+")


def normalise(text):
    """Lowercase ASCII words separated by single spaces, each repeated letter counted once."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = _APOSTROPHES.sub("", text)
    text = _NOT_A_LETTER.sub(" ", text)
    return _REPEATS.sub(r"\1", text).strip()


def _pattern(phrases):
    parts = []
    for phrase in phrases:
        words = normalise(phrase.rstrip("*"))
        parts.append(re.escape(words) + (r"\w*" if phrase.endswith("*") else ""))
    return re.compile(rf"\b(?:{'|'.join(parts)})\b")


_CRISIS = _pattern(PHRASES)


def mentions_crisis(*texts):
    """True if any of the texts contains a crisis phrase."""
    return any(_CRISIS.search(normalise(text or "")) for text in texts)
