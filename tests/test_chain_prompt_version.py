"""A cached stage is reused only for the prompts and schemas that wrote it: their fingerprint is pinned to
the prompt versions in the cache key, so a change to a template or a stage schema without a version bump
fails here (the bump makes every cached stage written under the old prompts a miss)."""
from __future__ import annotations

import hashlib
import json

from chatpaper.chain import prompts
from chatpaper.chain.budget import STAGE_MODELS
from chatpaper.chain.profile import SMALL_GROUPS, SMALL_PROMPT_VERSION, small_instruction, small_model, small_shape
from chatpaper.chain.prompts import PROMPT_VERSION, STAGES, Template

# (PROMPT_VERSION, SMALL_PROMPT_VERSION) -> (standard fingerprint, small fingerprint)
PINNED = {
    ("2026.12-evidence-3", "small-3"): ("11acb9df5bea210d", "a573a5105bc380f4"),
    # evidence-4 sends more of the paper (its printed English title and abstract); the templates are the same
    ("2026.12-evidence-4", "small-3"): ("11acb9df5bea210d", "a573a5105bc380f4"),
}


def _digest(parts: list[str]) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:16]


def standard_fingerprint() -> str:
    found = [t for t in vars(prompts).values() if isinstance(t, Template)] + list(prompts.INSTRUCTIONS.values())
    templates = sorted((t.name, t.text) for t in found)
    assert len(templates) >= len(STAGES) * 2 + 4  # the stage instructions in both languages are among them
    schemas = [json.dumps(STAGE_MODELS[s].model_json_schema(), sort_keys=True) for s in STAGES]
    return _digest([f"{name}={text}" for name, text in templates] + schemas)


def small_fingerprint() -> str:
    parts = []
    for stage in STAGES:
        for fields in SMALL_GROUPS[stage]:
            model = small_model(STAGE_MODELS[stage], fields)
            for lang in ("en", "zh"):
                shape = small_shape(STAGE_MODELS[stage], fields, lang)
                parts += [json.dumps(model.model_json_schema(), sort_keys=True), shape,
                          small_instruction(stage, fields, lang, shape)]
    return _digest(parts)


def test_the_prompt_versions_name_the_prompts_and_schemas_that_are_sent():
    pinned = PINNED.get((PROMPT_VERSION, SMALL_PROMPT_VERSION))
    found = (standard_fingerprint(), small_fingerprint())
    assert pinned == found, (
        f"the prompts or schemas changed: bump PROMPT_VERSION (standard) or SMALL_PROMPT_VERSION (small profile) "
        f"and pin {found} for the new versions")
