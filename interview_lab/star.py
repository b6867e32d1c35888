"""A STAR coach: read a behavioral-interview answer and say what it is missing.

STAR stands for Situation, Task, Action, Result, the usual shape for answering "tell me about a
time when..." questions. :func:`coach` reads an answer's text and reports, with heuristics that a
learner can read below:

* **Which parts are present.** An explicit label ("Situation:", "**Task** -", "Result:") followed
  by at least three words counts. Without labels, a part counts when one of its cue phrases
  appears (``SITUATION_CUES``, ``TASK_CUES``, ``ACTION_CUES``, ``RESULT_CUES``): "when I joined",
  "my goal was", "I automated", "as a result", "dropped from ... to ...".
* **Whether the result is quantified.** The result is the labelled Result section, or, without a
  label, the text from the first result cue to the end. It is quantified when it holds a number
  with a unit (``QUANTITY``): a percentage, an amount of money, a multiple ("15x"), a time, a
  size, a count of things ("40 deploys"), a rate ("15/week"), or "halved"/"doubled".
* **The "I" versus "we" balance.** Interviewers hire a person, not a team: the share of
  first-person singular words (I, me, my, mine, myself) among all first-person words. Lower-case
  "us" counts as "we"; upper-case "US" (the country) does not.
* **Length and speaking time.** Words are counted without the STAR labels (nobody says
  "Situation, colon" aloud). Speaking time uses 150 words per minute, the average conversational
  rate of American English reported by the National Center for Voice and Speech (NCVS); everyday
  conversation ranges from about 120 to 150 words per minute, so pass ``words_per_minute`` to
  match your own pace. The course's rule of thumb for one answer is one to three minutes: enough
  for all four parts, and short enough that a 45-60 minute behavioral round has room for several
  questions and follow-ups.
* **Red-flag phrases.** The patterns in ``RED_FLAG_RULES`` cover the interview red flags the
  chapter lists (not being able to explain your own work, vague claims without numbers, blaming
  others, no current learning, buzzwords without substance, bad-mouthing, no questions for the
  interviewer, arrogance, salary first, no research about the company). Two of them depend on the
  rest of the answer: a vague claim ("pretty fast") and a pile of buzzwords only count when the
  answer holds no number with a unit at all.

Score (0-100): 15 points per STAR part present (60), 15 for a quantified result, 15 for ownership
("I" share of at least 50 %; 7 for 25-50 %), 10 for a speaking time of 60-180 s (5 for 30-240 s),
minus 20 per red flag, kept between 0 and 100. The verdict is rule-based rather than a score cut:
an answer is **strong** when all four parts are present, the result is quantified, the "I" share
is at least 50 %, it takes between 30 s and 4 minutes to say, and there is no red flag; otherwise
it is **weak**.

These are heuristics on words, not understanding: a negation ("I never blamed my teammate")
or irony can fool them, and an answer can tick every box and still be dull. Use the report as a
checklist for rewriting, not as a grade.

Sources: the chapter's STAR framework and red-flags list (the course's seed text); NCVS figure of
about 150 words per minute as quoted in public-speaking guides.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from interview_lab import settings

DEFAULT_WORDS_PER_MINUTE = 150.0
"""Average conversational rate of American English (NCVS), in words per minute."""

GOOD_TIME_S = (60.0, 180.0)
"""Speaking time that earns the full length points, in seconds (one to three minutes)."""
NEAR_TIME_S = (30.0, 240.0)
"""Speaking time that earns half the length points, in seconds."""

ELEMENTS = ("Situation", "Task", "Action", "Result")
POINTS_PER_ELEMENT = 15
POINTS_QUANTIFIED = 15
POINTS_OWNERSHIP = 15
POINTS_LENGTH = 10
PENALTY_PER_RED_FLAG = 20
STRONG_I_SHARE = 0.5
PARTIAL_I_SHARE = 0.25
MIN_LABELLED_WORDS = 3

_FLAGS = re.IGNORECASE

# A STAR label: "Situation:", "**Task**:", "Result -", "**Action:**" (a dash needs spaces around it,
# so "task-definition" is not a label).
LABEL = re.compile(
    r"(?:^|(?<=[\s\"'(]))[*_]{0,2}(situation|task|action|result)s?[*_]{0,2}"
    r"\s*(?::|\s[-\u2013\u2014](?=\s))[*_]{0,2}",
    _FLAGS,
)

SITUATION_CUES = re.compile(
    r"\b(?:when I (?:started|joined|took over|was|first|moved|arrived)|at the time|back (?:then|in)"
    r"|in my (?:last|previous|current|first|old) (?:role|job|team|company|position|internship)"
    r"|last (?:year|quarter|month|summer|spring|autumn|fall|winter)"
    r"|a few (?:days|weeks|months|years) ago"
    r"|(?:our|the|my) (?:team|company|service|pipeline|system|application|app|site|cluster"
    r"|project|build|builds|deploys?|deployments?|releases?|database|image|on-call|monitoring)"
    r" (?:was|were|had|kept|used to|took|ran|only)"
    r"|there (?:was|were)|we (?:had|were running|used to)|I (?:noticed|inherited|joined)"
    r"|while (?:working|building|researching|running)|during (?:a|an|the|my))\b",
    _FLAGS,
)

TASK_CUES = re.compile(
    r"\b(?:(?:my|our) (?:goal|task|job|role|responsibility|aim|brief|mission|target) (?:was|is)"
    r"|the (?:goal|task|aim|challenge|ask|problem|brief|target) (?:was|is)"
    r"|I (?:needed|had|was asked|was tasked|volunteered|wanted|set out|offered|agreed) to"
    r"|I was (?:asked|tasked|responsible|assigned|in charge)"
    r"|I (?:owned|took on|took ownership)|(?:it|this) was (?:up to|on) me"
    r"|needed to|had to|so that)\b",
    _FLAGS,
)

_ACTION_VERBS = (
    r"implemented|built|wrote|rewrote|added|created|designed|automated|migrated|set up|configured"
    r"|introduced|proposed|ran|measured|tested|led|organi[sz]ed|rolled back|reviewed|debugged"
    r"|refactored|deployed|profiled|researched|documented|split|moved|replaced|started|prototyped"
    r"|analy[sz]ed|compared|triggered|scheduled|paired|met|asked|explained|traced|fixed"
    r"|reproduced|benchmarked|switched|enabled|removed|tuned|shared|presented|suggested"
    r"|negotiated|coordinated|contacted|escalated|investigated|identified|drafted|broke"
    r"|restructured|cached|containeri[sz]ed|scripted|installed|upgraded|patched|rotated"
    r"|reverted|talked|listened|pushed back|thanked|read|studied|practi[sc]ed|spent|chose"
    r"|picked|wrote up|opened|merged|ported|mentored|taught|interviewed|gathered|collected"
    r"|defined|planned|estimated|calculated|sketched|ran through|walked|called|pulled"
    r"|bisected|isolated|reconfigured|recreated|limited|capped|deleted|silenced|muted|grouped"
    r"|exported|sorted|raised|lowered|dropped|kept|wrote down|checked|looked|found|paused|freed"
)
ACTION_CUES = re.compile(
    rf"\b(?:(?:I|we)\s+(?:first\s+|then\s+|also\s+|quickly\s+|personally\s+|finally\s+)?"
    rf"(?:{_ACTION_VERBS})|my first step|first,? I|then,? I|next,? I|finally,? I)\b",
    _FLAGS,
)

RESULT_CUES = re.compile(
    r"\b(?:as a result|the (?:result|outcome|upshot) (?:was|is)|results? in|resulted in|led to"
    r"|(?:this|that|which|it|the change|the fix) (?:cut|reduced|brought|dropped|saved|improved"
    r"|increased|decreased|halved|doubled|lowered|raised|shortened|sped up|removed|eliminated"
    r"|prevented|meant|let|allowed|gave|took|freed)"
    r"|in the end|ended up|end result|outcome"
    r"|(?:went|dropped|fell|rose|came|grew|shrank|improved|moved) (?:from|down|up)"
    r"|since then|afterwards|after that|I learned|we learned|the lesson"
    r"|(?:the team|the company|everyone|the service) (?:now|adopted|kept))\b",
    _FLAGS,
)

_UNITS = (
    r"ms|milliseconds?|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|days?|weeks?|months?|years?"
    r"|[KMGTP]i?B|k|rps|qps|req/s|users?|customers?|requests?|deploys?|deployments?|releases?"
    r"|builds?|incidents?|alerts?|pages?|tickets?|errors?|servers?|nodes?|hosts?|tasks?|pods?"
    r"|containers?|services?|microservices?|engineers?|developers?|teams?|tests?|bugs?"
    r"|pipelines?|jobs?|steps?|lines?|files?|repos?|repositories?|books?|records?|rows?"
    r"|points?|v?CPUs?|cores?|people|regions?|accounts?|environments?|dashboards?|runbooks?"
)
QUANTITY = re.compile(
    r"[$\u20ac\u00a3]\s?\d[\d,]*(?:\.\d+)?\s?(?:[kKmM]\b)?"
    r"|\b\d+(?:\.\d+)?\s?(?:%|percent\b|per cent\b)"
    r"|\b\d+(?:\.\d+)?\s?(?:x|\u00d7)(?!\w)|\b\d+(?:\.\d+)?\s?times\b"
    rf"|\b\d+(?:[.,]\d+)*\s?(?:{_UNITS})\b"
    r"|\b\d+\s?/\s?(?:day|week|month|hour|h|min|s)\b"
    r"|\b(?:halved|doubled|tripled|quadrupled)\b",
)

_I_WORDS = re.compile(r"\bI(?:['\u2019](?:m|ve|d|ll))?\b|\b(?i:me|my|mine|myself)\b")
_WE_WORDS = re.compile(r"\b(?i:we|we['\u2019](?:re|ve|d|ll)|our|ours|ourselves)\b|\bus\b")
_WORD = re.compile(r"[A-Za-z0-9$\u20ac\u00a3]+(?:['\u2019.,%/-][A-Za-z0-9%]+)*%?")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

BUZZWORDS = re.compile(
    r"\b(?:synerg(?:y|ies)|leverag(?:e|ed|ing)|cutting[- ]edge|bleeding[- ]edge|next[- ]gen\w*"
    r"|game[- ]changer|paradigm(?: shift)?|disruptive|world[- ]class|best[- ]in[- ]class"
    r"|seamless(?:ly)?|revolutionary|digital transformation|web[- ]scale|blazing(?:ly)? fast"
    r"|rock ?star|ninja|guru|holistic|move the needle|state[- ]of[- ]the[- ]art|best practices"
    r"|robust|scalable|cloud[- ]native)\b",
    _FLAGS,
)
BUZZWORDS_FOR_FLAG = 3
"""How many buzzwords, in an answer without a single number with a unit, make a red flag."""

VAGUE_CLAIM = re.compile(
    r"\b(?:pretty|really|very|super|quite|extremely|so|fairly|rather)\s+(?:fast|quick|reliable"
    r"|stable|scalable|robust|performant|secure|efficient|good|solid|cheap|smooth|great)\b",
    _FLAGS,
)


@dataclass(frozen=True)
class RedFlagRule:
    """One red flag: a key, a short name, the pattern that finds it, and the fix."""

    key: str
    name: str
    pattern: re.Pattern[str]
    advice: str


RED_FLAG_RULES: tuple[RedFlagRule, ...] = (
    RedFlagRule(
        "no-ownership",
        "Cannot explain your own work",
        re.compile(
            r"\b(?:just|only|simply)\s+(?:followed|copied|used|did what)\s+(?:a|an|the|some)\s+"
            r"(?:\w+\s+)?(?:tutorial|guide|blog(?: post)?|video|course|stack ?overflow answer)s?\b"
            r"|\bcopied (?:it|that|everything|(?:the|a|my|our) \w+) from\b"
            r"|\bI\s+(?:really\s+)?(?:don't|do not|didn't|did not)\s+(?:really\s+)?"
            r"(?:know|understand)\s+how\s+(?:it|that|this)\s+works\b"
            r"|\bsomeone else (?:set|wrote|built|configured|did) (?:it|that|this|most of it)\b",
            _FLAGS,
        ),
        "Explain how your own work works, part by part; if a tutorial got you started, say what "
        "you changed and why.",
    ),
    RedFlagRule(
        "vague-claim",
        "Vague claim without numbers",
        VAGUE_CLAIM,
        "Replace 'pretty fast' or 'really reliable' with a measurement: a latency percentile, an "
        "uptime percentage, a build time.",
    ),
    RedFlagRule(
        "blaming",
        "Blaming others",
        re.compile(
            r"\bbecause\s+(?:my|the|our|a)\s+(?:\w+\s+)?(?:teammate|colleague|co-?worker|manager"
            r"|boss|lead|team|tester|qa|developer|devs?|contractor|vendor|client|intern)s?\s+"
            r"(?:didn't|did not|never|failed to|forgot|wouldn't|would not|couldn't|could not"
            r"|refused|messed|broke|ignored)\b"
            r"|\b(?:wasn't|was not|isn't|is not|not|never)\s+my\s+fault\b"
            r"|\b(?:it was|that was|was)\s+(?:entirely\s+|all\s+|totally\s+)?(?:his|her|their"
            r"|the team's|my teammate's|my manager's|qa's)\s+fault\b"
            r"|\bI\s+blame\b"
            r"|\bblamed? (?:it )?on (?:my|the|our) (?:teammate|colleague|team|manager|boss|tester"
            r"|intern)",
            _FLAGS,
        ),
        "Own your part of what went wrong and talk about the system (tests, reviews, process) "
        "that let it happen, not about a person.",
    ),
    RedFlagRule(
        "not-learning",
        "Not learning anything now",
        re.compile(
            r"\b(?:nothing|not much|not really anything)\b[^.?!]{0,40}\b(?:job (?:search|hunt)"
            r"|too busy|no time)\b"
            r"|\bI'?m not (?:really )?learning anything\b|\bno time (?:to|for) learn",
            _FLAGS,
        ),
        "Name something you are learning right now and how: a course, a side project, a "
        "migration you are trying out.",
    ),
    RedFlagRule(
        "buzzwords",
        "Buzzwords without substance",
        re.compile(
            r"\b(?:it's|it is|like)\s+(?:basically\s+|just\s+|kind of\s+|like\s+|an?\s+)*"
            r"(?:\w+\s+){0,2}but\s+(?:better|faster|bigger|more scalable|more modern)\b",
            _FLAGS,
        ),
        "Say what the technology does and where you have used it; if you have not used it, say "
        "so and compare it with something you know.",
    ),
    RedFlagRule(
        "bad-mouthing",
        "Bad-mouthing a team or employer",
        re.compile(
            r"\b(?:my|our|the)\s+(?:former\s+|previous\s+|old\s+|last\s+|current\s+)?"
            r"(?:manager|boss|team|company|employer|colleagues?|co-?workers?|lead|cto|management)"
            r"\s+(?:was|were|is|are)\s+(?:so\s+|totally\s+|completely\s+|just\s+|really\s+)?"
            r"(?:incompetent|useless|clueless|terrible|awful|lazy|stupid|idiots?|a joke|a mess"
            r"|hopeless|toxic|the worst|dumb)\b"
            r"|\b(?:he|she|they)\s+(?:was|were|is|are)\s+(?:so\s+|totally\s+|completely\s+)?"
            r"(?:incompetent|clueless|useless|lazy|stupid|idiots?)\b|\bidiots\b",
            _FLAGS,
        ),
        "Stay diplomatic: describe different priorities or constraints, not people's faults.",
    ),
    RedFlagRule(
        "no-questions",
        "No questions for the interviewer",
        re.compile(
            r"\b(?:no|nope),?\s+I\s+think\s+you(?:'ve| have)?\s+covered\s+(?:everything|it all)\b"
            r"|\bI\s+(?:don't|do not)\s+have\s+any\s+questions\b|\bno questions(?: from me)?\b",
            _FLAGS,
        ),
        "Bring three to five questions about the team, its on-call, its deploys or its "
        "roadmap, and ask them.",
    ),
    RedFlagRule(
        "arrogance",
        "Arrogance",
        re.compile(
            r"\b(?:I'm|I am)\s+(?:definitely\s+|obviously\s+|clearly\s+|easily\s+|by far\s+)?"
            r"(?:the\s+)?(?:best|smartest|strongest)\s+"
            r"(?:candidate|engineer|developer|person|one)\b"
            r"|\bbest candidate you(?:'ll| will)?\b|\bI\s+(?:have\s+)?never\s+(?:make|made)\s+"
            r"(?:a\s+)?mistakes?\b|\bI\s+(?:already\s+)?know\s+(?:everything|it all)\b"
            r"|\b(?:smarter|better)\s+than\s+(?:everyone|everybody|anyone|all)\b"
            r"|\bnobody (?:else )?(?:on|in) (?:the|my) team (?:could|can|knew|understood)\b",
            _FLAGS,
        ),
        "Let evidence carry the confidence: what you built and what it achieved, not how you "
        "rank against other candidates.",
    ),
    RedFlagRule(
        "salary-first",
        "Salary before interest",
        re.compile(
            r"\bwhat(?:'s| is)\s+the\s+(?:salary|pay|compensation)(?:\s+range)?\b"
            r"|\bhow much (?:does|will|would) (?:it|this|the role|this role|the job|the position)"
            r" pay\b",
            _FLAGS,
        ),
        "Show why the role interests you first; talk about pay when the recruiter asks or at "
        "the offer stage.",
    ),
    RedFlagRule(
        "unprepared",
        "No research about the company",
        re.compile(
            r"\byou\s+(?:guys\s+)?(?:do|make|sell)\s+(?:cloud|tech|software|internet|computer)"
            r"\s+(?:stuff|things)\b"
            r"|\bI\s+(?:haven't|have not|didn't|did not)\s+(?:had time to\s+)?(?:really\s+)?"
            r"(?:looked|look|read)\s+(?:at|into|up on)?\s*(?:your|the)\s+company\b",
            _FLAGS,
        ),
        "Read the company's engineering blog, products and recent news before the call, and "
        "mention something specific.",
    ),
)
_RULES_BY_KEY: dict[str, RedFlagRule] = {rule.key: rule for rule in RED_FLAG_RULES}
_NEEDS_NO_NUMBERS = frozenset({"vague-claim"})


@dataclass(frozen=True)
class RedFlag:
    """A red flag found in an answer: which rule, and the words that triggered it."""

    key: str
    name: str
    excerpt: str
    advice: str


@dataclass(frozen=True)
class StarReport:
    """What :func:`coach` found in one answer (see the module docstring for the rules)."""

    word_count: int
    words_per_minute: float
    speaking_time_s: float
    present: tuple[str, ...]
    missing: tuple[str, ...]
    evidence: tuple[tuple[str, str], ...]
    labelled: bool
    result_text: str
    quantities: tuple[str, ...]
    quantified_result: bool
    i_count: int
    we_count: int
    i_share: float | None
    red_flags: tuple[RedFlag, ...]
    score_parts: tuple[tuple[str, int, int], ...]
    score: int
    is_strong: bool
    advice: tuple[str, ...]

    @property
    def verdict(self) -> str:
        """``"strong"`` or ``"weak"`` (the rule is in the module docstring)."""
        return "strong" if self.is_strong else "weak"

    @property
    def has_red_flags(self) -> bool:
        return bool(self.red_flags)

    @property
    def speaking_time_text(self) -> str:
        """The speaking time as minutes and seconds, e.g. ``"1 min 32 s"``."""
        total_s = round(self.speaking_time_s)
        minutes, seconds = divmod(total_s, 60)
        return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def count_words(text: str) -> int:
    """Spoken words in ``text``: STAR labels are left out, numbers count as words."""
    return len(_WORD.findall(LABEL.sub(" ", text)))


def speaking_time_s(word_count: int, words_per_minute: float = DEFAULT_WORDS_PER_MINUTE) -> float:
    """Seconds needed to say ``word_count`` words at ``words_per_minute``."""
    _check_rate(words_per_minute)
    if word_count < 0:
        raise ValueError(f"word_count must be 0 or more, got {word_count}")
    return word_count / words_per_minute * 60.0


def find_quantities(text: str) -> tuple[str, ...]:
    """Numbers with a unit, percentages, amounts, multiples and rates found in ``text``."""
    return tuple(match.group(0).strip() for match in QUANTITY.finditer(text))


def find_red_flags(text: str) -> tuple[RedFlag, ...]:
    """Red flags in ``text``, one per rule, in the order of ``RED_FLAG_RULES``."""
    has_numbers = bool(QUANTITY.search(text))
    found: list[RedFlag] = []
    for rule in RED_FLAG_RULES:
        match = rule.pattern.search(text)
        if rule.key in _NEEDS_NO_NUMBERS and has_numbers:
            match = None
        excerpt = match.group(0) if match else ""
        if rule.key == "buzzwords" and not match and not has_numbers:
            words = BUZZWORDS.findall(text)
            if len(words) >= BUZZWORDS_FOR_FLAG:
                excerpt = ", ".join(words)
        if excerpt:
            found.append(RedFlag(rule.key, rule.name, excerpt, rule.advice))
    return tuple(found)


def _check_rate(words_per_minute: float) -> None:
    if not words_per_minute > 0:
        raise ValueError(f"words_per_minute must be more than 0, got {words_per_minute}")
    if words_per_minute > 400:
        raise ValueError(
            f"words_per_minute must be at most 400 (an auctioneer's pace), got {words_per_minute}"
        )


def _sections(text: str) -> dict[str, str]:
    """Labelled sections: element name -> its text (several labels of one kind are joined)."""
    sections: dict[str, list[str]] = {}
    matches = list(LABEL.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        element = match.group(1).capitalize()
        sections.setdefault(element, []).append(text[match.end() : end].strip())
    return {element: " ".join(parts) for element, parts in sections.items()}


def _detect(text: str, sections: Mapping[str, str]) -> dict[str, str]:
    """Element -> how it was detected ('label' or the cue phrase), for the elements present."""
    cues = {
        "Situation": SITUATION_CUES,
        "Task": TASK_CUES,
        "Action": ACTION_CUES,
        "Result": RESULT_CUES,
    }
    found: dict[str, str] = {}
    for element in ELEMENTS:
        section = sections.get(element, "")
        if count_words(section) >= MIN_LABELLED_WORDS:
            found[element] = "label"
            continue
        match = cues[element].search(text)
        if match:
            found[element] = f"cue: \u201c{match.group(0)}\u201d"
    return found


def _result_text(text: str, sections: Mapping[str, str]) -> str:
    if count_words(sections.get("Result", "")) >= MIN_LABELLED_WORDS:
        return sections["Result"]
    match = RESULT_CUES.search(text)
    if not match:
        return ""
    # From the start of the sentence holding the first result cue to the end of the answer.
    starts = [0, *(m.end() for m in _SENTENCE_END.finditer(text, 0, match.start()))]
    return text[starts[-1] :].strip()


def _length_points(time_s: float) -> int:
    if GOOD_TIME_S[0] <= time_s <= GOOD_TIME_S[1]:
        return POINTS_LENGTH
    if NEAR_TIME_S[0] <= time_s <= NEAR_TIME_S[1]:
        return POINTS_LENGTH // 2
    return 0


def _ownership_points(i_share: float | None) -> int:
    if i_share is None:
        return 0
    if i_share >= STRONG_I_SHARE:
        return POINTS_OWNERSHIP
    if i_share >= PARTIAL_I_SHARE:
        return POINTS_OWNERSHIP // 2
    return 0


_MISSING_ADVICE = {
    "Situation": "Open with the situation: where you were, what was happening and why it "
    "mattered.",
    "Task": "Say what your own task or goal was, in one sentence (\u201cMy goal was to...\u201d).",
    "Action": "Describe the steps you took yourself, with verbs in the first person "
    "(\u201cI wrote...\u201d, \u201cI measured...\u201d).",
    "Result": "Finish with the result: what changed because of what you did, and what you learned.",
}


def coach(answer: str, *, words_per_minute: float = DEFAULT_WORDS_PER_MINUTE) -> StarReport:
    """Analyse one behavioral answer; see the module docstring for every rule.

    >>> coach("Situation: our deploys took 40 minutes. Task: my goal was to halve that. "
    ...       "Action: I cached the dependency layer. Result: deploys dropped to 12 minutes.").score
    90
    """
    if not isinstance(answer, str):
        raise ValueError(f"the answer must be text, got {type(answer).__name__}")
    if not answer.strip():
        raise ValueError("the answer is empty: type or paste an answer to analyse")
    _check_rate(words_per_minute)

    sections = _sections(answer)
    detected = _detect(answer, sections)
    present = tuple(e for e in ELEMENTS if e in detected)
    missing = tuple(e for e in ELEMENTS if e not in detected)
    result_text = _result_text(answer, sections) if "Result" in detected else ""
    result_quantities = find_quantities(result_text)
    quantified = bool(result_quantities)

    words = count_words(answer)
    time_s = speaking_time_s(words, words_per_minute)
    i_count = len(_I_WORDS.findall(answer))
    we_count = len(_WE_WORDS.findall(answer))
    i_share = i_count / (i_count + we_count) if i_count + we_count else None
    flags = find_red_flags(answer)

    parts = (
        ("STAR parts present", POINTS_PER_ELEMENT * len(present), POINTS_PER_ELEMENT * 4),
        ("Quantified result", POINTS_QUANTIFIED if quantified else 0, POINTS_QUANTIFIED),
        ("Ownership (I vs we)", _ownership_points(i_share), POINTS_OWNERSHIP),
        ("Length", _length_points(time_s), POINTS_LENGTH),
    )
    raw = sum(earned for _, earned, _ in parts) - PENALTY_PER_RED_FLAG * len(flags)
    score = max(0, min(100, raw))
    strong = (
        not missing
        and quantified
        and NEAR_TIME_S[0] <= time_s <= NEAR_TIME_S[1]
        and i_share is not None
        and i_share >= STRONG_I_SHARE
        and not flags
    )

    advice: list[str] = [_MISSING_ADVICE[e] for e in missing]
    if "Result" in present and not quantified:
        advice.append(
            "Quantify the result: a percentage, a time, a count or an amount "
            "(\u201cbuilds went from 95 s to 12 s\u201d)."
        )
    if i_share is None:
        advice.append("Put yourself in the story: say what you did, in the first person.")
    elif i_share < STRONG_I_SHARE:
        advice.append(
            f"Only {i_share:.0%} of the first-person words are \u201cI\u201d: credit the team, "
            "but make clear which actions were yours."
        )
    if time_s < GOOD_TIME_S[0]:
        advice.append(
            f"At {words_per_minute:g} words per minute this takes {time_s:.0f} s: add detail "
            "until it fills about one to three minutes."
        )
    elif time_s > GOOD_TIME_S[1]:
        advice.append(
            f"At {words_per_minute:g} words per minute this takes {time_s:.0f} s: trim it to "
            "three minutes or less, and keep the rest for follow-up questions."
        )
    advice.extend(f"{flag.name}: {flag.advice}" for flag in flags)
    if strong and not advice:
        advice.append(
            "All four STAR parts, a measured result, clear ownership and a good length: "
            "rehearse it aloud."
        )

    return StarReport(
        word_count=words,
        words_per_minute=float(words_per_minute),
        speaking_time_s=time_s,
        present=present,
        missing=missing,
        evidence=tuple((e, detected[e]) for e in present),
        labelled=bool(sections),
        result_text=result_text,
        quantities=result_quantities,
        quantified_result=quantified,
        i_count=i_count,
        we_count=we_count,
        i_share=i_share,
        red_flags=flags,
        score_parts=parts,
        score=score,
        is_strong=strong,
        advice=tuple(advice),
    )


# -- the example bank and the quiz ----------------------------------------------------------------

EXAMPLE_COLUMNS = ("id", "question", "answer", "label", "why")
QUIZ_COLUMNS = ("id", "prompt", "answer", "verdict", "explanation")
EXAMPLE_LABELS = ("strong", "weak")
QUIZ_VERDICTS = ("red_flag", "strong")


def _load_bank(name: str, columns: tuple[str, ...], label: str, allowed: tuple[str, ...]):
    frame = pd.read_csv(settings.data_path(name), dtype=str, keep_default_na=False)
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise ValueError(f"{name} must have the columns {', '.join(columns)}; missing: {absent}")
    frame = frame.loc[:, list(columns)]
    bad = frame.loc[~frame[label].isin(allowed), "id"].tolist()
    if bad:
        raise ValueError(f"in {name}, {label} must be one of {allowed}; rows {bad} are not")
    blank = frame.loc[frame["answer"].str.strip() == "", "id"].tolist()
    if blank:
        raise ValueError(f"in {name}, rows {blank} have an empty answer")
    if frame["id"].duplicated().any():
        repeated = frame.loc[frame["id"].duplicated(), "id"].tolist()
        raise ValueError(f"in {name}, ids must be unique; repeated: {repeated}")
    return frame.reset_index(drop=True)


def load_examples() -> pd.DataFrame:
    """The course's bank of example answers (``data/star_examples.csv``), checked."""
    return _load_bank("star_examples.csv", EXAMPLE_COLUMNS, "label", EXAMPLE_LABELS)


def load_quiz() -> pd.DataFrame:
    """The red-flag quiz (``data/redflag_quiz.csv``), checked."""
    return _load_bank("redflag_quiz.csv", QUIZ_COLUMNS, "verdict", QUIZ_VERDICTS)


def coach_table(
    answers: pd.Series, *, words_per_minute: float = DEFAULT_WORDS_PER_MINUTE
) -> pd.DataFrame:
    """One row per answer (same index): score, verdict, parts, ownership, length, red flags."""
    reports = answers.map(lambda text: coach(text, words_per_minute=words_per_minute))
    return pd.DataFrame(
        {
            "score": reports.map(lambda r: r.score),
            "verdict": reports.map(lambda r: r.verdict),
            "present": reports.map(lambda r: "".join(e[0] for e in r.present) or "-"),
            "quantified": reports.map(lambda r: r.quantified_result),
            "i_share": reports.map(lambda r: r.i_share),
            "words": reports.map(lambda r: r.word_count),
            "time_s": reports.map(lambda r: round(r.speaking_time_s)),
            "red_flags": reports.map(lambda r: ", ".join(f.key for f in r.red_flags) or "-"),
        },
        index=answers.index,
    )


# -- quiz checking --------------------------------------------------------------------------------

@dataclass(frozen=True)
class QuizFeedback:
    """The outcome of one quiz guess, with the coach's own reading of the answer."""

    item_id: str
    guess: str
    verdict: str
    correct: bool
    explanation: str
    coach_flags: tuple[RedFlag, ...]

    @property
    def coach_agrees(self) -> bool:
        """Whether the coach's red-flag patterns reach the answer key's verdict."""
        return (self.verdict == "red_flag") == bool(self.coach_flags)


@dataclass(frozen=True)
class QuizTally:
    answered: int
    correct: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.correct / self.answered if self.answered else 0.0


def check_quiz_answer(quiz: pd.DataFrame, item_id: str, guess: str) -> QuizFeedback:
    """Check a guess (``"red_flag"`` or ``"strong"``) for one quiz item."""
    if guess not in QUIZ_VERDICTS:
        raise ValueError(f"a guess must be 'red_flag' or 'strong', got {guess!r}")
    rows = quiz.loc[quiz["id"] == item_id]
    if rows.empty:
        raise ValueError(f"there is no quiz item {item_id!r}")
    row = rows.iloc[0]
    return QuizFeedback(
        item_id=item_id,
        guess=guess,
        verdict=row["verdict"],
        correct=guess == row["verdict"],
        explanation=row["explanation"],
        coach_flags=find_red_flags(row["answer"]),
    )


def quiz_tally(quiz: pd.DataFrame, guesses: Mapping[str, str]) -> QuizTally:
    """How many of the guesses (item id -> guess) match the answer key."""
    unknown = sorted(set(guesses) - set(quiz["id"]))
    if unknown:
        raise ValueError(f"there are no quiz items {unknown}")
    key = quiz.set_index("id")["verdict"]
    given = pd.Series(dict(guesses), dtype=str)
    return QuizTally(
        answered=len(given),
        correct=int((given == key.reindex(given.index)).sum()),
        total=len(quiz),
    )


def next_quiz_item(quiz: pd.DataFrame, item_id: str) -> str:
    """The id of the item after ``item_id`` (the first one after the last)."""
    ids = quiz["id"].tolist()
    if item_id not in ids:
        raise ValueError(f"there is no quiz item {item_id!r}")
    return ids[(ids.index(item_id) + 1) % len(ids)]
