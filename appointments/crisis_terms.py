"""Crisis language in what a patient writes: the kinds of statement that mark a request urgent.

WHO REVIEWS THIS FILE. The clinical lead (a licensed clinician) reviews every change to it, at
least once a year, and after any request that should have been flagged and was not (or a run of
flags that were not crisis language). A change goes through code review like any other, with
its examples in tests/appointments/test_crisis_terms.py, and must keep the labelled corpus test
(tests/appointments/test_crisis_corpus.py) at or above 95 % recall and at or below 20 % false
flags. A missed message is fixed by a rule that catches its *kind* of wording (a new verb form,
a new slang word, a new way of saying "without me"), never by pasting the message in: the corpus
measures, it is not a list to copy.

WHY IT ERRS TOWARDS FLAGGING. A flag moves a request to the top of the staff list, shows staff
which kinds of statement were found, and puts 988 and 911 first on the patient's thank-you page.
A false flag costs a phone call; a miss can cost a life. But a flag on every second message
teaches staff to ignore it, so three things are left out, and only where it is safe (below):
idioms ("this job is killing me", "me muero de hambre"); a plain denial just before the words
("I'm not suicidal", "nunca he pensado en quitarme la vida"; NEGATION_CUES); and what is not the
writer now (NOT_THE_WRITER: a relative who died by suicide, a drug label's warning, a screening
question; LONG_AGO: an episode long past and said to be over). This is not a risk assessment
and does not replace one.

WHAT IT LOOKS FOR (KINDS, below), from these sources:
- C-SSRS: the Columbia-Suicide Severity Rating Scale screener (Posner et al., Am J Psychiatry
  2011;168:1266-77): 1 wish to be dead ("wished you could go to sleep and not wake up"),
  2 thoughts of killing yourself, 3 method, 4 intent, 5 plan, 6 behaviour and preparation
  ("collected pills, obtained a gun, gave away valuables, wrote a will or suicide note").
- PHQ-9 item 9 (Kroenke, Spitzer & Williams, J Gen Intern Med 2001;16:606-13): "thoughts that
  you would be better off dead, or of hurting yourself in some way"; in Pfizer's Spanish (US)
  version "pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera".
- Warning signs published by NIMH, the 988 Lifeline and AFSP (in Spanish by the same lines and
  their partners): talking about wanting to die, having no reason to live, feeling trapped or
  hopeless, being a burden to others; looking for a way (searching online, stockpiling pills,
  buying a gun); saying goodbye, giving away possessions, putting affairs in order, making a will.
- Perceived burdensomeness (Joiner's interpersonal theory of suicide; Van Orden et al., Psychol
  Rev 2010;117:575-600): "they would be better off without me".
- Self-harm as the act: the behaviours of the Inventory of Statements About Self-injury (ISAS;
  Klonsky & Glenn 2009: cutting, burning, carving, severe scratching, banging or hitting self)
  and ICD-11's description of self-harm (cutting, scraping, burning, biting, hitting).
- Slang and abbreviations from published lexicons and reporting on "algospeak": "unalive",
  "sewerslide", "self-delete" (Lorenz, Washington Post 2022; Aleksic, Algospeak 2025), "kms"
  (kill myself), "ctb" (catch the bus, from the alt.suicide.holiday newsgroup), and the
  Reddit C-SSRS lexicon (Gaur et al., WWW 2019; PLoS One 2021;16:e0250448). Spanish wording after
  the MentalRiskES shared tasks and "Exploring the Risk of Suicide in Real Time on Spanish
  Twitter" (JMIR Public Health Surveill 2022;8:e31800).

HOW IT MATCHES. The message and every pattern are normalised the same way (normalise(), below):
accents dropped, case folded, apostrophes dropped ("can't" is "cant", "I'm" is "im"), digits and
symbols inside a word read as letters ("su1c1de", "k!ll"), a few emoji read as words (💊 is
"pills"), other punctuation to spaces with sentence breaks kept, dotted letters joined
("k.m.s"), texting spellings read as words (SPELLINGS: "wanna", "kiero"), words that only add
emphasis dropped (EMPHASIS: "just", "honestly"), "my self" joined, and a Spanish pronoun
written on a verb split off ("matarme", "matar me" and "matar-me" all become "matar me"), so the
pattern "matarme" finds all three. A letter of a pattern matches the same letter repeated
("kiiilll myself", "suuuicidal"), but a double letter needs at least two ("nose" is not "noose",
"proud of myself" is not "off myself"). The key stems (FUZZY_STEMS) are found with one letter
wrong, missing, extra or swapped ("suicde", "sucidal", "suisidio", "myslef").

A pattern is words separated by spaces; between two words the message may have a space or
nothing ("killmyself", "self-harm", "selfharm"), but a pattern always starts and ends on a whole
word ("skill myself" is not "kill myself") and never runs across a sentence. In a pattern:
    word*       the word and any longer word it starts ("suicid*": suicide, suicidal, suicidio)
    (a|b c)     one of the choices; an empty choice "(a|)" makes it optional
    (a|b)?      optional
    ~           up to four other words
    #           a number
    {year}      a year (1950 to 2029)
    $           the end of a sentence
    !(a|b)      not followed by a or b ("me corto !(el pelo)": not "me corto el pelo")
    {name}      one of the MACROS below
"""

import re
from dataclasses import dataclass
from functools import cache

from clinic_site.text import fold

# What staff see on a request, in the admin (English), for each kind that was found.
KINDS = {
    "suicide": "suicide or killing oneself",
    "wish_dead": "wish to be dead or not to exist",
    "no_way_forward": "no reason to go on",
    "plan": "plan, method or preparations",
    "burden": "feels a burden to others",
    "self_harm": "self-harm",
}

# Found with one letter wrong, missing, extra or swapped (they are long enough that no other
# common word is one letter away; "overdos" is not here because "overdo" is).
FUZZY_STEMS = ["suicid", "myself", "autolesion"]

MACROS = {
    # "I want to", in the ways people write it.
    "{want to}": "(want* to|wanna|wish* to|would like to|d like to|id like to|ready to|"
    "need* to|going to|gonna|plan* to|try* to|tried to|tempted to|thinking of|thinking about|"
    "think* about|thought* about|urge* to)",
    "{wish to}": "(want* to|wanna|wish* to|would like to|d like to|id like to|ready to|"
    "long* to|pray* to)",
    "{pills}": "(pills|pill|meds|medication*|medicine*|tablets|sleeping pills|painkillers|"
    "pain pills|opioids|insulin|prescriptions|antidepressants|xanax|tylenol)",
    "{pastillas}": "(pastillas|pildoras|medicinas|medicamentos|calmantes|somniferos|"
    "antidepresivos|tabletas)",
    "{weapon}": "(gun|guns|firearm|pistol|handgun|rifle|shotgun|revolver)",
    "{arma}": "(pistola|arma|armas|escopeta|rifle|revolver|arma de fuego)",
    "{body}": "(arm|arms|wrist|wrists|thigh|thighs|leg|legs|skin|stomach|hip|hips|body|chest)",
    "{cuerpo}": "(brazo|brazos|muneca|munecas|pierna|piernas|muslo|muslos|piel|venas|estomago|"
    "panza)",
    # Someone other than the writer, for the statements about others left out below. An adult
    # relative is one the writer is unlikely to be asking for: not a child or a partner.
    "{adult relative}": "(mother|mom|mum|father|dad|parent|parents|grandmother|grandma|"
    "grandfather|grandpa|brother|sister|sibling|cousin|uncle|aunt|friend|best friend|coworker|"
    "co worker|colleague|neighbor|neighbour|classmate|roommate|stepfather|stepmother|stepdad|"
    "stepmom|father in law|mother in law)",
    "{relative}": "({adult relative}|son|daughter|husband|wife|partner|boyfriend|girlfriend|"
    "fiance|fiancee|child|kid|ex)",
    "{pariente adulto}": "(madre|mama|padre|papa|abuela|abuelo|hermano|hermana|primo|prima|tio|"
    "tia|amigo|amiga|companero|companera|vecino|vecina|padrastro|madrastra|suegro|suegra|cunado|"
    "cunada)",
    "{pariente}": "({pariente adulto}|hijo|hija|esposo|esposa|marido|mujer|pareja|novio|novia)",
    "{year}": "%year",
}


@dataclass(frozen=True)
class Group:
    kind: str
    patterns: list


GROUPS = [
    # --- suicide: suicide or killing oneself, said outright (C-SSRS 2: "thoughts of killing
    # yourself"; NIMH/988: "talking about wanting to kill themselves"). The stem "suicid"
    # covers suicide, suicidal, suicidio, suicida, suicidarme, and their misspellings.
    Group("suicide", patterns=["suicid*"]),
    Group(
        "suicide",
        patterns=[
            # "killing myself laughing", "killing myself at work" are idioms, not crisis.
            "kill* my self !(laughing|with work|working|at work|at the gym|trying|to (get|"
            "finish|make|meet|pay|keep))",
            "off my self",
            "(end|ending|ended) my (own|) life !(insurance)",
            "{want to} (end|ending) (it|it all|everything|things|my life) !(with|for now)",
            "(end|ending|ended) (it all|everything) !(with|for now)",
            "end (it|things) (for good|$)",
            "(take|taking|took|taken) my (own|) life !(back|savings|insurance|over|away|in (my|"
            "his|her) hands)",
            "kill (him self|her self|them selves|them self) !(laughing)",
            "(want*|going|threat*|talk*|thinking|think*|plan*|tried|try*) (to|of|about) "
            "(kill|killing|end|ending) (him self|her self|them selves|them self|his life|"
            "her life|their life)",
            "(act|acting|acted) on (these|those|the|my|such) (thoughts|urges|impulses)",
            # Clinical shorthand: SI, suicidal ideation.
            "si (is|has been|was|got|keeps|) (getting|coming|came|comes|) (back|worse|active|"
            "passive|bad|stronger|constant|again)",
            "(passive|active|recurrent|worsening|increased|constant) (si|suicidal ideation|"
            "ideation)",
        ],
    ),
    Group(
        "suicide",
        patterns=[
            # Slang and abbreviations ("algospeak"; alt.suicide.holiday; Reddit lexicon).
            "un alive*",
            "sewer slide*",
            "sue decide",
            "self delet*",
            "delete my self",
            "k m s",
            "k y s",
            "c t b",
            "toaster bath",
            "{want to} rope",
        ],
    ),
    Group(
        "suicide",
        patterns=[
            # Spanish: matarme (and "matar me", "me quiero matar"), quitarme la vida, acabar con
            # mi vida, quitarme de en medio. "me mato trabajando" is an idiom: not here.
            "matar me",
            "me (quiero|quisiera|voy a|vaya a|iba a|pienso|podria|puedo|gustaria|dan ganas de|"
            "daban ganas de|dieron ganas de|quise|intente) matar",
            "me mataria",
            "quit* (me|se|) (la|mi|mi propia) vida",
            "(acabar|terminar|poner fin|ponerle fin) (con|a) (mi vida|mi propia vida)",
            "(acab*|termin*) con todo !(el|la|lo|los|las|mi|mis|su|tu)",
            "(quiere|quieren|intento|intenta) (matar se|suicid*)",
            "se (quiere|queria|va a|iba a) matar",
            "quitar me de en medio",
            "actuar (sobre|segun|con) (esos|estos|mis) (pensamientos|impulsos)",
        ],
    ),
    # --- wish_dead: a wish to be dead or not to exist, without having to say "die" (C-SSRS 1:
    # "wished you were dead or wished you could go to sleep and not wake up"; PHQ-9 item 9:
    # "better off dead"; NIMH/988: "talking about wanting to die").
    Group(
        "wish_dead",
        patterns=[
            "{wish to} die !(of|from|laughing|for|happy|old|in (a|my) (hospital|bed))",
            "(want*|wanna) to be dead",
            # Spanish. "me muero de hambre", "morirme de risa" are idioms: not here.
            "(quiero|quisiera|quiere|deseo|deseaba|queria|ganas de|me gustaria) morir* !(de "
            "(risa|hambre|verguenza|ganas|sueno|calor|frio|amor|envidia|aburrimiento|nervios|"
            "miedo|cansancio))",
            "me (quiero|quisiera|voy a|queria|quiere|quise) morir !(de (risa|hambre|verguenza|"
            "ganas|sueno|calor|frio|amor|envidia|aburrimiento|nervios|miedo|cansancio))",
        ],
    ),
    Group(
        "wish_dead",
        patterns=[
            "(wish*|pray*) (that|) (i|id|i would|i could|i will|il|i had|i d) ~ (be dead|was dead|"
            "were dead|die|died|dead|not wake up|never wake up|didnt wake up|wouldnt wake up|"
            "not exist|didnt exist|never existed|never been born|not been born|wasnt born|"
            "disappear|disappeared|vanish|sleep forever|fall asleep forever|stop existing)",
            "(hope|hoping|pray|praying) (that|) (i|id) (die|die in my sleep|dont wake up|"
            "never wake up|wont wake up|do not wake up|will not wake up|dont make it|get hit)",
            "better off dead",
            "(rather|prefer to) be dead",
            "better off (not existing|not here|not alive|gone|not being here|never born|not "
            "around|not living)",
            "(quiero|quisiera|want to|wish i could|ganas de) (dormir|sleep|dormir me) (para "
            "siempre|forever|eternamente|and never wake up)",
            "(dont|do not|no longer|never|didnt|did not) (want|wish) to (be alive|"
            "live|exist|wake up|be around|go on living|keep living|continue living|be here) "
            "!(in|near|with|there|at|on|far|close|alone|like that|people|others|anyone|them|"
            "him|her|my|crowds|long|this (town|city|state|job|house|apartment|area))",
            "(stop|stopped|cease|ceasing) (to exist|existing)",
            "not (to|) exist (anymore|any more|$)",
            "(go to sleep|fall asleep|sleep|going to sleep|falling asleep) and (not|never) "
            "(wake|waking) (up|)",
            "(not|never) (wake|waking) up (again|ever again)",
            "disappear* (for good|forever|for ever|permanently|from (this|the) (world|earth|"
            "planet)|and never come back)",
            "(want*|wish*) (to|) (disappear|vanish|be gone|not be here) "
            "!(for (a|the|this|one|two|some)|to (a|the)|from (social|work|my job))",
            "(leave|leaving|depart*) this (world|earth|life)",
            "(death|dying|being dead|not waking up) (would be|will be|sounds|seems|feels) "
            "(like|) (a|) (relief|release|peace|peaceful|better|easier|welcome)",
            "(think*|thought*|dream*|fantasi*|obsess*) (about|of) (dying|being dead|my (own|) "
            "death|death|not being here|not existing|not waking up|my funeral) !(my|hair|it|"
            "the|of|in|penalty)",
            # The denial is part of these: "I wouldn't mind if I didn't wake up".
            "(wouldnt|would not|dont|do not|wont|will not|didnt|did not|couldnt) (mind|care) if "
            "(i|a car|a bus|a truck|something|someone) ~ (die|died|dead|hit me|"
            "killed me|didnt wake up|never woke up|was gone|were gone|crashed)",
            "(hope|wish) (a car|a bus|a truck|something|someone) ~ (hits|hit|kills|kill) me",
            "if (a car|a bus|a truck|something|someone|i) ~ ~ (hit|hits|killed|kills|crashed|"
            "died) ~ ~ (wouldnt|would not|dont|do not|wont|will not) (mind|care)",
            "(pray*|ask*|beg*|hope) (to|that|for|) (god|the lord|jesus) (to|would|will|could|) "
            "(take|takes|took) me",
            "(god|the lord|jesus) (would|will|could|) (take|takes) me (in my sleep|away|home|now|"
            "$)",
            # The PHQ-9 item 9 answered yes: any frequency but "not at all".
            "(several days|more than half (of|) the days|nearly every day|almost every day) ~ ~ "
            "(better off dead|hurting my self)",
            "(better off dead|hurting my self) ~ ~ (several days|more than half (of|) the days|"
            "nearly every day|almost every day)",
            "(varios dias|mas de la mitad de los dias|casi todos los dias) ~ ~ (mejor muert*|"
            "lastimar me|hacer me dano)",
            "(mejor muert*|lastimar me|hacer me dano) ~ ~ (varios dias|mas de la mitad de los "
            "dias|casi todos los dias)",
            "(disappointed|upset|sad|angry|mad|annoyed|sorry) (that|) (i|id) (woke|wake|still "
            "wake|am still alive|m still alive|survived|am still here|m still here|made it)",
            # Spanish.
            "ojala ~ (me muera|me muriera|me hubiera muerto|estuviera muert*|estar muert*|"
            "no despert*|no volver a despertar|no hubiera nacido|no haber nacido|no existiera|"
            "no existir|desaparec*|me (atropelle|atropellara|mate|matara))",
            "mejor (estar|) muert*",
            "(preferiria|prefiero) estar muert*",
            "(no quiero|ya no quiero|no quisiera|ya no quisiera|no tengo ganas de|sin ganas de) "
            "(vivir|existir|despertar*|estar (vivo|viva|aqui)|seguir (aqui|vivo|viva|viviendo|"
            "con vida|en este mundo)|volver a despertar|estar en este mundo) !(en|con|cerca|"
            "alla|lejos|solo|sola|asi de|a|al|temprano)",
            "(dormir|dormir me|acostar me|quedar me dormid*) y no (despertar*|volver a despertar*)",
            "no (despertar*|volver a despertar*) (nunca|mas|jamas)",
            "desaparecer (para siempre|del mundo|de este mundo|de una vez|de la faz)",
            "(quiero|quisiera|ganas de|deseo) desaparecer !(unos|un|una|por|de (las|mis|la) "
            "(redes|trabajo|oficina))",
            "(dejar de|no) existir !(el|la|los|las)",
            "(ir me|me quiero ir|me voy a ir|me quisiera ir|marchar me|salir me) de este mundo",
            "(dar me|ir me|salir me|bajar me|me (quiero|voy a|quisiera) (dar|ir|salir|bajar)) de "
            "(baja de|) (esta|la) vida",
            "(dios|diosito|el senor|jesus|la virgen) ~ (me lleve|me recoja|me quite la vida|"
            "me lleve con el|llevar me|me llame a su lado)",
            "(me|) (decepciona|molesta|da rabia|pesa|duele|entristece|da tristeza|da coraje) "
            "(seguir vivo|seguir viva|despertar|amanecer|seguir aqui|estar vivo|estar viva)",
            "(pienso|pensando|pensar|pensamientos|pensado|ideas|obsesion*) (mucho|) (en|de|sobre|"
            "con) (la muerte|muerte|morir*|mi muerte|mi propia muerte|no despertar|desaparecer|"
            "no existir|estar muert*|mi funeral) !(de (mi|su|un|una|la|el))",
        ],
    ),
    # --- no_way_forward: finality and hopelessness without a keyword (988/NIMH: "feeling
    # hopeless or having no reason to live", "feeling trapped or that there are no solutions",
    # "unbearable pain"; Beck's hopelessness; the C-SSRS's reasons for living).
    Group(
        "no_way_forward",
        patterns=[
            "no (point|reason|use|sense) (in|to|) (going on|carrying on|living|being alive|"
            "continuing|keep going|keeping going|go on|live|trying anymore|trying any more|life|"
            "being here|staying alive|waking up|getting up|keep living|keeping living|stay alive|"
            "be alive|go on living|continue living|keep on living)",
            "no (point|reason) (anymore|any more|in anything|to anything)",
            "nothing (left|) to live for",
            "(lost|no|losing|without|lack) (my|the|any|) (will|reason|desire|wish) to live",
            "(whats|what is|wats) the point (of|in|) (living|going on|life|anything|it all|"
            "being alive|trying|carrying on|continuing|of me|waking up|getting up|$)",
            "(cant|cannot|can not|unable to|no longer able to) (go on|carry on|keep going|"
            "keep doing this|do this|live|continue|keep living) (like this|this way|anymore|"
            "any more|living|much longer|$)",
            "(cant|cannot|can not|unable to) (take|bear|stand|handle|cope with) (it|this|the pain|"
            "life|any more|much more|this life|being alive) (anymore|any more|any longer|much "
            "longer|$)",
            "(cant|cannot|can not) cope (anymore|any more|$)",
            "the end for me",
            "(its|it is) (all|) over for me",
            "(its|it is) the end (for me|$)",
            "this is (the end|it for me|my end) (for me|$)",
            "(im|i am|am) (done|finished) with (life|living|everything|it all|this life|"
            "trying|fighting|being alive|this world)",
            "done (with|) (life|living)",
            "no way out",
            "(no|see no|dont see (a|any|the)|cant see (a|any|the)|cannot see (a|any|the)) "
            "(way out|way forward|light at the end|escape)",
            "(dont|cant|cannot|do not) see (a|any|my|) future (for me|anymore|any more|ahead|$)",
            "no (hope|future) (left|for me|anymore|any more|at all|$)",
            "there (is|s) no (hope|future|tomorrow) (for me|left|$)",
            "(tired|sick|exhausted|weary) of (living|being alive|life|existing|fighting|waking up|"
            "being here|it all) !(paycheck|in|at|here|near|on|insurance|like (this|that) (job|"
            "place))",
            "(life|my life|living) (is|isnt|is not|s|has become|feels) (not worth|no longer "
            "worth|pointless|meaningless|worthless|not worth living)",
            "not worth (living|being alive|going on|waking up for)",
            "(want|need|wish) (it|this|everything|the pain|it all|all of this|all this) (all|) "
            "to (stop|end|be over) (forever|for good|permanently|$)",
            "(wont|will not|not going to|not gonna) be (around|here) (much longer|for long|"
            "anymore|any more|next (week|month|year)|by (christmas|the end|next)|for "
            "(christmas|my birthday))",
            "(nothing|no one|nobody|noone) can (help|save) me (anymore|any more|now|$)",
            "(im|i am) (done|finished) $",
            "(dont|do not) (think|expect|plan on) (i|il|id|ill|i will|im going to|i am going to|"
            "to) (be|stay|last|make it) (here|around|alive|) (much longer|long|for long|another "
            "(year|month|week|day)|until)",
            "why (bother|even|) (living|going on|being alive|waking up|staying alive|trying "
            "anymore)",
            "(when|once|after) (im|i am|i m) gone",
            "before i (go|leave|die) $",
            "(tying|tie|tied) up (all|) (my|the|) loose ends",
            "(not going to|not gonna|wont|will not|refuse to) (keep|go on|continue|carry on) "
            "(living|being alive|existing) (like this|this way|past|after|much longer|anymore|"
            "any more|$)",
            "(soon|finally) (i will|il|i am going to|im going to|going to|) (be|rest) (at|in) "
            "peace",
            "(last|final) time (i ask|im asking|i am asking|i will ask|il ask) (for|) help",
            "(ive|i have|i) made (my|the|a) (decision|choice) $",
            "(ive|i have) (decided|made up my mind) $",
            # Spanish.
            "no (tiene|tendria|le veo|le encuentro|hay|encuentro|veo|tiene ningun|le veo ningun)"
            " (ningun|ni un|el|) sentido (seguir|vivir|a la vida|la vida|continuar|a nada|nada|"
            "seguir viviendo|de vivir|en vivir|a seguir|a vivir|despertar)",
            "(la vida|mi vida|vivir|seguir) (ya|) no (tiene sentido|vale la pena)",
            "no vale la pena (vivir|seguir|despertar)",
            "para que (seguir|vivir|sigo|vivo|continuar|despertar)",
            "(no hay|no veo|no encuentro|no tengo|sin) (ninguna|otra|) salida",
            "ya no puedo (mas|seguir|continuar)",
            "no (aguanto|soporto|resisto) mas !((el|este|esta|ese|esa|mi|a mi|la|los|las) (calor|"
            "frio|trafico|ruido|trabajo|jefe|jefa|espera|escuela|clase|tarea|dieta|hambre|sueno|"
            "vecino|vecina|cola|fila|papeleo|seguro|aseguranza))",
            "ya no (doy|puedo) (mas|para mas)",
            "no puedo seguir (asi|viviendo|adelante|con vida)",
            "(esto|este|es) (es|) (el|mi) (fin|final) (para mi|$)",
            "(todo se acabo|ya todo se acabo|se acabo todo|todo termino) (para mi|$)",
            "se acabo para mi",
            "(cansad*|hart*|agotad*) de (vivir|la vida|existir|luchar|estar vivo|estar viva|"
            "despertar)",
            "(sin|ninguna|ni una|no tengo|no hay) (razon|razones|motivo|motivos) (para|de|por "
            "la que|por las que) vivir",
            "nada por (que|lo que|el que) vivir",
            "(perdi|he perdido|perdiendo|sin|no tengo|se me fueron|ya no tengo) (las|) ganas de "
            "vivir",
            "sin esperanza !(de (que|encontrar|conseguir))",
            "desesperanz*",
            # Hopelessness (a 988 and NIMH warning sign), not "hopeless with computers".
            "hopeless* !(at|with|in love|romantic|case|cases)",
            "no (hay|tengo|veo) (esperanza|futuro) (para mi|$)",
            "(quiero|necesito) que (todo|esto|el dolor) (se acabe|termine|acabe|pare) (ya|"
            "para siempre|de una vez|$)",
            "no voy a estar (aqui|mucho tiempo|por mucho|para (navidad|mi cumpleanos|cuando|"
            "entonces))",
            "(pronto|por fin|ya) (voy a|) (estar|descansar) en paz",
            "(ultima|ultima) vez que (pido|voy a pedir|le pido|les pido) ayuda",
            "(tome|he tomado|ya tome) (mi|la|una) decision $",
            "(me rindo|me he rendido|me di por vencid*) (con la vida|$)",
        ],
    ),
    Group(
        "no_way_forward",
        patterns=[
            # Hope given up ("don't give up hope" is not).
            "(lost|lose|losing|given up|give up|gave up) (all|) hope",
            "(give|giving|gave|given) up on (life|living|everything|my self|being alive|"
            "the world|getting better)",
            "(perdi|he perdido|perdido) (toda|) (la|) esperanza",
        ],
    ),
    # --- plan: a stated plan, method, date or preparation, the most urgent kind (C-SSRS 3-6:
    # method, intent, plan, preparatory behaviour; NIMH/988: "looking for a way", "stockpiling
    # pills", "buying a gun", "saying goodbye", "giving away possessions", "putting affairs in
    # order, making a will").
    Group(
        "plan",
        patterns=[
            "(saving|saved|save|stockpil*|hoard*|stash*|set aside|setting aside|putting aside|"
            "building up) (up|) (all|) (my|some|some of my|extra|enough|the|a lot of|a bunch of|"
            ") {pills} !(for (my|the|a) (trip|vacation|travel))",
            "enough {pills} (to|for|that) ~ (die|end|kill|do it|overdose|not wake|wont wake|"
            "never wake)",
            "(take|took|taking|swallow*) (all|every one|all of|a handful|handfuls) (of|) (my|the|"
            ") {pills} (at once|at one time|together|in one go|and|$)",
            "(take|took|taking|swallow*) (the whole|a whole|the|a) bottle",
            "how many {pills} (would it take|it would take|itd take|does it take|it takes|it will "
            "take|to (die|overdose|kill|"
            "not wake))",
            "(lethal|fatal|deadly|toxic) (dose|doses|amount)",
            "overdos*",
            "(have|got|bought|buy|buying|purchased|purchase|own|loaded|load|get|getting|"
            "keep|keeps|keeping|found) (a|my|the|his|her|dads|my dads|a loaded|) {weapon} "
            "!(license|licence|permit|safety|range|show|shows)",
            "{weapon} (at|in) (home|the (house|truck|car)|(my|his|her|our) (house|home|room|car|"
            "truck|drawer|nightstand|closet|bedroom|glovebox|safe))",
            "(looking|look*|searched|searching|google*|research*|read* up on|looked up) "
            "(up|online|for|into|) (how|ways|methods|a way|the best way|the easiest way|"
            "painless ways|the quickest way|how much|how many) to (die|end it|end my life|"
            "kill my self|overdose|hang my self)",
            "(painless|quickest|easiest|fastest|best|surest|quick) (way|ways|method|methods) to "
            "(die|end (it|my life)|kill my self)",
            "noose",
            "hang* my self",
            "(jump*|throw* my self|hurl* my self) (off|from) (a|the|my|) (bridge|building|roof|"
            "rooftop|overpass|cliff|balcony|window|parking garage)",
            "(jump*|step*|walk*|throw* my self|lie down|lay down|lying down) in front of (a|the|) "
            "(train|bus|truck|car|subway|traffic)",
            "(walk*|step*) (into|out into) (the|) (traffic|oncoming traffic|highway)",
            "(lie|lay|lying|laying) down on the (tracks|train tracks|highway|road)",
            "(drive|driving|drove|crash*|steer*|swerve*) (my car|the car|) (off|into) (a|the|) "
            "(bridge|cliff|tree|wall|overpass|oncoming traffic|pole)",
            "(crash*|wreck*) (my|the) car (on purpose|deliberately|intentionally)",
            "(cut|cutting|slit|slitting|slice|slash*) my (wrist|wrists|throat)",
            "(picked|chose|chosen|set|decided on|planned) (a|the) (date|day) to (do it|die|end it|"
            "end my life)",
            "(goodbye|farewell|suicide) (note|notes|letter|letters|message|messages|video|videos)",
            "(wrote|written|writing|write|left|leave|leaving|recorded|record*) (a|my|the|) "
            "(note|notes|letter|letters|goodbye|goodbyes) (to|for) (my|) (family|kids|children|"
            "wife|husband|mom|mum|dad|parents|partner|loved ones|everyone|son|daughter) "
            "!(doctor|physician|practice|medicine|member|members)",
            "(saying|said|say) (my|) (goodbyes|goodbye to (everyone|everybody|my family|my "
            "kids|my friends|people|them all|the people i love|my loved ones))",
            "(giving|gave|given|give) away (my|all my|most of my|some of my|all of my|) (things|"
            "stuff|belongings|possessions|everything|pets|pet|dog|cat|prized possessions|"
            "valuables)",
            "(giving|gave|given|give) (my|all my|most of my|some of my|all of my) (things|stuff|"
            "belongings|possessions|pets|pet|dog|cat|prized possessions|valuables) away",
            "(put*|getting|got|get|have) (all|) my affairs in order",
            "(made|making|wrote|writing|updated|updating|finished|finishing|drew up|drawing up) "
            "(my|a) will",
            "(found|finding|find) (a|) (new|) (home|homes|owners|owner) for my (cat|dog|pets|pet|"
            "animals|cats|dogs)",
            "(i have|ive got|i ve got|i made|ive made|i have made|i got|ive) (a plan|the means) "
            "(to (die|end|kill|do it|take my|overdose|hang|jump)|for (how|when) (to|i)|and (the|a)"
            " (means|date|plan)|and (i have|ive got|i got|i bought) (the|a|my)|$)",
            "(have|ve) (it|everything) (all|) planned (out|) (for (tonight|tomorrow|the weekend|"
            "friday|saturday|sunday|monday|tuesday|wednesday|thursday)|$)",
            "(know|decided|figured out|worked out) (how|when|where) (id|i would|i will|il|im "
            "going to|i am going to|im gonna) (do it|end it|die|kill my self)",
            "(will|would) be my last (message|day|night|week|christmas|birthday|goodbye) "
            "!(at|of|in|before|with|on|here|there)",
            "(thinking|think|thought|thoughts) (about|of) (jumping|hanging my self|overdosing|"
            "crashing my car|shooting my self|drowning my self|slitting|walking into traffic) "
            "!(into|in|on|at|ahead|back|rope|ship|through)",
            "(a bottle|bottles|a stash|a supply|a stockpile|extra|spare) (of|) (my|) {pills} ~ ~ "
            "in case",
            "(tonight|today|this weekend|tomorrow) (is|might be|may be|could be|will be) the "
            "(night|day)",
            "(picked|chose|chosen|set|decided on) (a|the) (date|day) $",
            "(bought|buying|buy|got|have|purchased|keep|kept) (a|some|the|) (rope|noose)",
            "(driving|drive|drove|walk*|go|going|went) (to|up to|out to|over to) the (bridge|"
            "tracks|overpass|cliff|rooftop|roof)",
            "{pills} (saved|stockpiled|stashed|hidden|saved up|put away|ready) (for|and|$)",
            "(have|got) (the|my|all my|all the|) {pills} (ready|lined up|counted out|set out)",
            "(took|swallowed|take|swallow) (a bunch|a lot|a handful|handfuls|too many|a whole "
            "bottle|lots|loads) (of|) (my|the|) {pills}",
            "(going to|gonna|will|plan to|want to|wanted to) (take|swallow) (all|every one of|all "
            "of) (my|the|) {pills}",
            "(engine|motor) (running|on) ~ ~ garage",
            "garage ~ ~ (engine|motor) (running|on)",
            "(how and when|when and how) (i|id|im|to)",
            "(rat poison|cyanide|antifreeze)",
            "(bought|buy|have|got|getting) (some|) poison",
            "(scheduled|schedule|wrote|written|writing|recorded|set up) (a|an|my|the|) (email|"
            "e mail|message|video|letter|letters|texts) (to|for) (my|) (family|kids|children|"
            "wife|husband|mom|mum|dad|parents|partner|loved ones|everyone|son|daughter) "
            "!(doctor|physician|practice|medicine|member|members)",
            "(leave|leaving|left) a (note|letter) !(for (the|my|your) (doctor|front desk|"
            "receptionist|nurse|therapist|office|staff)|on|at|with)",
            # Spanish.
            "(junt*|acumul*|ahorr*|escond*|guardando|coleccion*) (todas|todos|) (mis|las|unas|"
            "suficientes|muchas|muchos|los|unos|) {pastillas}",
            "(tengo|junte|junto|guardo|guarde) suficientes {pastillas}",
            "(tengo|tenia) (guardad*|escondid*|juntad*|ahorrad*) (las|unas|mis|muchas|varias|) "
            "{pastillas}",
            "(me tome|tome|trague|me trague) (un monton|un punado|un chingo|demasiadas|un frasco|"
            "toda la caja|todo el frasco) (de|) {pastillas}",
            "(voy a|pienso|quiero|me voy a) (tomar me|tomar) (todas|todos) (las|mis|los) "
            "{pastillas}",
            "(tengo|compre|consegui|guardo) (la|una) (soga|cuerda) !(al cuello)",
            "(manejo|maneje|voy|fui|camino|camine) (hasta|a) (el|la|las|) (puente|vias|azotea|"
            "acantilado)",
            "(veneno para ratas|raticida|cianuro|anticongelante)",
            "(compre|tengo|consegui) veneno",
            "(como y cuando|cuando y como)",
            "(ya|) (elegi|escogi|decidi) (el|la) (dia|fecha) $",
            "(tomar me|tomar|tome|trag*|tragar me) (todas|todos) (mis|las|los) {pastillas} "
            "(de una vez|juntas|juntos|a la vez|$)",
            "(tomar me|tome|trag*|tragar me) (el|un|la|una) (frasco|caja|botella) (entero|entera|"
            "de|completo|completa)",
            "cuant* {pastillas} (hacen falta|se necesitan|necesito|para (morir|matar))",
            "(dosis|cantidad) (letal|mortal|toxica)",
            "sobredosis",
            "(tengo|tenemos|hay|guardo|compre|comprar|conseguir|consegui|consigo|tiene) (una|un|el|"
            "la|mi|) {arma} !(de (juguete|agua))",
            "{arma} en (casa|mi casa|el carro|el coche|el cajon|mi cuarto)",
            "(ahorcar me|colgar me|ahorcando me|colgando me)",
            "(tirar me|lanzar me|aventar me|arrojar me|saltar|tirando me|lanzando me) (de|del|"
            "desde|al|a las|a la|por|bajo|frente a|frente al|a un|a una) (un|una|el|la|) (puente|"
            "edificio|techo|azotea|balcon|ventana|tren|metro|vias|carro|coche|camion|precipicio|"
            "acantilado|paso a desnivel)",
            "(cortar me|me corte|me voy a cortar|me quiero cortar|cortando me) (las|la) (venas|"
            "munecas|muneca)",
            "(elegi|escogi|decidi|ya tengo|tengo) (el|la) (dia|fecha) para (hacer lo|morir*|"
            "matar me|quitar me la vida)",
            "(carta|cartas|nota|notas|mensaje|video) de despedida",
            "(me estoy despidiendo|despedir me|me despedi|despidiendo me|me despido) de (todos|"
            "todo el mundo|mi familia|mis hijos|mis amigos|la gente|ustedes)",
            "regal* (mis|todas mis|todos mis) (cosas|pertenencias|posesiones|mascotas)",
            "regalando (todo|mis cosas)",
            "(hice|hacer|haciendo|escribi|redacte|actualice|termine) (mi|el|un) testamento",
            "(poniendo|poner|puse) (en orden mis asuntos|mis asuntos en orden)",
            "(dejar|dejando|deje) todo en orden (para (mi familia|mis hijos|cuando))",
            "(tengo|hice|ya tengo) un plan (para (hacer lo|matar me|quitar me|morir*|acabar|"
            "suicid*)|$)",
            "(tengo|ya tengo) (un|el) plan y (ya|) (tengo|compre|consegui)",
            "{pastillas} ~ ~ por si acaso",
            "(busque|buscando|buscar|investigue|investigando|googlee|leyendo) (como|formas de|"
            "maneras de|la mejor forma de|la forma de|metodos para) (morir*|matar me|suicid*|"
            "quitar me la vida|no despertar)",
            "(sera|seria) mi ultim* (dia|noche|mensaje|semana|navidad|cumpleanos) !(de|en|con|"
            "aqui|alli)",
        ],
    ),
    # --- burden: others would be better off without them (perceived burdensomeness, Joiner;
    # NIMH/988: "talking about being a burden to others"; the same in Spanish, "estarían mejor
    # sin mí", "soy una carga"), and no one would miss them.
    Group(
        "burden",
        patterns=[
            "(better|happier|easier|best) (off|) without me !(driving|there|at)",
            "better off ~ without me",
            "(better|happier|easier|best|relieved|simpler|lighter|free|a relief|a mercy|"
            "a blessing) (for (everyone|everybody|them|her|him|"
            "my family|all|my kids|my children|my wife|my husband)|) (if|when|once) (i|im|i m|"
            "i was|i were|i am) ~ (gone|dead|not here|not around|wasnt here|werent here|died|"
            "disappeared|didnt exist|never existed|out of the picture|out of the way|wasnt around)",
            "(im|i m|i am|feel|feeling|felt|being|become|became|becoming|am) (like|) (a|such a|"
            "only a|nothing but a|the|so much of a) (burden|drain)",
            "burden (to|on|for) (everyone|everybody|others|the people around me|the people i love|"
            "my loved ones|all of them)",
            "(no one|nobody|noone|no body) (would|will|d|) (even|) (miss|notice|care|cry) (me|if "
            "i (was|were|m|am|) (gone|dead|died|disappeared|wasnt here|werent here|left))",
            "(everyone|everybody|they|my family|my kids|my children|people) (would|will|d) (be|) "
            "(relieved|happier|better off) (if|when) i",
            "(doing|do) (them|everyone|my family) a (favor|favour) (by|if i)",
            "(im|i am|feel like|feel like im|being) (a|such a|nothing but a) waste of (space|air|"
            "oxygen|life)",
            "(no one|nobody|noone) (will|would|is going to|) (have to|need to|has to) (worry|care) "
            "about me",
            "(wont|will not|not going to) be a (burden|problem) (to|for|on) (anyone|anybody|you|"
            "them|everyone|my family) (anymore|any more|much longer|soon|$)",
            # Spanish.
            "(estarian|estaria|estaran|estara|vivirian|viviria|viviran|seria|serian|sera|seran|"
            "irian|iria|estan|esta) (todos|) mejor ~ sin mi !(ayuda|apoyo|opinion|firma|permiso|"
            "seguro|carro|coche|trabajo|dinero)",
            "mejor sin mi !(ayuda|apoyo|opinion|firma|permiso|seguro|carro|coche|trabajo|esposo|"
            "esposa|familia|madre|padre|hijo|hija|dinero|presencia en la oficina)",
            "(soy|me siento|siento que soy|ser|sentir me) (una|un|solo una|solo un|como una|como "
            "un|) (carga|estorbo|peso muerto)",
            "(soy|me siento) (solo|) (un|una) peso para",
            "(soy|me siento) (un|una) desperdicio de (espacio|aire|oxigeno|vida)",
            "(nadie|ya nadie) (va a tener que|tendra que|tendria que|tiene que) preocupar se "
            "por mi",
            "no (voy a|vaya a) ser (un problema|una carga|un estorbo) (para nadie|mas)",
            "(nadie|ninguno|ninguna) (me|) (extranaria|echaria de menos|notaria|lloraria|"
            "importaria|le importaria|va a extranar|me va a extranar)",
            "(seria|estaria|estarian|seria todo|serian) (mas|) (mejor|facil|feliz|felices|"
            "tranquil*|libres|libre|en paz|un alivio|un descanso|una bendicion) (para todos|"
            "para mi familia|para ellos|para ella|para el|para mis hijos|) (si|cuando|que) (yo|) "
            "(ya|) (no estuviera|no existiera|me muriera|desapareciera|me fuera|me muero|muriera|"
            "no estoy|ya no estoy|ya no estuviera)",
            "(les|le) (hago|haria|hare) un favor (si|desapareciendo|muriendo|al)",
        ],
    ),
    # --- self_harm: hurting oneself, said as the act as well as by name (PHQ-9 item 9:
    # "hurting yourself in some way"; ISAS behaviours; ICD-11: cutting, scraping, burning,
    # biting, hitting).
    Group(
        "self_harm",
        patterns=["self (harm*|injur*|mutilat*|inflicted)", "nssi", "auto lesion*"],
    ),
    Group(
        "self_harm",
        patterns=[
            "(harm*|hurt*|injur*|punish*|burn*|cut*|carv*|punch*|strangl*|chok*|bite|biting|"
            "starv*|scald*|bruis*) (my self|him self|her self|them selves|them self) "
            "!(off|out|up|shaving|while|by accident|accidentally|cooking|at the gym|at work|"
            "playing|lifting|working out|exercising|on (a|the|my)|in (a|the) (kitchen|garden|"
            "fall)|falling|skiing|running|trying|to (get|finish|make|meet))",
            "(cut*|burn*|carv*|slash*|gouge*) (my|on my|into my) {body} !(cooking|on (the|a)|"
            "shaving|in the kitchen|by accident|accidentally|while|at work|in the (sun|garden)|"
            "with (the|a) (kitchen|knife while))",
            "(cut*|burn*|carv*|scratch*|hit*|pick*|scrap*|punch*|bit*|bang*) ~ (until|till|til|so "
            "that|to make) (i|it|they|my|my self|them|me|my skin|my arms) (bleed*|bled|scar*|"
            "blister*)",
            "(make|makes|made|making) (my self|me|my {body}) bleed",
            "(started|start|been|stop|stopped|keep|kept|back to|relapsed (into|on|)|relapse "
            "(into|on|)|quit) (cutting|burning|self harm*|hurting my self|hitting my self) "
            "!(costs|back|down|out|hair|calories|carbs|sugar|wood|candles|incense|class|classes|"
            "corners|ties|coupons)",
            "(cutting|self harming) again",
            "(relapsed|relapse|relapsing) (on|into|with|) (sh|self harm*|cutting|burning)",
            "(sh|self harm) (urges|relapse|scars)",
            "(cut*|burn*|carv*|scratch*|hit*|pick*|scrap*|punch*|bit*|bang*) ~ ~ (until|till|til) "
            "(i|it|they|the skin|my {body}|my (knuckles|hands|fists|skin|head)) (bleed*|bruise*|"
            "see stars|pass out|black out)",
            "(urge*|craving*) to (cut|burn|hurt my self|harm my self|hit my self|bleed) "
            "!(back|down|my hair|ties|out)",
            "(blade|blades|lighter|cigarette|cigarettes) (on|to|into|against) my (arm|arms|wrist|"
            "wrists|thigh|thighs)",
            # Spanish: "me corto" as the act; "me corto el pelo" is not.
            "lesionar me",
            "(hacer me|haciendo me|me hago|me he hecho|me he estado haciendo|me estoy haciendo|"
            "me sigo haciendo|me hacia) dano !(en (la|el|los|las) (rodilla|espalda|pie|mano|"
            "tobillo|brazo|cuello)|al|jugando|corriendo)",
            "(lastimar me|me lastimo|me he lastimado|lastimando me|me estoy lastimando|me sigo "
            "lastimando|me lastimaba) !(la|el|los|las|en|jugando|con (la|el)|al|corriendo)",
            "(me corto|me he cortado|me estoy cortando|me sigo cortando|cortar me|me cortaba|"
            "me vuelvo a cortar|volvi a cortar me|cortando me|me empece a cortar|deje de "
            "cortar me) !(el (pelo|cabello|dedo|flequillo|fleco)|las (unas|puntas)|la barba|con "
            "(un|una|el) (papel|cuchillo|hoja)|cocinando|sin querer|al (cocinar|afeitar me|rasurar"
            " me)|afeitando me|rasurando me|por accidente|de (la|las|mi|mis))",
            "me (cort*|quem*|rasgun*|aran*) (los|las|mis|la|el) {cuerpo} !(al sol|en la playa|"
            "con el sol|cocinando|con (la|el) (plancha|sarten|horno|estufa))",
            "(me quemo|me quemaba|quemar me|me he quemado|me estoy quemando|quemando me) (con|) "
            "(cigarros|cigarrillos|el encendedor|un encendedor|mechero|un mechero|los brazos|"
            "la piel|las piernas) !(al sol|en la playa|con el sol)",
            "(me golpeo|golpear me|me doy golpes|me daba golpes|golpeando me) (la cabeza|contra|"
            "en la cabeza|hasta)",
            "hasta (sangrar|que (sangre|sangro|me sangr*)|hacer me sangrar|sacar me sangre)",
            "(me hago|me hacia|me he hecho|hacer me|me sigo haciendo) (cortes|cortadas|heridas|"
            "quemaduras|rasgunos)",
            "(ganas|impulso|impulsos|necesidad) de (cortar me|hacer me dano|lastimar me|"
            "quemar me|autolesion*|golpear me)",
            "(se corta|se lastima|se hace dano) !(el|las unas|la barba|con|al|jugando|sin querer|"
            "la (luz|llamada|senal|conexion)|el (agua|internet))",
        ],
    ),
]

# Statements about someone else's past, or about suicide as a subject, that are not the writer
# in crisis now. A crisis match that lies wholly inside one of these is left out. Only what is
# safe: a death (the person is not the writer), a past attempt by a relative other than a child
# or partner (a parent writes for a child, a spouse for a spouse: those stay flagged), family
# history, helplines and prevention work, and a drug label's warning. What someone else feels
# *now* ("my sister is suicidal") stays flagged: the request may be for them.
NOT_THE_WRITER = [
    "{relative} ~ (died|passed away|passed|was lost|lost his life|lost her life) (by|of|from|"
    "to|after|in a) suicid*",
    "{relative} ~ (committed|completed|died by|died of) suicid*",
    "{relative} ~ (killed|took) (him self|her self|them selves|his (own|) life|her (own|) life|"
    "their (own|) life)",
    "(lost|losing) (my|a|our|his|her) (own|) {relative} (to|by|from) suicid*",
    "(lost|losing) (my|a|our) {relative} ~ (to|by|from) suicid*",
    "{adult relative} ~ (attempted|tried|had (a|an|two|several)|made (a|an)) (suicid*|to (kill|"
    "end|take) (him self|her self|them selves|his life|her life|their life))",
    "(family|familial|families) (history|histories) (of|with) ~ suicid*",
    "suicid* (runs|run|ran|in) (in|) (my|the|our) (family|families)",
    "(history|histories) of suicid* (in|on) (my|the|our) (family|mothers side|fathers side|"
    "moms side|dads side)",
    "suicid* (prevention|hotline|hotlines|lifeline|line|awareness|crisis line|crisis lifeline|"
    "and crisis lifeline|crisis center|risk assessment|assessment|screening|screener|"
    "questionnaire|research|statistics|rates|rate|loss survivors|bereavement|training|walk)",
    "(boxed|black box|fda|label) (warning|warnings) ~ suicid*",
    "warning* (about|on|for|of) (the|an|) (increased|) (risk of|) suicid*",
    "(the|a|an|any|increased|higher|raise|raises|increase|increases) (risk|risks|danger|"
    "chance) of (suicid*|overdos*)",
    "(can|could) (you|one|someone|people|a person) overdose",
    "(side effect|side effects) ~ suicid*",
    "label (says|said|states|warns|mentions|lists) ~ suicid*",
    "(can|could|may|might|does|do|will|would) (it|spravato|this|that|esketamine|ketamine|"
    "antidepressants|tms|the (medication|medicine|drug|spray|treatment)) (cause|causes|increase|"
    "increases|trigger|bring on|lead to|give you|make you have) ~ suicid*",
    "(question|questions|item) (about|on|regarding|asking about) ~ (better off dead|suicid*|"
    "hurting your self|self harm*)",
    "(essay|paper|article|book|report|documentary|series|show|movie|film|lecture|class|course|"
    "project|podcast|news|story|research) (about|on) (youth|teen|teenage|) suicid*",
    "(in|within) (my|the|our) (family|families) (there (are|were|have been|has been)) ~ suicid*",
    "suicid* (patients|clients|callers)",
    "(patients|clients|callers) (who are|with) suicid*",
    "(#|few|several|many|some|hundred|hundreds of|thousand|couple of|a couple) k m s",
    "k m s (away|from|of|to|far|south|north|east|west|drive|each way|round trip)",
    # Spanish.
    "{pariente} ~ (se suicid*|se quito la vida|se mato)",
    "{pariente} ~ (murio|fallecio|falleci|muerto|muerta) (por|de|en un|tras un) suicidio",
    "(perdi|perdimos|perder) a (mi|nuestro|nuestra|un|una) {pariente} ~ (por|al|en un|a causa "
    "del|a causa de un) suicidio",
    "{pariente adulto} ~ (intento|intentaron|tuvo un intento de) (suicid*|quitar se la vida|"
    "matar se)",
    "(antecedentes|historia|historial) (familiares|) (de|del) suicidio ~ (en (mi|la) familia|"
    "familiares)",
    "(antecedentes|historia|historial) familiar* de suicidio",
    "suicidio (en (mi|la) familia)",
    "(prevencion del|linea de prevencion del|linea de|riesgo de|tasa de|tasas de|"
    "advertencia (sobre|de)|aviso (sobre|de)) suicidio",
    "(linea|lineas|telefono) (de|contra el) (crisis|suicidio)",
    "(aumenta|aumentar|aumento|mayor) (el|) riesgo de (pensamientos|ideas|conductas|) "
    "(suicid*|sobredosis)",
    "(advertencia|recuadro|caja negra) ~ suicid*",
    "(efecto|efectos) secundario* ~ suicid*",
    "pacientes suicid*",
    "(puede|pueden|podria|podrian|puede que) (dar|causar|provocar|aumentar|traer) ~ suicid*",
    "(pregunta|preguntas) (de|sobre|acerca de) ~ (mejor muert*|suicid*|hacer se dano|lastimar se)",
    "(reportaje|articulo|libro|pelicula|documental|noticia|serie|clase|programa|estudio) (sobre|"
    "del|de|acerca del) (el|) suicid*",
    "(casos|caso) de suicidio",
]

# An episode long past and said to be over: "I was hospitalized in 2015 for suicidal thoughts",
# "de adolescente me cortaba, pero hace más de 10 años que no lo hago". A match is left out when
# one of LONG_AGO stands in the same clause (the words between two sentence breaks or CLAUSE_BREAKS
# around it), and nothing in the message says it is back (STILL_HERE). "I attempted in 2019 and
# lately I want to die" stays flagged: the wish is in a clause of its own.
# An episode with no time on it, or a recent one ("last week", "last year"), stays flagged.
LONG_AGO = [
    "(#|many|several|a few|some|two|three|four|five|ten|fifteen|twenty) years ago",
    "years ago",
    "(as a|when i was a|when i was) (teen|teenager|kid|child|young adult|college student|"
    "student|young|younger|#)",
    "(in|back in) {year}",
    "when i was in (high school|college|my (teens|twenties))",
    "used to",
    "de (adolescente|joven|nino|nina|chamaco|chamaca|chavo|chava)",
    "(tenia|era) (# anos|adolescente|joven|nino|nina|chica|chico)",
    "a los #",
    "hace (mas de|unos|muchos|varios|) (# |) anos",
    "(en|desde) {year}",
    "en la (prepa|secundaria|preparatoria|universidad)",
]
CLAUSE_BREAKS = {
    "and", "but", "so", "then", "now", "today", "lately", "recently", "while", "though",
    "although", "y", "pero", "entonces", "ahora", "hoy", "ultimamente", "aunque", "mientras",
}  # fmt: skip
STILL_HERE = [
    "again",
    "otra vez",
    "de nuevo",
    "(thoughts|urges|ideas|feelings|it|they|those|these|them|si) (are|is|have|has|came|come|"
    "coming|started|start|keep) (back|coming back|again|returning)",
    "(pensamientos|ideas|ganas|impulsos) (volvieron|regresaron|han vuelto|estan volviendo)",
    "(still|todavia|aun|sigo) ~ (think*|thought|want*|feel*|pienso|pensando|quiero|tengo ganas|"
    "tengo (esos|esas|las|los))",
    "(every day|all the time|constantly|cada dia|todos los dias|todo el tiempo)",
]

# A denial just before a match: "I'm not suicidal", "no thoughts of self-harm", "nunca he
# pensado en quitarme la vida". The cue must be in the same sentence, at most five words before
# the match, with only FILLERS between ("not sure if I'm suicidal", "no one knows I'm suicidal"
# stay flagged). It is no denial if another cue or a doubt stands before the cue ("I can't
# promise I won't hurt myself", "not a day goes by that I don't want to die": DOUBTS), or if the
# match is followed by "yet" ("not suicidal yet").
NEGATION_CUES = {
    "not", "no", "never", "nor", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent",
    "havent", "hasnt", "hadnt", "wont", "wouldnt", "denies", "deny", "denied", "without", "zero",
    "none", "nunca", "jamas", "ni", "sin", "tampoco", "niego", "ningun", "ninguna",
}  # fmt: skip
DOUBTS = {
    "sure", "know", "certain", "promise", "guarantee", "swear", "seguro", "segura", "se",
    "prometo", "prometer", "garantizo", "cant", "cannot", "day",
}  # fmt: skip
FILLERS = {
    "i", "im", "m", "am", "is", "are", "was", "were", "be", "been", "being", "ve", "had",
    "ever", "any", "currently", "actively", "feeling", "feel", "felt", "a", "an", "the",
    "thoughts", "thought", "of", "about", "history", "previous", "prior", "past", "attempts",
    "attempted", "or", "and", "longer", "at", "all", "want", "wanting", "wanted", "tried", "to",
    "having",
    "considered", "think", "thinking", "would", "could", "will", "il", "id", "even",
    "suicide", "suicidal", "ideation", "self", "harm", "selfharm", "hurting", "myself",
    "tengo", "he", "sido", "estado", "soy", "estoy", "pensamientos", "pensamiento", "ideas",
    "de", "del", "intentado", "intentos", "antecedentes", "me", "tenido", "ha", "habido", "hay",
    "pensado", "en", "el", "la", "un", "una", "quiero", "siento", "suicidio", "suicidas",
    "suicida", "hacer", "dano", "lastimar", "nadie", "pienso", "pense", "pensar", "ninguna",
    "ningun", "forma", "manera",
}  # fmt: skip
STILL_RISK_AFTER = {"yet", "todavia", "aun"}

# Texting spellings, read as the words they stand for (in the message and in the patterns).
SPELLINGS = {
    "wanna": "want to", "gonna": "going to", "gotta": "got to", "tryna": "trying to",
    "u": "you", "ur": "your", "cuz": "because", "coz": "because", "bc": "because",
    "kiero": "quiero", "kieres": "quieres", "ke": "que", "q": "que", "xq": "porque",
    "pq": "porque", "porq": "porque", "x": "por", "tb": "tambien", "tmb": "tambien",
}  # fmt: skip
# Words that only add emphasis, dropped so that "I just want to die" is "I want to die".
EMPHASIS = {
    "just", "simply", "really", "honestly", "literally", "actually", "truly", "seriously",
    "genuinely", "basically", "kinda", "sorta", "ngl", "tbh", "fr", "lol", "lmao", "idk",
    "simplemente", "realmente", "sinceramente", "honestamente", "literalmente", "neta",
}  # fmt: skip
# A few emoji, read as the words they show.
EMOJI = {"💊": " pills ", "🔫": " gun ", "🔪": " knife ", "🪢": " rope ", "⚰": " coffin "}


# ---- normalisation ---------------------------------------------------------------------------

_HIDDEN = re.compile(r"[\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f"
                     r"\u3164\ufeff\uffa0]|[\U000e0000-\U000e007f]")  # fmt: skip
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "!": "i", "|": "i"}
_LEET_BETWEEN_LETTERS = re.compile(r"(?<=[a-z])[013457!|]+(?=[a-z])")
_AT_DOLLAR = re.compile(r"(?<=[a-z])[@$]|[@$](?=[a-z])")
_DOTTED_LETTERS = re.compile(r"(?<![a-z])([a-z])\.(?=[a-z](?![a-z]))")
_APOSTROPHES = re.compile(r"['\u2019\u2018`\u00b4\u02bc]")
_SENTENCE_BREAKS = re.compile(r"[.,;:!?¡¿\n\r\u2026\u2014()\[\]{}\"\u201c\u201d]+")
_NOT_A_LETTER = re.compile(r"[^0-9a-z.]+")
_RUNS = re.compile(r"([a-z])\1*")
_REPEATS = re.compile(r"([a-z])\1+")
_SELF = re.compile(r"\b(my|your|him|her|them|it|our|one|thy) (self|selves)\b")
# A pronoun written on a Spanish infinitive or gerund: matarme, cortandome, quitarse.
_CLITIC = re.compile(r"\b([a-z]{2,}(?:ar|er|ir|ando|iendo|yendo))(me|te|se|nos)\b")
# "Me" written before the verb that carries the infinitive ("me voy a cortar", "me quiero hacer
# daño"): said again after the infinitive, as "voy a cortarme" has it, for the patterns of the
# infinitive ("cortar me", "hacer me dano") and their exceptions ("me voy a cortar el pelo").
_CLIMBED = re.compile(
    r"\bme ((?:voy|vas|va|iba|vaya|fuera|vuelvo|volvi|empiezo|empece) a|quiero|quisiera|queria|"
    r"puedo|podria|pienso|pensaba|debo|deberia|(?:tengo|tenia) que|necesito|intento|"
    r"(?:trato|trate|acabo) de) ([a-z]{2,}(?:ar|er|ir))\b(?! me\b)"
)


def normalise(text):
    """Lowercase ASCII words separated by single spaces, "." where a sentence breaks."""
    text = _HIDDEN.sub("", text or "")
    for emoji, word in EMOJI.items():
        text = text.replace(emoji, word)
    text = fold(text)
    text = _LEET_BETWEEN_LETTERS.sub(lambda m: "".join(_LEET[c] for c in m[0]), text)
    text = _AT_DOLLAR.sub(lambda m: "a" if m[0] == "@" else "s", text)
    text = _DOTTED_LETTERS.sub(r"\1", text)
    text = _APOSTROPHES.sub("", text)
    text = _SENTENCE_BREAKS.sub(" . ", text)
    text = _NOT_A_LETTER.sub(" ", text)
    text = _SELF.sub(r"\1\2", text)
    text = _CLITIC.sub(r"\1 \2", text)
    words = []
    for word in " ".join(SPELLINGS.get(w, w) for w in text.split()).split():
        if word in EMPHASIS or (word == "." and (not words or words[-1] == ".")):
            continue
        words.append(word)
    return _CLIMBED.sub(r"me \1 \2 me", " ".join(words)).strip(" .")


def _squeeze(word):
    """The word with each repeated letter once ("nooo" is "no"), to compare it with a list."""
    return _REPEATS.sub(r"\1", word)


def _within_one_edit(a, b):
    """True if a and b differ by at most one letter changed, added, dropped or swapped."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :] or (
            a[i : i + 2] == b[i : i + 2][::-1] and a[i + 2 :] == b[i + 2 :]
        )
    return a[i + 1 :] == b[i:] if len(a) > len(b) else a[i:] == b[i + 1 :]


def _mend_stems(text):
    """Each word that starts with a key stem misspelt by one letter, spelt right."""
    words = text.split(" ")
    for n, word in enumerate(words):
        for stem in FUZZY_STEMS:
            if word.startswith(stem) or len(word) < len(stem) - 1:
                continue
            cuts = [c for c in (len(stem), len(stem) - 1, len(stem) + 1) if c <= len(word)]
            cut = next((c for c in cuts if _within_one_edit(word[:c], stem)), None)
            if cut is not None:
                words[n] = stem + word[cut:]
                break
    return " ".join(words)


# ---- patterns --------------------------------------------------------------------------------

_TOKENS = re.compile(r"[()|?~$!#]|[^\s()|?~$!#]+")
_SEP = " ?"  # between two words: a space, or nothing ("selfharm")
_WORD_END = r"(?![a-z0-9])"


def _expand(pattern):
    for _ in range(3):  # a macro may use another
        for name, value in MACROS.items():
            pattern = pattern.replace(name, value)
    if "{" in pattern:
        raise ValueError(f"unknown macro in {pattern!r}")
    return pattern


class _Parser:
    """Reads one pattern (see the module's docstring) into a regular expression."""

    def __init__(self, pattern):
        self.tokens = _TOKENS.findall(_expand(pattern))
        self.at = 0

    def parse(self):
        body = self.sequence()
        if self.at != len(self.tokens):
            raise ValueError(f"unexpected {self.tokens[self.at]!r}")
        return rf"(?<![a-z0-9]){body}{_WORD_END}"

    def peek(self):
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def sequence(self):
        out = ""
        while self.peek() not in (None, ")", "|"):
            part = self.item()
            # A lookahead checks what follows the word before it: no separator before it.
            out += part if not out or part.startswith(("(?=", "(?!")) else _SEP + part
        return out

    def item(self):
        part = self.peek()
        self.at += 1
        if part == "(":
            choices = [self.sequence()]
            while self.peek() == "|":
                self.at += 1
                choices.append(self.sequence())
            if self.peek() != ")":
                raise ValueError("unclosed (")
            self.at += 1
            optional = "" in choices
            if self.peek() == "?":
                self.at += 1
                optional = True
            return "(?:" + "|".join(c for c in choices if c) + ")" + ("?" if optional else "")
        if part == "~":
            return r"(?: ?\b[a-z0-9]+\b){0,4}"
        if part == "#":
            return "[0-9]+"
        if part == "%year":
            return "(?:19[5-9][0-9]|20[0-2][0-9])"
        if part == "$":
            return r"(?= ?(?:\.|$))"
        if part == "!":
            return rf"(?! ?{self.item()}{_WORD_END})"
        if part in (")", "|", "?", None):
            raise ValueError(f"unexpected {part!r}")
        return _word(part)


def _word(token):
    words = normalise(token.rstrip("*")).split(" ")
    if not all(words):
        raise ValueError(f"no letters in {token!r}")
    # Each letter as many times as the message repeats it, but at least as often as the word
    # has it: "kill" is k+i+l{2,}.
    regex = _SEP.join(_RUNS.sub(_letters, w) for w in words)
    return regex + ("[a-z0-9]*" if token.endswith("*") else "")


def _letters(run):
    return run[1] + ("+" if len(run[0]) == 1 else f"{{{len(run[0])},}}")


def compile_pattern(pattern):
    return re.compile(_Parser(pattern).parse())


@dataclass(frozen=True)
class _Rules:
    groups: list
    exempt: list
    long_ago: list
    still_here: list
    cues: set
    doubts: set
    fillers: set
    still_risk: set
    clause_breaks: set
    coordinating: set


@cache
def _rules():
    def regexes(patterns):
        return [compile_pattern(p) for p in patterns]

    def words(listed):
        return {_squeeze(w) for w in listed}

    return _Rules(
        groups=[(g.kind, regexes(g.patterns)) for g in GROUPS],
        exempt=regexes(NOT_THE_WRITER),
        long_ago=regexes(LONG_AGO),
        still_here=regexes(STILL_HERE),
        cues=words(NEGATION_CUES),
        doubts=words(DOUBTS),
        fillers=words(FILLERS),
        still_risk=words(STILL_RISK_AFTER),
        clause_breaks=words(CLAUSE_BREAKS),
        coordinating=words({"ni", "nor"}),
    )


# ---- matching --------------------------------------------------------------------------------


def _denied(text, start, end, rules):
    """True if a denial cue stands just before text[start:end] (see NEGATION_CUES)."""
    after = text[end:].split()
    if after and _squeeze(after[0]) in rules.still_risk:
        return False
    before = [_squeeze(w) for w in text[:start].split()]
    for n in range(len(before) - 1, max(len(before) - 6, -1), -1):
        word = before[n]
        if word in rules.cues:
            # "can't promise I won't", "not a day goes by that I don't": no denial. ("no ... ni",
            # "no ... nor" is one denial of two things.)
            if word in rules.coordinating:
                return True
            earlier = before[max(n - 8, 0) : n]
            if "." in earlier:
                earlier = earlier[len(earlier) - earlier[::-1].index(".") :]
            # Further back only within the clause: "I cannot tell my wife or my kids that I won't
            # hurt myself" is no denial; "I can't sleep and my wife worries but I am not
            # suicidal" is one (a sentence break or CLAUSE_BREAKS ends a clause).
            if len(earlier) == 8 and not rules.clause_breaks.intersection(earlier):
                for word in reversed(before[: n - 8]):
                    if word == "." or word in rules.clause_breaks:
                        break
                    earlier.append(word)
            return not any(w in rules.cues or w in rules.doubts for w in earlier)
        if word not in rules.fillers:
            return False
    return False


def _clause(text, start, end, rules):
    """The span of the clause around text[start:end] (see LONG_AGO)."""
    begin, finish = 0, len(text)
    for m in re.finditer(r"[a-z0-9.]+", text):
        if m[0] == "." or _squeeze(m[0]) in rules.clause_breaks:
            if m.end() <= start:
                begin = m.end()
            elif m.start() >= end:
                finish = m.start()
                break
    return begin, finish


def _long_past(text, start, end, rules, back):
    """True if text[start:end] is told as an episode long past, and nothing says it is back."""
    if back:
        return False
    begin, finish = _clause(text, start, end, rules)
    return any(r.search(text, begin, finish) for r in rules.long_ago)


def crisis_matches(*texts):
    """(kind, the normalised words matched) for each crisis statement found in the texts."""
    rules = _rules()
    texts = [_mend_stems(normalise(raw)) for raw in texts]
    back = any(r.search(text) for text in texts for r in rules.still_here)
    found = []
    for text in filter(None, texts):
        spared = [m.span() for regex in rules.exempt for m in regex.finditer(text)]
        for kind, regexes in rules.groups:
            for regex in regexes:
                for m in regex.finditer(text):
                    start, end = m.span()
                    if (
                        any(s <= start and end <= e for s, e in spared)
                        or _denied(text, start, end, rules)
                        or _long_past(text, start, end, rules, back)
                    ):
                        continue
                    found.append((kind, m[0]))
    return found


def crisis_kinds(*texts):
    """The kinds of crisis statement (keys of KINDS) found in the texts, in KINDS' order."""
    found = {kind for kind, _ in crisis_matches(*texts)}
    return [kind for kind in KINDS if kind in found]
