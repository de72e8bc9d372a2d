"""Deployment files: the skill package and model, env.example, compose, gunicorn, the image."""

from __future__ import annotations

import ast
import json
import logging
import os
import re
import runpy
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from skill import create_app
from skill.store.db import Database
from skill.store.migrate import upgrade
from tests.support.alexa import SKILL_ID, AlexaActions

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "infra"
PACKAGE = INFRA / "alexa" / "skill-package"
SKILL_JSON = PACKAGE / "skill.json"
MODEL_JSON = PACKAGE / "interactionModels" / "custom" / "en-US.json"

DISCLAIMER = "Glimmers is not a substitute for professional care and is not for emergencies"
INVOCATION = "glimmers"
# Publishing categories the Alexa Skills Kit accepts for custom skills (children's ones left out:
# Glimmers is not child-directed).
ASK_CATEGORIES = frozenset({
    "ALARMS_AND_CLOCKS", "ASTROLOGY", "BUSINESS_AND_FINANCE", "CALCULATORS",
    "CALENDARS_AND_REMINDERS", "COMMUNICATION", "CONNECTED_CAR", "COOKING_AND_RECIPE",
    "CURRENCY_GUIDES_AND_CONVERTERS", "DATING", "DELIVERY_AND_TAKEOUT", "DEVICE_TRACKING",
    "EDUCATION_AND_REFERENCE", "EVENT_FINDERS", "EXERCISE_AND_WORKOUT", "FASHION_AND_STYLE",
    "FLIGHT_FINDERS", "FRIENDS_AND_FAMILY", "GAME_INFO_AND_ACCESSORY", "GAMES",
    "HEALTH_AND_FITNESS", "HOTEL_FINDERS", "KNOWLEDGE_AND_TRIVIA", "NEWS", "NOVELTY",
    "ORGANIZERS_AND_ASSISTANTS", "PETS_AND_ANIMAL", "PODCAST", "PUBLIC_TRANSPORTATION",
    "RELIGION_AND_SPIRITUALITY", "SCHOOLS", "SCORE_KEEPING", "SELF_IMPROVEMENT", "SHOPPING",
    "SMART_HOME", "SOCIAL_NETWORKING", "SPORTS_GAMES", "SPORTS_NEWS", "STREAMING_SERVICE",
    "TAXI_AND_RIDESHARING", "TO_DO_LISTS_AND_NOTES", "TRANSLATORS", "TV_GUIDES",
    "UNIT_CONVERTERS", "WEATHER", "WINE_AND_BEVERAGE", "ZIP_CODE_LOOKUP",
})
# Words an invocation name may not contain (wake words, launch phrases, "skill", "app").
FORBIDDEN_INVOCATION_WORDS = frozenset({
    "alexa", "amazon", "echo", "computer", "skill", "app", "launch", "ask", "tell", "open",
    "load", "begin", "enable", "start",
})
# Built-in intents every custom skill needs, and those an AudioPlayer skill must add.
REQUIRED_BUILTINS = frozenset({
    "AMAZON.CancelIntent", "AMAZON.HelpIntent", "AMAZON.StopIntent",
    "AMAZON.NavigateHomeIntent", "AMAZON.FallbackIntent",
    "AMAZON.PauseIntent", "AMAZON.ResumeIntent",
})
SLOT_REF = re.compile(r"\{(\w+)\}")
# Yes and no answer a question the skill asked; out of context the generic pointer to help is
# their intended answer, so for them a handler naming them is enough.


# --- helpers ---------------------------------------------------------------------------------

@cache
def manifest() -> dict[str, Any]:
    """skill.json's manifest object."""
    data: dict[str, Any] = json.loads(SKILL_JSON.read_text(encoding="utf-8"))["manifest"]
    return data


@cache
def language_model() -> dict[str, Any]:
    """The en-US interaction model's languageModel object."""
    data = json.loads(MODEL_JSON.read_text(encoding="utf-8"))
    model: dict[str, Any] = data["interactionModel"]["languageModel"]
    return model


def intents() -> dict[str, dict[str, Any]]:
    """The model's intents by name."""
    return {intent["name"]: intent for intent in language_model()["intents"]}


def custom_types() -> dict[str, dict[str, Any]]:
    """The model's custom slot types by name."""
    return {slot_type["name"]: slot_type for slot_type in language_model().get("types", [])}


def normalized(sample: str, *, slot_names: bool = False) -> str:
    """A sample as Alexa hears it: lower case, no punctuation, slots as {} (or {name})."""
    text = sample.lower() if slot_names else SLOT_REF.sub(" {} ", sample.lower())
    text = re.sub(r"[^a-z0-9{}_ ]", "", text)
    return " ".join(text.split())


def phrase_pattern(sample: str, intent: dict[str, Any]) -> re.Pattern[str]:
    """A regex for what a person may say for `sample`: custom slots take their values."""
    types = custom_types()
    slot_types = {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
    parts: list[str] = []
    for index, piece in enumerate(SLOT_REF.split(sample)):
        if index % 2 == 0:
            parts.append(re.escape(normalized(piece)))
            continue
        slot_type = types.get(slot_types.get(piece, ""))
        if slot_type is None:
            parts.append(r"[a-z0-9' ]+")
            continue
        words = [
            normalized(text)
            for value in slot_type["values"]
            for text in (value["name"]["value"], *value["name"].get("synonyms", []))
        ]
        parts.append("(?:" + "|".join(re.escape(word) for word in words) + ")")
    pattern = r"\s*".join(part for part in parts if part)
    return re.compile(rf"^{pattern}$")


def env_example_names() -> set[str]:
    """Variable names in env.example, set or commented out."""
    text = (INFRA / "env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def config_settings() -> set[str]:
    """GLIMMERS_* names skill/config.py reads (every `get("NAME"` is GLIMMERS_NAME)."""
    source = (ROOT / "skill" / "config.py").read_text(encoding="utf-8")
    return {f"GLIMMERS_{name}" for name in re.findall(r'\bget\("([A-Z0-9_]+)"', source)}


def compose_text() -> str:
    """compose.yaml as text."""
    return (INFRA / "compose.yaml").read_text(encoding="utf-8")


def compose_variables() -> set[str]:
    """Names compose.yaml interpolates with ${NAME...}."""
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", compose_text()))


def yaml_module() -> ModuleType:
    """PyYAML, which must be there in CI (it is in the dev extra)."""
    try:
        import yaml
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("PyYAML is missing: it belongs in the dev extra")
        pytest.skip("PyYAML is not installed (pip install -e '.[dev]')")
    return yaml


def compose() -> dict[str, Any]:
    """compose.yaml parsed (YAML anchors and merge keys resolved)."""
    data: dict[str, Any] = yaml_module().safe_load(compose_text())
    return data


def dockerfile_stages() -> list[list[str]]:
    """The Dockerfile's stages, each a list of instructions with continuations joined."""
    lines: list[str] = []
    pending = ""
    for raw in (INFRA / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append(pending + line)
        pending = ""
    stages: list[list[str]] = []
    for line in lines:
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


# --- the skill manifest ----------------------------------------------------------------------

def test_skill_manifest_has_the_store_listing() -> None:
    """skill.json names the skill and fills every field the store listing needs."""
    publishing = manifest()["publishingInformation"]
    listing = publishing["locales"]["en-US"]
    assert manifest()["manifestVersion"] == "1.0"
    assert listing["name"] == "Glimmers"
    assert 0 < len(listing["summary"]) <= 160
    assert 0 < len(listing["description"]) <= 4000
    assert 1 <= len(listing["examplePhrases"]) <= 3
    assert 1 <= len(listing["keywords"]) <= 30
    for icon in ("smallIconUri", "largeIconUri"):
        assert listing[icon].startswith("https://")
    assert publishing["category"] in ASK_CATEGORIES
    assert publishing["testingInstructions"].strip()
    assert publishing["isAvailableWorldwide"] or publishing["distributionCountries"]


def test_description_carries_the_disclaimer_and_crisis_line() -> None:
    """The store description says it is not care nor for emergencies, and gives 988 and 911."""
    description = manifest()["publishingInformation"]["locales"]["en-US"]["description"]
    assert DISCLAIMER in description
    assert "988" in description
    assert "741741" in description
    assert "911" in description


def test_privacy_and_compliance_answers() -> None:
    """No purchases, ads or child direction; health info off; policy and terms URLs given."""
    privacy = manifest()["privacyAndCompliance"]
    assert privacy["allowsPurchases"] is False
    assert privacy["usesPersonalInfo"] is False
    assert privacy["isChildDirected"] is False
    assert privacy["isExportCompliant"] is True
    assert privacy["containsAds"] is False
    assert privacy["usesHealthInfo"] is False
    urls = privacy["locales"]["en-US"]
    assert urls["privacyPolicyUrl"].startswith("https://")
    assert urls["termsOfUseUrl"].startswith("https://")


def test_endpoint_audio_player_and_skill_disabled_event() -> None:
    """Requests and events go to /alexa over trusted HTTPS; AudioPlayer and SKILL_DISABLED on."""
    custom = manifest()["apis"]["custom"]
    events = manifest()["events"]
    for endpoint in (custom["endpoint"], events["endpoint"]):
        assert re.fullmatch(r"https://[^/]+/alexa", endpoint["uri"])
        assert endpoint["sslCertificateType"] == "Trusted"
    assert {"type": "AUDIO_PLAYER"} in custom["interfaces"]
    assert {"eventName": "SKILL_DISABLED"} in events["subscriptions"]


def test_example_phrases_are_sample_utterances() -> None:
    """Each example phrase opens the skill or is a model sample after "ask/tell glimmers"."""
    phrases = manifest()["publishingInformation"]["locales"]["en-US"]["examplePhrases"]
    assert phrases[0] == f"Alexa, open {INVOCATION}"
    for phrase in phrases[1:]:
        match = re.fullmatch(rf"Alexa, (?:ask {INVOCATION} to|tell {INVOCATION}) (.+)", phrase)
        assert match, f"{phrase!r} is not 'Alexa, ask {INVOCATION} to ...' or 'tell ...'"
        said = normalized(match.group(1))
        assert any(
            phrase_pattern(sample, intent).match(said)
            for intent in intents().values()
            for sample in intent.get("samples", [])
        ), f"{phrase!r} matches no sample utterance of the model"


def test_ask_resources_deploys_the_skill_package() -> None:
    """ask-resources.json is the ASK CLI v2 project file pointing at ./skill-package."""
    resources = json.loads((INFRA / "alexa" / "ask-resources.json").read_text(encoding="utf-8"))
    assert resources["askcliResourcesVersion"] == "2020-03-31"
    source = resources["profiles"]["default"]["skillMetadata"]["src"]
    assert (INFRA / "alexa" / source / "skill.json").is_file()


# --- the interaction model -------------------------------------------------------------------

def test_invocation_name_follows_alexa_rules() -> None:
    """The invocation name is lower case letters and spaces, 2+ characters, no launch words."""
    name = language_model()["invocationName"]
    assert name == INVOCATION
    assert re.fullmatch(r"[a-z][a-z ]*[a-z]", name)
    assert not FORBIDDEN_INVOCATION_WORDS & set(name.split())


def test_samples_use_only_words_alexa_accepts() -> None:
    """Samples hold letters, apostrophes, periods and spaces (numbers spelled out)."""
    for name, intent in intents().items():
        for sample in intent.get("samples", []):
            words = SLOT_REF.sub("", sample)
            assert re.fullmatch(r"[A-Za-z' .]*", words), f"{name}: {sample!r}"


def test_search_query_samples_have_carrier_phrases() -> None:
    """A free-form (AMAZON.SearchQuery) slot never stands alone or beside another slot."""
    for name, intent in intents().items():
        phrase_slots = {s["name"] for s in intent.get("slots", [])
                        if s["type"] == "AMAZON.SearchQuery"}
        for sample in intent.get("samples", []):
            slots = SLOT_REF.findall(sample)
            if not phrase_slots & set(slots):
                continue
            assert SLOT_REF.sub("", sample).strip(), f"{name}: {sample!r} has no carrier phrase"
            assert len(slots) == 1, f"{name}: {sample!r} puts another slot beside a phrase slot"


def test_no_sample_utterance_is_in_two_intents() -> None:
    """No sample is in two intents (whatever its slots), nor twice in one, ignoring case."""
    owner: dict[str, str] = {}
    for name, intent in intents().items():
        seen: set[str] = set()
        for sample in intent.get("samples", []):
            own = normalized(sample, slot_names=True)
            assert own not in seen, f"{sample!r} twice in {name}"
            seen.add(own)
            key = normalized(sample)
            assert owner.setdefault(key, name) == name, (
                f"{sample!r} is in {name} and in {owner[key]}"
            )


def test_sample_slots_are_declared() -> None:
    """Every {slot} in a sample is one of its intent's slots, and every slot is used."""
    for name, intent in intents().items():
        declared = {slot["name"] for slot in intent.get("slots", [])}
        used = {ref for sample in intent.get("samples", []) for ref in SLOT_REF.findall(sample)}
        assert used <= declared, f"{name} samples use undeclared slots {used - declared}"
        assert declared <= used, f"{name} declares slots no sample uses: {declared - used}"
        for slot in intent.get("slots", []):
            for sample in slot.get("samples", []):
                assert set(SLOT_REF.findall(sample)) <= declared, f"{name}.{slot['name']}"


def test_custom_slot_types_exist_and_are_used() -> None:
    """Every non-built-in slot type is defined, every defined type used, ids unique."""
    types = custom_types()
    referenced = {
        slot["type"] for intent in intents().values() for slot in intent.get("slots", [])
    }
    for slot_type in referenced:
        assert slot_type.startswith("AMAZON.") or slot_type in types, slot_type
    assert set(types) <= referenced, f"unused slot types: {set(types) - referenced}"
    for name, slot_type in types.items():
        ids = [value.get("id") or value["name"]["value"] for value in slot_type["values"]]
        assert len(ids) == len(set(ids)), f"{name} has duplicate value ids"


def test_model_has_the_required_built_in_intents() -> None:
    """Help, stop, cancel, fallback, home, and the pause and resume an AudioPlayer skill needs."""
    missing = REQUIRED_BUILTINS - set(intents())
    assert not missing, f"missing built-in intents: {sorted(missing)}"


def test_dialog_model_refers_to_the_language_model() -> None:
    """Dialog intents, slots and prompt ids all exist in the model."""
    model = json.loads(MODEL_JSON.read_text(encoding="utf-8"))["interactionModel"]
    prompts = {prompt["id"] for prompt in model.get("prompts", [])}
    for dialog_intent in model.get("dialog", {}).get("intents", []):
        intent = intents().get(dialog_intent["name"])
        assert intent is not None, dialog_intent["name"]
        slots = {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
        for slot in dialog_intent.get("slots", []):
            assert slots.get(slot["name"]) == slot["type"], f"{intent['name']}.{slot['name']}"
            assert set(slot.get("prompts", {}).values()) <= prompts
        assert set(dialog_intent.get("prompts", {}).values()) <= prompts


# --- env.example, compose, the proxy -----------------------------------------------------------

def test_env_example_lists_exactly_the_settings() -> None:
    """env.example has every GLIMMERS_* the app reads, and only those and compose's own."""
    listed = {name for name in env_example_names() if name.startswith("GLIMMERS_")}
    app = config_settings()
    assert app, "found no settings in skill/config.py"
    assert app - listed == set(), f"missing from env.example: {sorted(app - listed)}"
    extra = listed - app - compose_variables()
    assert extra == set(), f"env.example lists settings nothing reads: {sorted(extra)}"


def test_env_example_covers_what_compose_and_caddy_read() -> None:
    """Every ${NAME} in compose.yaml is in env.example; Caddy's {$NAME} is passed to the proxy."""
    missing = compose_variables() - env_example_names()
    assert missing == set(), f"compose.yaml reads {sorted(missing)}, env.example lacks them"
    caddy_names = set(re.findall(r"\{\$([A-Z0-9_]+)", (INFRA / "Caddyfile").read_text()))
    proxy_env = set(compose()["services"]["proxy"].get("environment", {}))
    assert caddy_names <= proxy_env


def test_compose_keeps_the_skill_behind_the_proxy() -> None:
    """Only the proxy publishes ports; the skill runs as non-root after a one-shot migrate."""
    services = compose()["services"]
    assert set(services) == {"proxy", "skill", "migrate", "db"}
    assert [name for name, service in services.items() if service.get("ports")] == ["proxy"]
    skill = services["skill"]
    user = str(skill.get("user", ""))
    assert user and user.split(":", maxsplit=1)[0] not in {"0", "root"}
    assert skill["build"]["dockerfile"] == "infra/Dockerfile"
    assert skill["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "db" not in str(skill.get("command", ""))  # the app never migrates at start
    migrate = services["migrate"]
    assert migrate["command"] == ["glimmers", "db", "upgrade"]
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert migrate.get("restart") in {"no", None}


def test_compose_database_is_private_and_persistent() -> None:
    """PostgreSQL 16 keeps its data in a volume, has a health check and no way out."""
    data = compose()
    db = data["services"]["db"]
    assert db["image"].startswith("postgres:16")
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in db["volumes"])
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert not db.get("ports")
    for network in db["networks"]:
        assert data["networks"][network].get("internal") is True


def test_caddyfile_proxies_the_skill_with_limits() -> None:
    """Caddy serves the domain over HTTPS with HSTS, limits /alexa bodies, proxies to :8000."""
    caddyfile = (INFRA / "Caddyfile").read_text(encoding="utf-8")
    assert "{$GLIMMERS_DOMAIN}" in caddyfile
    assert "reverse_proxy skill:8000" in caddyfile
    assert re.search(r"request_body /alexa \{\s*max_size 256KiB\s*\}", caddyfile)
    assert "Strict-Transport-Security" in caddyfile
    assert re.search(r"header /audio/\* \{[^}]*max-age=31536000", caddyfile)
    assert not re.search(r"^\s*log\b", caddyfile, flags=re.MULTILINE)  # no access log


# --- gunicorn and the image --------------------------------------------------------------------

def test_gunicorn_config_builds_apps_per_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """No preload, a bind, bounded workers, recycling, and an access log without user data."""
    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "PORT", "FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    conf = runpy.run_path(str(INFRA / "gunicorn.conf.py"))
    assert conf["preload_app"] is False
    assert conf["bind"] == ["0.0.0.0:8000"]
    assert 1 <= conf["workers"] <= conf["MAX_DEFAULT_WORKERS"]
    assert conf["default_workers"](64) == conf["MAX_DEFAULT_WORKERS"]
    assert conf["default_workers"](1) == 3
    assert conf["threads"] >= 1
    assert conf["graceful_timeout"] < conf["timeout"]
    assert conf["max_requests"] > 0 and conf["max_requests_jitter"] > 0
    assert conf["forwarded_allow_ips"] == "127.0.0.1,::1"
    log_format = conf["access_log_format"]
    for leak in ("%(q)s", "%(r)s", "%(h)s", "%(a)s", "%(f)s", "%(u)s", "i)s", "e)s"):
        assert leak not in log_format, f"access log would record {leak}"
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert runpy.run_path(str(INFRA / "gunicorn.conf.py"))["workers"] == 3


def test_dockerfile_runs_gunicorn_as_non_root_with_a_health_check() -> None:
    """The runtime stage: slim Python 3.11, a non-root USER, HEALTHCHECK on /healthz, gunicorn."""
    stages = dockerfile_stages()
    runtime = stages[-1]
    text = "\n".join(runtime)
    assert re.search(r"ARG PYTHON_IMAGE=python:3\.11-slim", (INFRA / "Dockerfile").read_text())
    users = [line.split()[1] for line in runtime if line.upper().startswith("USER ")]
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    assert re.search(r"^HEALTHCHECK .*/healthz", text, flags=re.MULTILINE)
    cmd = [line for line in runtime if line.upper().startswith("CMD ")][-1]
    assert json.loads(cmd[4:]) == ["gunicorn", "-c", "infra/gunicorn.conf.py",
                                   "skill:create_app()"]
    assert "ENTRYPOINT" not in text  # nothing migrates before the app starts
    for tool in ("ffmpeg", "espeak", "gtts"):
        assert tool not in text.lower(), f"{tool} in the runtime image"
    assert len(stages) >= 3  # a build stage for wheels, an audio stage, the runtime


def test_dockerignore_lets_in_only_what_the_image_needs() -> None:
    """The build context ignores everything but the sources, so .env and databases stay out."""
    ignore = (INFRA / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    rules = [line.strip() for line in ignore if line.strip() and not line.startswith("#")]
    assert rules[0] == "*"
    allowed = {rule[1:] for rule in rules if rule.startswith("!")}
    assert allowed >= {"pyproject.toml", "README.md", "skill/", "audio/", "infra/gunicorn.conf.py"}
    assert not any(".env" in rule or ".db" in rule or "var" in rule for rule in allowed)


# --- the model against the handlers -------------------------------------------------------------

def handler_intent_names() -> set[str]:
    """Intent names written as string literals in skill/alexa/handlers/*.py."""
    names: set[str] = set()
    for path in sorted((ROOT / "skill" / "alexa" / "handlers").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(
                r"(?:AMAZON\.)?[A-Z][A-Za-z]*Intent", node.value
            ):
                names.add(node.value)
    return names


def test_model_and_handlers_match(make_app: Any, clock: Any, tmp_path: Path,
                                  caplog: pytest.LogCaptureFixture) -> None:
    """Every model intent reaches a real handler, and every intent a handler names is modelled."""
    database = Database(f"sqlite:///{tmp_path / 'glimmers.db'}")
    upgrade(database)
    try:
        app = make_app(database)
        caplog.set_level(logging.INFO, logger="skill.alexa.handlers.session")
        for name, intent in intents().items():
            alexa = AlexaActions(client=app.test_client(), clock=clock)
            alexa.launch()
            slots: dict[str, str | None] = {slot["name"]: None for slot in intent.get("slots", [])}
            alexa.intent(name, **slots)
    finally:
        database.dispose()
    unhandled = sorted({
        record.getMessage().removeprefix("unhandled intent: ").strip("'")
        for record in caplog.records
        if record.getMessage().startswith("unhandled intent: ")
    })
    assert unhandled == [], f"model intents no handler takes: {unhandled}"
    named = handler_intent_names()
    unknown = named - set(intents())
    assert unknown == set(), f"handlers name intents the model lacks: {sorted(unknown)}"


def test_create_app_is_the_wsgi_target_gunicorn_loads(tmp_path: Path) -> None:
    """`skill:create_app()` builds the app from settings alone, as gunicorn calls it."""
    app = create_app({"GLIMMERS_VERIFY_REQUESTS": "0", "GLIMMERS_SKILL_ID": SKILL_ID,
                      "GLIMMERS_DATABASE_URL": "sqlite://",
                      "GLIMMERS_AUDIO_DIR": str(tmp_path)})
    assert {rule.rule for rule in app.url_map.iter_rules()} >= {
        "/alexa", "/healthz", "/audio/<file>"}


# --- boundaries (../shared/DESIGN.md) ------------------------------------------------------------

BOUNDARIES = {  # top-level package -> the only part of skill/ that may import it
    "ask_sdk_core": "skill/alexa/", "ask_sdk_model": "skill/alexa/",
    "ask_sdk_runtime": "skill/alexa/", "sqlalchemy": "skill/store/", "alembic": "skill/store/",
    "gtts": "skill/render/", "pydub": "skill/render/",
}


def imports_outside_their_boundary() -> list[str]:
    """`path: module` for each import of a bounded package from outside its part of skill/."""
    found = []
    for path in sorted((ROOT / "skill").rglob("*.py")):
        where = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                allowed = BOUNDARIES.get(module.split(".")[0])
                if allowed is not None and not where.startswith(allowed):
                    found.append(f"{where}: {module}")
    return found


def test_only_the_alexa_store_and_render_layers_import_their_libraries() -> None:
    """ask-sdk stays in skill/alexa, SQLAlchemy in skill/store, gTTS and pydub in skill/render:
    the domain stays plain Python, testable without an envelope, a database or a network."""
    assert imports_outside_their_boundary() == []
