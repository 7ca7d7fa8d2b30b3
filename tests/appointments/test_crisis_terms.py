"""What the urgent flag reads in a message: each kind of crisis statement, in English and
Spanish, however it is written; and the idioms, denials and other people's past it leaves out.

The examples are written here from the kinds and their sources (crisis_terms.py's docstring),
not taken from the labelled corpus, which measures the matcher separately
(test_crisis_corpus.py). Every rule of the matcher has a message it must find and a message a
broken version of the rule would wrongly find."""

import re

import pytest

from appointments.crisis_terms import (
    KINDS,
    compile_pattern,
    crisis_kinds,
    crisis_matches,
    normalise,
)

# kind: messages that must be found as that kind (among others it may also be).
FOUND = {
    "suicide": [
        "I have been thinking about suicide",
        "I feel suicidal most nights",
        "sometimes I want to kill myself",
        "I tried to end my life last month",
        "I am thinking of ending it all",
        "I have thought about taking my own life",
        "He pensado en el suicidio",
        "a veces pienso en matarme",
        "me quiero matar",
        "he pensado en quitarme la vida",
        "quiero acabar con mi vida",
        "ya quiero acabar con todo",
        "quiero acabar con todo esto",
        # Slang and abbreviations.
        "honestly i just wanna kms",
        "been thinking about how to unalive myself",
        "thinking about sewerslide a lot",
        "i'm going to ctb soon",
        "i want to self-delete",
        # Someone writing for a relative who is at risk now: the request may be for them.
        "My husband is suicidal and will not see anyone",
        "my son says he wants to kill himself",
        "mi hija quiere suicidarse",
    ],
    "wish_dead": [
        "I want to die",
        "I wish I were dead",
        "Some nights I wish I could go to sleep and not wake up",
        "I hope I don't wake up tomorrow",
        "I don't want to exist anymore",
        "I want to disappear for good",
        "I'd be better off dead",
        "I keep thinking about dying",
        "me quiero morir",
        "quisiera morirme",
        "no quiero despertar",
        "ojalá no despertar mañana",
        "me gustaría dormirme y no despertar",
        "estaría mejor muerta",
        "quiero desaparecer para siempre",
        "ya no quiero vivir",
        "my sister says she wants to die",
        "Every night I ask God to take me",
        "If a truck hit me tomorrow I would not care",
        "I'm upset that I woke up this morning",
        "I answered nearly every day on the question about being better off dead",
        "Le pido a Diosito que me recoja pronto",
        "me pesa despertar cada mañana",
        "ya me quiero salir de esta vida",
        "Honestly I'd be better off not existing",
        "Quiero dormir para siempre",
    ],
    "no_way_forward": [
        "there's no point going on",
        "this is the end for me",
        "I have nothing left to live for",
        "I can't go on like this",
        "I can't take it anymore",
        "life is not worth living",
        "I've given up on life",
        "I don't see a future for me",
        "no le veo sentido a seguir viviendo",
        "ya no puedo más",
        "no hay salida",
        "estoy cansada de vivir",
        "I feel hopeless about everything",
        "When I'm gone, please tell my mother I tried",
        "Nothing changes. I've made my decision.",
        "This is the last time I ask for help",
        "ya no doy más",
        "por fin voy a descansar en paz",
        "I don't think I'll be here much longer",
        "Why bother living",
        "he perdido las ganas de vivir",
        "para qué seguir",
    ],
    "plan": [
        "I've been saving up my pills",
        "There is a gun at home",
        "I have picked the day to do it",
        "I wrote a goodbye note to my kids",
        "I've started giving my things away",
        "I looked up how many pills it would take",
        "I have a plan.",
        "I took an overdose in March",
        "I think about jumping off the bridge near my house",
        "he estado guardando pastillas",
        "tengo una pistola en casa",
        "ya escribí mi carta de despedida",
        "estoy regalando mis cosas",
        "tomé una sobredosis",
        "ya elegí la fecha para hacerlo",
        "I bought a rope",
        "my husband keeps a gun in his truck",
        "I took a handful of my sleeping pills on Sunday",
        "I'm going to take all my meds",
        "I know how and when I'd do it",
        "compré una soga",
        "tengo escondidas unas pastillas",
        "ya sé cómo y cuándo",
        "I have the 💊 ready",
        "I keep thinking about jumping",
        "Tengo un plan y ya tengo las pastillas",
    ],
    "burden": [
        "my kids would do better without me around",
        "everyone would be better off without me",
        "they would be better off in every way without me",  # a few words between
        "it would be easier for my family if I was gone",
        "I'm just a burden to everyone",
        "nobody would miss me",
        "estarían mejor sin mí",
        "soy una carga para mi familia",
        "nadie me extrañaría",
        "My wife would finally be free if I was gone",
        "It would be a relief for them if I were gone",
        "no voy a ser una carga para nadie",
        "ya nadie tendrá que preocuparse por mí",
        "I feel like I'm a waste of space",
        "Todos estarían más tranquilos si yo no estuviera",
    ],
    "self_harm": [
        "I have a history of self-harm",
        "I've been burning my arms",
        "I cut my thighs when it gets bad",
        "I hurt myself last week",
        "I scratch my skin until it bleeds",
        "I started cutting again",
        "my daughter has been cutting herself",
        "me corto",
        "me corto los brazos",
        "me hago daño cuando estoy sola",
        "tengo miedo de hacerme daño",
        "me quemo con cigarrillos",
        "autolesiones desde los 15",
        "I relapsed on sh yesterday",
        "I punch the wall until my knuckles bleed",
        "me hago cortes en los muslos",
        "me araño hasta sacarme sangre",
        # "Me" before the verb that carries the infinitive, as often as after it.
        "me voy a hacer daño",
        "me quiero cortar",
        "siento que me voy a lastimar esta noche",
        "me kiero cortar otra vez",
    ],
}

# How a message may be written: every one of these is found.
WRITTEN_ANY_WAY = [
    "SUICIDAL THOUGHTS",  # case
    "suicidal!!!",  # punctuation
    "Suicídio",  # accent
    "suicde",  # a letter missing
    "sucidal",  # a letter missing
    "suisidio",  # a letter changed
    "siucide",  # two letters swapped
    "suicidee",  # a letter doubled
    "suuuuicidal",  # a letter repeated
    "I want to diiiie",  # repeated, in a word no misspelling rule covers
    "kiiilll myseeelf",  # letters repeated
    "kill my self",  # split
    "killmyself",  # joined
    "kill myslef",  # swapped
    "k1ll mys3lf",  # digits for letters
    "su1c1de",
    "su!!cidal",  # two symbols for two letters
    "I w@nt to die",  # @ for a
    "I want to di$appear for good",  # $ for s
    "k.m.s",  # dotted
    "s.u.i.c.i.d.e",
    "i wanna just die",  # an emphasis word inside the statement
    "i want to kill myslf",  # a letter missing from a key stem
    "I have been feeling suicsidal",  # a letter added inside a key stem
    "self-harm",
    "selfharm",
    "self harm",
    "suicidar me",  # a Spanish pronoun written apart
    "quitar me la vida",
    "quitar-me la vida",
    "QUITARME LA VÍDA",
    "suicidarse es lo que pienso",
    "matandome poco a poco, quiero matar me",
    "I can’t go on like this",  # typographic apostrophe
    "i cant go on like this",
    "sui\u200bcidal",  # an invisible character inside the word
    "i kinda wanna die",  # texting spelling, an emphasis word
    "kiero morirme",
    "kys",  # slang
    "SI is getting worse",  # clinical shorthand
]

# Not crisis language: every one of these is left alone. Each line says which rule it pins.
LEFT_ALONE = [
    "",
    "I would like to know if Spravato is covered by my insurance.",
    "Please call me after 3 pm, I work mornings.",
    "I have tried two antidepressants and they did not help much.",
    "Hola, quisiera información sobre el tratamiento con Spravato.",
    "Prefiero que me llamen por la tarde.",
    "I want to live a fuller life and get back to work.",
    # A pattern starts on a whole word: "skill myself" is not "kill myself".
    "I need to upskill myself for my new job",
    "My skill with computers is limited.",
    # A word without * ends where the word ends: "die" is not "diet", "end" not "endorse".
    "I want to diet before my surgery",
    "I'm ready to endorse everything the doctor suggests",
    # A word* stem ends at the word: "kill*" does not reach across words.
    "I kill time by reading to myself",
    # A double letter needs two: "nose" is not "noose", "of myself" is not "off myself".
    "I have a runny nose",
    "I'm proud of myself for asking",
    # A misspelling is one letter off a key stem, no more: "subsidio" is two from "suicidio".
    "¿Hay algún subsidio para el tratamiento?",
    "The hotel suite was nice",
    # Idioms.
    "My back is killing me after the drive",
    "I'm dying to get started",
    "I'd kill for a good night's sleep",
    "I almost died laughing at the waiting room sign",
    "me muero de ganas de empezar",
    "estoy muerto de cansancio",
    "me corto el pelo los sábados",
    "me voy a cortar el pelo antes de la cita",
    "me voy a lastimar la rodilla si sigo corriendo",
    "me tengo que cortar las uñas",
    "se corta la luz en mi barrio a menudo",
    "I cut myself off from social media",
    "I burned my hand cooking",
    "I'm tired of living paycheck to paycheck",
    "I can't go on vacation until June",
    "I was cutting costs, so I stopped therapy",
    "I live 30 kms from the clinic",
    "My last message got no reply",
    "Please choose a time that works for you",
    "I have a plan with Blue Cross",
    "This will be my last day at my old job",
    "I need to catch a bus to get to your office",
    "Please call before I go to work",
    "On the question about being better off dead I answered not at all",
    "I wouldn't mind if you called after five",
    "I feel hopeless with computers, please call",
    "Se corta la señal cuando llamo",
    "mi seguro no paga suficientes medicamentos",
    "I've never wanted to hurt myself but I'm struggling",
    "I'm going to end things with my current psychiatrist",
    "My depression is killing my marriage",
    "I'm hanging in there, barely",
    "I had a plan to start TMS last year but insurance denied it",
    "I'm looking for the quickest way to get an appointment",
    "¿Cuánto dura la sesión? Tengo que tomar el autobús",
    "Quiero terminar con mi tratamiento actual y empezar TMS",
    # Denials.
    "I'm not suicidal, just exhausted",
    "I have never had suicidal thoughts",
    "I don't want to die, I want to get better",
    "no tengo pensamientos suicidas",
    "nunca he intentado suicidarme",
    "No history of self-harm",
    "I would never hurt myself, I have two kids",
    "I don't feel like a burden, just tired",
    # An episode long past, with nothing saying it is back.
    "I was hospitalized for suicidal thoughts in 2015 and have been well since",
    "Intenté suicidarme a los 16 y hoy estoy bien",
    "De adolescente me cortaba, hace años que no lo hago",
    "I used to think my family would be better off without me",
    # Someone else's past, family history, and suicide as a subject.
    "My mother died by suicide when I was twelve",
    "I lost my father to suicide last year",
    "My brother attempted suicide in college",
    "There is a family history of suicide",
    "mi tío se suicidó hace años",
    "mi abuelo murió por suicidio",
    "Is there a risk of suicidal thoughts with Spravato?",
    "I read the boxed warning about suicidal thoughts",
    "I volunteer for a suicide prevention hotline",
    "Can you overdose on Spravato?",
    # A misspelt stem is one letter off: "itself" is not "myself", "suited" not "suicid".
    "The app kept killing itself so I could not finish the form",
    "Afternoons suited me best at my last job",
    # A doubt in an earlier sentence does not undo a denial in this one.
    "I know this is a lot. I am not suicidal, only exhausted",
    # ... nor does one more than eight words before it.
    "I can't sleep and my wife worries but I am not suicidal",
    # A denial written with repeated letters is still a denial.
    "I'm nooot suicidal, just tired",
    # Dotted letters join only when nothing stands between them.
    "Dr. K. M. Smith referred me",
    # "no ... ni" is one denial of two things.
    "No pienso en el suicidio ni me hago daño",
]

# A denial or another person does not hide what the writer says of themselves.
STILL_FOUND = [
    ("I'm not sure if I'm suicidal", "suicide"),  # "sure" is not a filler: no denial
    ("No one knows I'm suicidal", "suicide"),
    ("I'm not suicidal yet", "suicide"),
    ("I'm not suicidal but I wish I could disappear for good", "wish_dead"),
    ("My mother attempted suicide and now I think about killing myself", "suicide"),
    ("My son attempted suicide last week", "suicide"),  # a parent may write for a child
    ("I am at high risk of suicide", "suicide"),
    ("mi hijo intentó suicidarse", "suicide"),
    # An episode long past is left out only while nothing says it is back, and only in its own
    # clause ("in 2019 ... and lately I want to die" stays).
    ("I attempted suicide in 2019 and lately I want to die", "wish_dead"),
    ("I was hospitalized for suicidal thoughts in 2015 and they are back", "suicide"),
    ("Intenté quitarme la vida a los 17 y otra vez lo estoy pensando", "suicide"),
    ("I tried to end my life last year", "suicide"),
    ("I'm not sure I won't hurt myself", "self_harm"),  # a doubt before the denial
    ("Not a day goes by that I don't want to die", "wish_dead"),
    ("My brother attempted suicide. I attempted suicide too.", "suicide"),
    # A denial counts only within five words of what it denies.
    ("I didn't think I was ever having suicidal thoughts until now", "suicide"),
    # A doubt before the denial, at the start of the message or of its sentence.
    ("Can't say I'm not suicidal", "suicide"),
    ("Bad day. I can't promise you that I won't hurt myself", "self_harm"),
    # ... or anywhere earlier in its clause, however far.
    ("I cannot tell my wife or my kids that I won't hurt myself", "self_harm"),
    # "Long ago" belongs to its own sentence, before or after.
    ("I was in hospital in 2015. I want to die", "wish_dead"),
    ("I want to die. Things were fine back in 2015", "wish_dead"),
]


@pytest.mark.parametrize(
    ("kind", "text"), [(kind, text) for kind, texts in FOUND.items() for text in texts]
)
def test_each_kind_of_crisis_statement_is_found(kind, text):
    assert kind in crisis_kinds(text), crisis_matches(text)


@pytest.mark.parametrize("text", WRITTEN_ANY_WAY)
def test_crisis_language_is_found_however_it_is_written(text):
    assert crisis_kinds(text), normalise(text)


@pytest.mark.parametrize("text", LEFT_ALONE)
def test_ordinary_messages_idioms_denials_and_others_past_are_not_flagged(text):
    assert crisis_kinds(text) == [], crisis_matches(text)


@pytest.mark.parametrize(("text", "kind"), STILL_FOUND)
def test_a_denial_or_a_relative_does_not_hide_the_writer(text, kind):
    assert kind in crisis_kinds(text), crisis_matches(text)


def test_kinds_come_back_in_one_order_each_once_and_across_fields():
    message = "I've been saving my pills. Everyone would be better off without me. kms"
    assert crisis_kinds(message) == ["suicide", "plan", "burden"]
    assert crisis_kinds("Ordinary question", "I want to die") == ["wish_dead"]
    assert crisis_kinds(None, "") == []


def test_every_kind_has_examples_in_both_languages():
    assert set(FOUND) == set(KINDS)
    for texts in FOUND.values():
        assert len(texts) >= 8


@pytest.mark.parametrize(
    ("pattern", "error"),
    [
        ("{no such macro} die", "unknown macro in '{no such macro} die'"),
        ("die )", "unexpected ')'"),
        ("? die", "unexpected '?'"),
        ("(die", "unclosed ("),
        ("die ^^", "no letters in '^^'"),
    ],
)
def test_a_mistyped_pattern_is_refused_saying_what_is_wrong(pattern, error):
    """For whoever edits the patterns: a typo fails the tests at once, never matches nothing."""
    with pytest.raises(ValueError, match=f"^{re.escape(error)}$"):
        compile_pattern(pattern)


@pytest.mark.parametrize(
    ("pattern", "text", "found"),
    [
        ("(very|so)? sad", "so sad", True),
        ("(very|so)? sad", "sad", True),
        ("(very|so)? sad", "glad", False),
        ("(very|so|) sad", "sad", True),
        ("a los # anos", "a los 16 anos", True),
        ("a los # anos", "a los dieciseis anos", False),
    ],
)
def test_the_pattern_language_does_what_the_module_docstring_says(pattern, text, found):
    assert bool(compile_pattern(pattern).search(normalise(text))) is found
