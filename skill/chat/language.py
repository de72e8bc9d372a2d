"""Understands typed text the way Alexa's NLU would, from the skill's interaction model.

Every sample utterance compiles to an anchored regular expression over normalized text
(lower case, punctuation dropped, apostrophes optional). Slots become captures: free text for
AMAZON.SearchQuery, the listed values and synonyms for custom types (with Alexa-style entity
resolution), numbers and ordinals for the built-in number types. When several samples match,
the most specific wins: the fewest free-text characters captured, then the longest literal part.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FALLBACK = "AMAZON.FallbackIntent"
SEARCH_QUERY = "AMAZON.SearchQuery"
NUMBER = "AMAZON.NUMBER"
ORDINAL = "AMAZON.Ordinal"
MODEL_DIR = Path("infra/alexa/skill-package/interactionModels/custom")
DEFAULT_LOCALE = "en-US"

# The model lists no samples for built-in intents: Alexa brings its own. These stand in for them.
BUILT_IN_SAMPLES: Mapping[str, tuple[str, ...]] = {
    "AMAZON.HelpIntent": ("help", "help me", "what can I say", "what can I do",
                          "how does this work", "I need help"),
    "AMAZON.StopIntent": ("stop", "stop it", "quit", "off", "shut up", "be quiet", "goodbye",
                          "bye"),
    "AMAZON.CancelIntent": ("cancel", "never mind", "forget it", "cancel that"),
    "AMAZON.YesIntent": ("yes", "yeah", "yep", "yes please", "sure", "okay", "ok", "please do",
                         "of course", "why not"),
    "AMAZON.NoIntent": ("no", "nope", "no thanks", "no thank you", "nah", "not now"),
    "AMAZON.PauseIntent": ("pause", "pause it", "pause that", "hold on"),
    "AMAZON.ResumeIntent": ("resume", "continue", "unpause", "keep going", "carry on"),
    "AMAZON.StartOverIntent": ("start over", "restart", "start again", "from the beginning",
                               "start from the beginning"),
    "AMAZON.NextIntent": ("next", "skip", "skip this", "next one"),
    "AMAZON.PreviousIntent": ("previous", "go back", "back", "previous one"),
    "AMAZON.NavigateHomeIntent": ("go home", "home", "go to home"),
    "AMAZON.LoopOnIntent": ("loop on", "loop", "turn on loop", "loop this"),
    "AMAZON.LoopOffIntent": ("loop off", "turn off loop", "stop looping"),
    "AMAZON.ShuffleOnIntent": ("shuffle on", "shuffle", "turn on shuffle"),
    "AMAZON.ShuffleOffIntent": ("shuffle off", "turn off shuffle", "stop shuffling"),
    "AMAZON.RepeatIntent": ("repeat", "repeat that", "say that again", "again",
                            "what did you say"),
}
# "exit" is Alexa's own: it closes the skill with a SessionEndedRequest, not an intent.
EXIT_PHRASES = frozenset({"exit", "exit skill"})

_UNITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
          "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
          "eighteen", "nineteen")
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1000}
NUMBER_WORDS: Mapping[str, int] = {
    **{word: value for value, word in enumerate(_UNITS)}, **_TENS, **_SCALES,
}
ORDINAL_WORDS: Mapping[str, int] = {
    word: index
    for index, word in enumerate(
        ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
         "tenth"),
        start=1,
    )
}
_FREE = r"\S+(?: \S+)*?"
_WORDS_OF_NUMBER = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_NUMBER = rf"\d+|(?:{_WORDS_OF_NUMBER})(?: (?:{_WORDS_OF_NUMBER}|and))*"
_ORDINAL = r"\d+(?:st|nd|rd|th)|" + "|".join(ORDINAL_WORDS)
_SLOT_REF = re.compile(r"\{(\w+)\}")
_INVOCATION = (
    r"(?:alexa )?(?P<verb>open|launch|start|begin|run|load|use|ask|tell)(?: up)? {name}"
    r"(?: (?P<connector>to|that|for|about|if|whether|and))?(?: (?P<rest>.+))?"
)


class ModelError(ValueError):
    """The interaction model is missing or not in the ASK CLI's shape."""


@dataclass(frozen=True)
class SlotValue:
    """One value of a custom slot type, with the names it may be spoken as."""

    id: str
    name: str
    spoken: tuple[str, ...]


@dataclass(frozen=True)
class SlotType:
    """A custom slot type: its values, looked up by any spoken form."""

    name: str
    values: tuple[SlotValue, ...]

    def lookup(self, spoken: str) -> SlotValue | None:
        """The value this spoken form names, ignoring case and punctuation."""
        key = _squash(spoken)
        return next(
            (value for value in self.values if any(_squash(s) == key for s in value.spoken)),
            None,
        )


@dataclass(frozen=True)
class IntentSpec:
    """What the model declares about one intent."""

    name: str
    slots: Mapping[str, str]  # slot name -> slot type
    slot_samples: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    has_dialog: bool = False
    confirmation_prompt: str | None = None


@dataclass(frozen=True)
class Sample:
    """One sample utterance compiled to patterns: values only first, any words second."""

    intent: str
    text: str
    patterns: tuple[re.Pattern[str], ...]
    groups: Mapping[str, str]  # regex group -> slot name
    literal_chars: int


@dataclass(frozen=True)
class EntityMatch:
    """The canonical value a custom slot resolved to."""

    id: str
    name: str


@dataclass(frozen=True)
class SlotFill:
    """One slot as Alexa would send it: spoken value and, for custom types, the resolution."""

    name: str
    type: str
    value: str | None = None
    entity: EntityMatch | None = None
    custom: bool = False

    @property
    def status(self) -> str | None:
        """ER_SUCCESS_MATCH or ER_SUCCESS_NO_MATCH for a filled custom slot, None otherwise."""
        if not self.custom or self.value is None:
            return None
        return "ER_SUCCESS_MATCH" if self.entity is not None else "ER_SUCCESS_NO_MATCH"


@dataclass(frozen=True)
class Resolution:
    """What Alexa understood: a request type, an intent with every declared slot, and how."""

    request_type: str
    intent: str | None = None
    slots: tuple[SlotFill, ...] = ()
    one_shot: bool = False
    sample: str | None = None
    free_chars: int = 0

    def slot(self, name: str) -> SlotFill | None:
        """The slot with this name."""
        return next((fill for fill in self.slots if fill.name == name), None)

    def value(self, name: str) -> str | None:
        """The spoken value of a slot."""
        fill = self.slot(name)
        return fill.value if fill else None

    def slot_id(self, name: str) -> str | None:
        """The id a custom slot resolved to."""
        fill = self.slot(name)
        return fill.entity.id if fill and fill.entity else None


@dataclass(frozen=True)
class InteractionModel:
    """A compiled interaction model: invocation name, intents, slot types and samples."""

    invocation: str
    intents: Mapping[str, IntentSpec]
    types: Mapping[str, SlotType]
    samples: tuple[Sample, ...]
    slot_samples: Mapping[tuple[str, str], tuple[Sample, ...]]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> InteractionModel:
        """Compiles the ASK CLI's `interactionModel` JSON."""
        try:
            language = data["interactionModel"]["languageModel"]
            dialog = data["interactionModel"].get("dialog") or {}
            prompts = {
                prompt["id"]: prompt["variations"][0]["value"]
                for prompt in data["interactionModel"].get("prompts") or []
            }
            types = {
                kind["name"]: SlotType(kind["name"], tuple(
                    SlotValue(
                        id=str(value.get("id") or value["name"]["value"]),
                        name=value["name"]["value"],
                        spoken=(value["name"]["value"], *value["name"].get("synonyms", ())),
                    )
                    for value in kind["values"]
                ))
                for kind in language.get("types") or []
            }
            dialog_intents = {entry["name"]: entry for entry in dialog.get("intents") or []}
            intents: dict[str, IntentSpec] = {}
            for entry in language["intents"]:
                name = entry["name"]
                in_dialog = dialog_intents.get(name, {})
                confirmation = (in_dialog.get("prompts") or {}).get("confirmation")
                intents[name] = IntentSpec(
                    name=name,
                    slots={slot["name"]: slot["type"] for slot in entry.get("slots") or []},
                    slot_samples={
                        slot["name"]: tuple(slot.get("samples") or ())
                        for slot in entry.get("slots") or []
                    },
                    has_dialog=bool(in_dialog),
                    confirmation_prompt=prompts.get(confirmation)
                    if in_dialog.get("confirmationRequired") and confirmation else None,
                )
            invocation = str(language["invocationName"])
            raw_samples = [
                (name, text)
                for name, entry in ((e["name"], e) for e in language["intents"])
                for text in (*entry.get("samples", ()), *BUILT_IN_SAMPLES.get(name, ()))
            ]
        except (KeyError, IndexError, TypeError) as error:
            raise ModelError(f"interaction model is missing {error}") from None
        samples = tuple(_compile(name, text, intents[name].slots, types)
                        for name, text in raw_samples)
        slot_samples = {
            (name, slot): tuple(_compile(name, text, spec.slots, types) for text in texts)
            for name, spec in intents.items()
            for slot, texts in spec.slot_samples.items()
        }
        return cls(invocation=invocation, intents=intents, types=types, samples=samples,
                   slot_samples=slot_samples)


def load_model(path: Path) -> InteractionModel:
    """Reads and compiles an interaction model file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"no interaction model at {path}") from None
    except json.JSONDecodeError as error:
        raise ModelError(f"{path} is not valid JSON ({error})") from None
    return InteractionModel.from_json(data)


def find_model(locale: str, roots: Iterable[Path]) -> Path:
    """The model file for a locale under the first root holding one; en-US when none has it."""
    roots = list(roots)
    for name in (locale, DEFAULT_LOCALE):
        for root in roots:
            if (path := root / MODEL_DIR / f"{name}.json").is_file():
                return path
    raise ModelError(f"no interaction model for {locale} under {', '.join(map(str, roots))}")


def normalize(text: str) -> str:
    """Lower case, apostrophes kept inside words, other punctuation and extra spaces dropped."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)
    text = re.sub(r"[^\w\s']|_", " ", text)
    text = re.sub(r"(?<!\w)'|'(?!\w)", " ", text)
    return " ".join(text.split())


def resolve(text: str, model: InteractionModel) -> Resolution:
    """Understands one utterance: launch, one-shot, exit, the best-matching intent or fallback."""
    said = normalize(text)
    name = normalize(model.invocation)
    invocation = re.fullmatch(_INVOCATION.format(name=re.escape(name)), said)
    if invocation is not None:
        rest, connector = invocation.group("rest"), invocation.group("connector")
        if rest is None and connector is None:
            return Resolution("LaunchRequest", one_shot=True)
        options = [rest] if rest else []
        if connector:
            options.append(f"{connector} {rest}" if rest else connector)
        matches = [_best(option, model) for option in options]
        understood = next((match for match in matches if match.intent != FALLBACK), matches[0])
        return Resolution(understood.request_type, understood.intent, understood.slots,
                          one_shot=True, sample=understood.sample,
                          free_chars=understood.free_chars)
    if said.removeprefix("alexa ") in EXIT_PHRASES:
        return Resolution("SessionEndedRequest")
    understood = _best(said.removeprefix("alexa "), model)
    if understood.intent == FALLBACK and (trimmed := _without_please(said)) != said:
        understood = _best(trimmed, model)
    return understood


def resolve_slot(text: str, model: InteractionModel, intent: str, slot: str) -> SlotFill | None:
    """Fills one slot from an answer to its elicitation, using the slot's own samples."""
    candidates = [
        match for sample in model.slot_samples.get((intent, slot), ())
        if (match := _match(sample, normalize(text), model)) is not None
    ]
    if not candidates:
        return None
    best = min(candidates, key=lambda match: match.score)
    return best.resolution.slot(slot)


def parse_number(spoken: str) -> int | None:
    """Digits or number words ("twenty one", "a hundred and five") as an integer."""
    if spoken.isdigit():
        return int(spoken)
    total = current = 0
    words = [word for word in spoken.split() if word != "and"]
    if not words:
        return None
    for word in words:
        value = NUMBER_WORDS.get(word)
        if value is None:
            return None
        if word in _SCALES:
            current = (current or 1) * value
            if value == 1000:
                total, current = total + current, 0
        else:
            current += value
    return total + current


def parse_ordinal(spoken: str) -> int | None:
    """Ordinal words (first to tenth) or digits with a suffix (1st, 2nd) as an integer."""
    if spoken in ORDINAL_WORDS:
        return ORDINAL_WORDS[spoken]
    digits = re.fullmatch(r"(\d+)(?:st|nd|rd|th)", spoken)
    return int(digits.group(1)) if digits else None


@dataclass(frozen=True)
class _Match:
    """A sample that matched, with its specificity: lower scores are more specific."""

    resolution: Resolution
    score: tuple[int, int, int]


def _best(said: str, model: InteractionModel) -> Resolution:
    candidates = [
        match for sample in model.samples if (match := _match(sample, said, model)) is not None
    ]
    if not candidates:
        return Resolution("IntentRequest", FALLBACK, free_chars=len(said))
    return min(candidates, key=lambda match: match.score).resolution


def _match(sample: Sample, said: str, model: InteractionModel) -> _Match | None:
    spec = model.intents[sample.intent]
    best: _Match | None = None
    for index, pattern in enumerate(sample.patterns):
        found = pattern.fullmatch(said)
        if found is None:
            continue
        fills: dict[str, SlotFill] = {}
        free = 0
        for group, slot in sample.groups.items():
            spoken = found.group(group)
            fill = _fill(slot, spec.slots[slot], spoken, model.types)
            if fill is None:
                break
            fills[slot] = fill
            if fill.type not in (NUMBER, ORDINAL) and fill.entity is None:
                free += len(spoken) + (1 if fill.custom else 0)
        else:
            slots = tuple(fills.get(name) or SlotFill(name, kind, custom=kind in model.types)
                          for name, kind in spec.slots.items())
            resolution = Resolution("IntentRequest", sample.intent, slots, sample=sample.text,
                                    free_chars=free)
            match = _Match(resolution, (free, -sample.literal_chars, index))
            if best is None or match.score < best.score:
                best = match
    return best


def _fill(name: str, kind: str, spoken: str, types: Mapping[str, SlotType]) -> SlotFill | None:
    """A slot filled from its captured words; None when the words can't be that type."""
    if kind == NUMBER:
        number = parse_number(spoken)
        return None if number is None else SlotFill(name, kind, str(number))
    if kind == ORDINAL:
        ordinal = parse_ordinal(spoken)
        return None if ordinal is None else SlotFill(name, kind, str(ordinal))
    if kind in types:
        value = types[kind].lookup(spoken)
        entity = EntityMatch(value.id, value.name) if value else None
        return SlotFill(name, kind, spoken, entity, custom=True)
    return SlotFill(name, kind, spoken)


def _compile(intent: str, text: str, slots: Mapping[str, str],
             types: Mapping[str, SlotType]) -> Sample:
    """Compiles a sample: a values-only pattern, plus an any-words one when it has custom slots."""
    parts = _SLOT_REF.split(text)
    literals = [normalize(part) for part in parts[0::2]]
    names = parts[1::2]
    unknown = [name for name in names if name not in slots]
    if unknown:
        raise ModelError(f"{intent} sample {text!r} names undeclared slot {unknown[0]}")
    groups = {f"s{index}": name for index, name in enumerate(names)}

    def pattern(strict: bool) -> re.Pattern[str]:
        pieces: list[str] = []
        for index, literal in enumerate(literals):
            pieces.extend(_word(word) for word in literal.split())
            if index < len(names):
                pieces.append(f"(?P<s{index}>{_capture(slots[names[index]], types, strict)})")
        return re.compile(" ".join(pieces))

    patterns = [pattern(strict=True)]
    if any(slots[name] in types for name in names):
        patterns.append(pattern(strict=False))
    literal_chars = sum(len(literal.replace(" ", "").replace("'", "")) for literal in literals)
    return Sample(intent, text, tuple(patterns), groups, literal_chars)


def _capture(kind: str, types: Mapping[str, SlotType], strict: bool) -> str:
    if kind == NUMBER:
        return _NUMBER
    if kind == ORDINAL:
        return _ORDINAL
    if kind in types and strict:
        spoken = {normalize(s) for value in types[kind].values for s in value.spoken}
        return "|".join(" ".join(_word(w) for w in s.split())
                        for s in sorted(spoken, key=len, reverse=True))
    return _FREE


def _word(word: str) -> str:
    """A literal word as a pattern in which any apostrophe is optional, wherever it falls."""
    letters = word.replace("'", "")
    return "'?".join(re.escape(letter) for letter in letters)


def _squash(text: str) -> str:
    return normalize(text).replace("'", "")


def _without_please(said: str) -> str:
    words = said.split()
    while words and words[0] == "please":
        words = words[1:]
    while words and words[-1] == "please":
        words = words[:-1]
    return " ".join(words)
