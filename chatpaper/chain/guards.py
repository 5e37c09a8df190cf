"""Guards on a stage's reply: each finds one kind of fault the seed post shows.

A guard returns `Issue`s. `retry=True` issues earn the stage one corrective retry (the issue's
`message` is what the model is told); after it, the chain keeps the result and records the issue
as a warning. Soft issues (numbers not found in the paper) are warnings only.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher

from pydantic import BaseModel, ValidationError

from chatpaper.chain.prompts import base_lang, language_name
from chatpaper.evidence.verify import PageIndex, verify_points
from chatpaper.llm.jsontext import first_json_object
from chatpaper.models import Evidence, Header, MetadataStage, Paper, Point


@dataclass(frozen=True)
class Issue:
    kind: str  # json, placeholder, language, pages, header, numbers, evidence
    message: str  # told to the model on the retry, and kept as the warning
    retry: bool = True
    # The stage's top-level fields at fault; empty means the whole reply (a retry then asks for all of it).
    fields: tuple[str, ...] = ()
    # What the provenance keeps when the fault outlives the retry, if not the message told the model.
    warning: str | None = None


def field_of(path: str) -> str:
    """'key_takeaways[3].text' -> 'key_takeaways': the top-level field a path belongs to."""
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def _fields_of(paths: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(field_of(p) for p in paths))


# --------------------------------------------------------------------------- JSON


def _json_candidate(text: str) -> str:
    """The JSON object inside a reply that may carry Markdown fences or chatter around it."""
    found = first_json_object(text)
    if found is not None:
        return found
    start = text.find("{")  # none closes: the cut text, so the error says it is not valid JSON
    return text[start:] if start != -1 else text


def parse_reply(text: str, model: type[BaseModel]) -> tuple[BaseModel | None, Issue | None]:
    """Validate a reply against the stage model; on failure the issue says what is wrong."""
    try:
        return model.model_validate_json(_json_candidate(text)), None
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        if errors and errors[0].get("type") == "json_invalid":
            detail = "it is not valid JSON"
        else:
            detail = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'reply'}: {e['msg']}" for e in errors[:6]
            )
        fields = ", ".join(model.model_fields)
        return None, Issue("json", f"The reply does not match the required JSON schema ({detail}); "
                                   f"reply with one JSON object with exactly the fields {fields}.")


def parse_fields(text: str, model: type[BaseModel]) -> tuple[BaseModel | None, Issue | None]:
    """Validate the fields a retry asked for (`model`); fields it did not ask for, repeated whole, are ignored."""
    try:
        data = json.loads(_json_candidate(text))
    except ValueError:
        data = None
    if isinstance(data, dict):
        text = json.dumps({k: v for k, v in data.items() if k in model.model_fields}, ensure_ascii=False)
    return parse_reply(text, model)


# --------------------------------------------------------------------------- walking a stage


def _fields(result: BaseModel, prefix: str = "") -> Iterator[tuple[str, object]]:
    """(field path, value) for each field of a stage result, list fields item by item."""
    for name, value in result:
        path = f"{prefix}{name}"
        if isinstance(value, list):
            for i, item in enumerate(value):
                yield f"{path}[{i}]", item
        else:
            yield path, value


def iter_texts(result: BaseModel, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(field path, text) for every string in a stage result, Point texts included."""
    for path, value in _fields(result, prefix):
        if isinstance(value, str):
            yield path, value
        elif isinstance(value, BaseModel) and not isinstance(value, Evidence):  # quotes are the paper's, not ours
            yield from iter_texts(value, path + ".")


def iter_points(result: BaseModel) -> Iterator[tuple[str, Point]]:
    return ((path, value) for path, value in _fields(result) if isinstance(value, Point))


# --------------------------------------------------------------------------- placeholders

# Placeholders wherever they appear.
_PLACEHOLDERS = [
    re.compile(r"(?<![A-Za-z])x{3,}(?![A-Za-z])", re.I),
    re.compile(r"\[[\u4e00-\u9fff]{1,10}\]"),  # [领域], [创新点]
    re.compile(r"\[(?:\.{2,}|…+|field|domain|topic|method|task|dataset|metric|innovation[^\]]*|insert[^\]]*|"
               r"your [^\]]*|placeholder|todo|tbd|author[^\]]*|title[^\]]*)\]", re.I),
    re.compile(r"<[a-z][a-z0-9 _,\-]{2,40}>"),  # <background, one sentence>
    re.compile(r"\((?:no|none|not) [a-z ]{0,30}(?:listed|provided|given|available)\)", re.I),
    re.compile(r"\bno (?:authors?|author names|affiliations?) (?:provided|listed|given|available)\b", re.I),
    re.compile(r"(?<![\w/])(?:TBD|TODO|lorem ipsum)(?![\w/])", re.I),
    re.compile(r"此处填写|（无）|无 \(|无（"),
]
# Placeholders only when they are (nearly) the whole field: "the code is not available" is a real sentence.
_SHORT_PLACEHOLDERS = [
    re.compile(r"\b(?:not|none|nothing) (?:provided|listed|given|available|specified|mentioned)\b", re.I),
    re.compile(r"(?<![\w/])(?:N/A|n/a|unknown)(?![\w/])"),
    re.compile(r"未提供|暂无|待定|不详"),
]
SHORT_FIELD = 8
_ONLY_PUNCT = re.compile(r"^[\s\W_]*$")


def find_placeholders(result: BaseModel) -> list[Issue]:
    found: list[str] = []
    paths: list[str] = []
    for path, text in iter_texts(result):
        if _ONLY_PUNCT.match(text) or text.strip().lower() in {"none", "null", "unknown"}:
            found.append(f"{path} is empty")
            paths.append(path)
            continue
        short = len(_WORDISH.findall(text)) <= SHORT_FIELD  # a CJK character or a Latin word each count one
        patterns = _PLACEHOLDERS + (_SHORT_PLACEHOLDERS if short else [])
        for pattern in patterns:
            m = pattern.search(text)
            if m:
                found.append(f'{path} contains the placeholder "{m.group(0)}"')
                paths.append(path)
                break
    if not found:
        return []
    return [Issue("placeholder", "Template placeholders or empty fields were left in: " + "; ".join(found[:8])
                  + ". Fill every field with real content taken from the paper.", fields=_fields_of(paths))]


# --------------------------------------------------------------------------- content-free replies

# (field, fewest, most) items a stage list should have; the prompts ask for these counts.
LIST_LIMITS = {"key_takeaways": (5, 8), "keywords": (3, 6), "steps": (2, 12)}
_WORDISH = re.compile(r"[A-Za-z\u00c0-\u024f]{2,}|[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def check_content(result: BaseModel, title: str,
                  limits: dict[str, tuple[int, int]] | None = None) -> list[Issue]:
    """Replies a tiny model gives: bare numbers, the title echoed as a point, one sentence in every field,
    lists far too short or too long."""
    problems: list[str] = []
    paths: list[str] = []
    seen: dict[str, str] = {}
    title_key = _plain(title)
    for path, text in iter_texts(result):
        if path.startswith("keywords"):
            continue
        key = _plain(text) or text.strip()
        if len(_WORDISH.findall(text)) < 2:
            problems.append(f'{path} ("{text.strip()[:30]}") has no words')
        elif key == title_key and path != "title_translation":
            problems.append(f"{path} only repeats the paper's title")
        elif key in seen:
            problems.append(f"{path} repeats {seen[key]} word for word")
        else:
            seen[key] = path
            continue
        paths.append(path)  # the later field is at fault: the first place keeps its text
    for name, (low, high) in (limits or LIST_LIMITS).items():
        items = getattr(result, name, None)
        if items is not None and not low <= len(items) <= high:
            problems.insert(0, f"{name} has {len(items)} items; give {low} to {high}")
            paths.insert(0, name)
    if not problems:
        return []
    return [Issue("content", "Some fields say nothing: " + "; ".join(problems[:8])
                  + ". Write real, distinct content from the paper in every field.", fields=_fields_of(paths))]


def trim_lists(result: BaseModel) -> tuple[BaseModel, list[str]]:
    """Over-long lists cut to their maximum (a runaway reply must not flood the digest)."""
    update, notes = {}, []
    keywords = getattr(result, "keywords", None)
    if keywords:  # "method_adadelta" twice is one keyword
        seen: set[str] = set()
        unique = []
        for keyword in (k.strip() for k in keywords if k.strip()):
            folded = re.sub(r"[\s_\-]+", " ", keyword.lower())
            if folded not in seen:
                seen.add(folded)
                unique.append(keyword)
        if len(unique) < len(keywords):
            update["keywords"] = unique
            result = result.model_copy(update=update)
    for name, (_, high) in LIST_LIMITS.items():
        items = getattr(result, name, None)
        if items is not None and len(items) > high:
            update[name] = items[:high]
            notes.append(f"{name} was cut from {len(items)} to {high} items.")
    return (result.model_copy(update=update) if update else result), notes


# --------------------------------------------------------------------------- language by script

_SCRIPTS = {
    "cjk": r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]",
    "kana": r"[\u3040-\u30ff]",
    "hangul": r"[\uac00-\ud7af\u1100-\u11ff]",
    "cyrillic": r"[\u0400-\u04ff]",
    "greek": r"[\u0370-\u03ff]",
    "arabic": r"[\u0600-\u06ff]",
    "hebrew": r"[\u0590-\u05ff]",
    "devanagari": r"[\u0900-\u097f]",
    "thai": r"[\u0e00-\u0e7f]",
}
_LANG_SCRIPTS = {
    "zh": ("cjk",), "ja": ("cjk", "kana"), "ko": ("hangul", "cjk"), "ru": ("cyrillic",), "uk": ("cyrillic",),
    "bg": ("cyrillic",), "sr": ("cyrillic",), "el": ("greek",), "ar": ("arabic",), "fa": ("arabic",),
    "ur": ("arabic",), "he": ("hebrew",), "hi": ("devanagari",), "mr": ("devanagari",), "th": ("thai",),
}
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]{2,}")  # single letters are mostly variables (x, t, w)
# Share of script units (a CJK character or a Latin word each count one) the language must reach.
MIN_NATIVE_SHARE = 0.5
MIN_LATIN_SHARE = 0.8


def script_share(text: str, lang: str) -> float | None:
    """Share of `lang`'s script among the letters of `text` (None when there are too few to judge).

    A CJK/kana/hangul character counts one unit, a Latin word counts one unit, so technical terms kept
    in English do not swamp a Chinese sentence; digits, punctuation and math letters are ignored.
    """
    code = base_lang(lang)
    counts = {name: len(re.findall(pattern, text)) for name, pattern in _SCRIPTS.items()
              if name != "greek" or code == "el"}  # ρ, ε, θ in formulas are not Greek prose
    latin = len(_LATIN_WORD.findall(text))
    total = sum(counts.values()) + latin
    if total < 8:
        return None
    if code in _LANG_SCRIPTS:
        return sum(counts[s] for s in _LANG_SCRIPTS[code]) / total
    return latin / total


# A span in quotation marks: “...”, 「...」, 《...》, "...".
_QUOTED = re.compile(r"“([^”]{2,})”|「([^」]{2,})」|『([^』]{2,})』|《([^》]{2,})》|\"([^\"]{2,})\"")


def without_paper_quotes(text: str, quoted_from: str) -> str:
    """`text` with its quoted spans that the paper prints verbatim (`quoted_from`: its text without whitespace) cut."""
    def cut(m: re.Match[str]) -> str:
        span = next(g for g in m.groups() if g)
        return " " if re.sub(r"\s+", "", span) in quoted_from else m.group(0)

    return _QUOTED.sub(cut, text)


def check_language(result: BaseModel, lang: str, *, skip: tuple[str, ...] = ("keywords",),
                   min_share: float | None = None, quoted_from: str = "") -> list[Issue]:
    """Wrong output language by script ratio; `min_share` overrides the default threshold (titles keep names).

    A verbatim quote of the paper in quotation marks never counts against the reply: an English digest of a
    Chinese paper may quote “自适应异步采样”, and quoted Chinese in a Chinese digest counts as Chinese.
    `quoted_from` is the paper's text without whitespace (PaperNumbers.compact); empty, nothing is exempt.
    """
    texts = " ".join(t for path, t in iter_texts(result) if path.split("[")[0].split(".")[0] not in skip)
    shares = [script_share(texts, lang)]
    if quoted_from:
        shares.append(script_share(without_paper_quotes(texts, quoted_from), lang))
    known = [s for s in shares if s is not None]
    if not known:
        return []
    share = max(known)
    needed = min_share if min_share is not None else (
        MIN_NATIVE_SHARE if base_lang(lang) in _LANG_SCRIPTS else MIN_LATIN_SHARE)
    if share >= needed:
        return []
    return [Issue("language", f"The reply is not written in {language_name(lang)} (only {share:.0%} of its words "
                              f"are); write every text field in {language_name(lang)}, keeping only names and "
                              "technical terms in the original.")]


# --------------------------------------------------------------------------- pages


def check_pages(result: BaseModel, pages: int) -> list[Issue]:
    bad = sorted({p for _, point in iter_points(result) for p in point.pages if not 1 <= p <= pages})
    if not bad:
        return []
    paths = [path for path, point in iter_points(result) if any(not 1 <= p <= pages for p in point.pages)]
    return [Issue("pages", f"Page numbers {', '.join(map(str, bad))} are outside the paper, which has pages 1 to "
                           f"{pages}; cite only pages 1 to {pages}, as marked [p. N] in the paper.",
                  fields=_fields_of(paths))]


def drop_bad_pages(result: BaseModel, pages: int) -> tuple[BaseModel, list[int]]:
    """A copy of `result` with out-of-range pages removed, and the pages removed."""
    dropped: list[int] = []

    def fix(point: Point) -> Point:
        good = sorted({p for p in point.pages if 1 <= p <= pages})
        dropped.extend(p for p in point.pages if not 1 <= p <= pages)
        return point.model_copy(update={"pages": good})

    update: dict[str, Point | list[Point]] = {}
    for name, value in result:
        if isinstance(value, Point):
            update[name] = fix(value)
        elif isinstance(value, list) and value and isinstance(value[0], Point):
            update[name] = [fix(p) for p in value]
    return result.model_copy(update=update), sorted(set(dropped))


def check_evidence(result: BaseModel) -> list[Issue]:
    """Soft: every point should carry the pages it rests on."""
    bare = [path for path, point in iter_points(result) if not point.pages]
    if not bare:
        return []
    return [Issue("evidence", f"{len(bare)} point(s) cite no page: {', '.join(bare[:6])}.", retry=False)]


# --------------------------------------------------------------------------- quotes not in the paper

QUOTE_SHOWN = 90  # characters of a failed quote repeated to the model: enough to recognise it
QUOTES_NAMED = 8  # points named in one retry message


def _shown(quote: str) -> str:
    quote = re.sub(r"\s+", " ", quote).strip()
    return quote if len(quote) <= QUOTE_SHOWN else quote[:QUOTE_SHOWN].rsplit(" ", 1)[0] + " …"


def unquoted_points(result: BaseModel, index: PageIndex) -> list[tuple[str, Point]]:
    """(path, checked point) for each point that gives quotes of which none is found in the paper.

    A point that gives no quote at all is not here: it is marked unverified, but a retry would only ask
    the model for what its schema already asked."""
    checked, _, _ = verify_points(result, index)
    return [(path, point) for path, point in iter_points(checked) if point.evidence and not point.verified]


def check_quotes(result: BaseModel, index: PageIndex) -> list[Issue]:
    """Quotes found nowhere in the paper: one corrective retry naming each point and its page."""
    failed = unquoted_points(result, index)
    if not failed:
        return []
    named = []
    for path, point in failed[:QUOTES_NAMED]:
        quotes = " and ".join(f'"{_shown(e.quote)}" is not on page {e.page}' for e in point.evidence)
        named.append(f"{path}: the quote {quotes}")
    paths = [path for path, _ in failed]
    return [Issue("quotes", "Some quotes are not in the paper: " + "; ".join(named) + ". Quote the paper exactly: "
                            "copy each quote word for word from the page you cite (as marked [p. N]), in the "
                            "paper's language, and give that page.",
                  fields=_fields_of(paths),
                  warning=f"{len(paths)} point(s) quote text not found in the paper, kept and marked unverified: "
                          f"{', '.join(paths[:QUOTES_NAMED])}{' …' if len(paths) > QUOTES_NAMED else ''}.")]


# --------------------------------------------------------------------------- header contradictions


def _similar(a: str, b: str) -> float:
    return SequenceMatcher(None, _plain(a), _plain(b)).ratio()


def _plain(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", " ", text.lower()).strip()


_PARTICLES = {"de", "van", "von", "der", "la", "da", "di", "le", "du"}
_NAME = re.compile(r"[A-Z][\w'\-]*\.?(?:\s+[A-Z][\w'\-]*\.?){1,3}|[\u4e00-\u9fff]{2,4}")


def _name_tokens(name: str) -> set[str]:
    return {t for t in _plain(name).split() if len(t) > 1 and t not in _PARTICLES}


def _name_known(name: str, authors: list[str]) -> bool:
    """A name is known when it shares a (non-initial) name token with a header author."""
    if re.fullmatch(r"[\u4e00-\u9fff]{2,4}", name):
        return any(name in a for a in authors)
    return any(_name_tokens(name) & _name_tokens(a) for a in authors)


_AUTHOR_CLAIM = re.compile(r"(?:\bauthors?\b|作者)\s*(?:are|is|include|:|：)\s*([^\n;。；]+)", re.I)
_BY_CLAIM = re.compile(
    r"(?:paper|work|study|article|论文|文章)\s+(?:is\s+|was\s+)?(?:written\s+|authored\s+)?by\s+"
    r"((?:[A-Z][\w'\-]+\.?\s+){1,3}[A-Z][\w'\-]+(?:\s*(?:,|and|&)\s*(?:[A-Z][\w'\-]+\.?\s+){1,3}[A-Z][\w'\-]+)*)"
)
_TITLE_CLAIM = re.compile(r"(?:\btitled?\b|标题|题为|题目)\s*(?:is|:|：)?\s*[\"“《']([^\"”》']{8,})[\"”》']", re.I)
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z0-9\-'’,:&/ ]{15,}[A-Za-z0-9]")


def check_header(result: BaseModel, header: Header, lang: str) -> list[Issue]:
    """Authors or titles in the reply that contradict the header (which no LLM writes)."""
    problems: list[str] = []
    paths: list[str] = []
    for path, text in iter_texts(result):
        before = len(problems)
        for m in list(_AUTHOR_CLAIM.finditer(text)) + list(_BY_CLAIM.finditer(text)):
            names = [n.strip(" .") for n in re.split(r",|，|、|\band\b|&|和", m.group(1)) if n.strip(" .")]
            names = [n for n in names if _NAME.fullmatch(n) and not re.fullmatch(r"et al|等人?", n, re.I)]
            unknown = [n for n in names if not _name_known(n, header.authors)]
            if unknown:
                listed = ", ".join(header.authors) or "no authors (do not name any)"
                problems.append(f'{path} names authors "{", ".join(unknown)}" but the paper\'s authors are {listed}')
        for m in _TITLE_CLAIM.finditer(text):
            if _LATIN_RUN.fullmatch(m.group(1).strip()) and _similar(m.group(1), header.title) < 0.6:
                problems.append(f'{path} calls the paper "{m.group(1)}" but its title is "{header.title}"')
        if len(problems) > before:
            paths.append(path)
    if isinstance(result, MetadataStage):
        title_problems = _title_translation_problems(result.title_translation, header.title, lang)
        problems += title_problems
        paths += ["title_translation"] if title_problems else []
    if not problems:
        return []
    return [Issue("header", "The reply contradicts the paper's header: " + "; ".join(problems[:5])
                  + ". Use the paper's real title and authors.", fields=_fields_of(paths))]


def _title_translation_problems(translation: str, title: str, lang: str) -> list[str]:
    problems = []
    name = title.split(":", 1)[0].strip() if ":" in title else ""
    if name and len(name.split()) <= 3 and name.lower() not in translation.lower():
        problems.append(f'title_translation drops the name "{name}" that starts the title')
    if base_lang(lang) == "en" and not re.search(r"[\u3400-\u9fff]", title):
        if _similar(translation, title) < 0.8:
            problems.append(f'title_translation "{translation}" is not the title "{title}"')
        return problems
    if base_lang(lang) not in _LANG_SCRIPTS:  # a French or German title is Latin too: nothing to compare
        return problems
    title_plain = _plain(title)
    for run in _LATIN_RUN.findall(translation):
        words = _plain(run).split()
        if len(words) >= 4 and _plain(run) not in title_plain and _similar(run, title) < 0.75:
            problems.append(f'title_translation gives "{run.strip()}" as the title, but the title is "{title}"')
    return problems


# --------------------------------------------------------------------------- numbers (soft)

_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])(\d+(?:[.,]\d+)*)(?![\d])")  # CJK may touch a number


def _numbers(text: str) -> list[str]:
    out = []
    for m in _NUMBER.finditer(text):
        n = m.group(1).rstrip(".,")
        digits = n.replace(",", "").replace(".", "")
        if len(digits) >= 2 or "." in n:  # single digits are everywhere; not worth a warning
            out.append(n)
    return out


def _plain_thousands(text: str) -> str:
    return re.sub(r"(?<=\d),(?=\d{3})", "", text)  # 1,000 -> 1000 on both sides


def _prints(text: str, number: str) -> bool:
    return re.search(rf"(?<![\d]){re.escape(_plain_thousands(number))}(?![\d])", text) is not None


class PaperNumbers:
    """The paper's text, whole and page by page, normalised once.

    It tells where reported numbers occur, and (`compact`) where quoted spans do.
    """

    def __init__(self, paper: Paper):
        parts = paper.page_texts or [s.text for s in paper.sections]
        self.text = _plain_thousands(" ".join([paper.abstract, *parts]))
        self.pages = [_plain_thousands(t) for t in paper.page_texts]
        self.compact = re.sub(r"\s+", "", " ".join([paper.title, paper.title_en, paper.abstract, *parts]))
        # Page 1's number may come from arXiv's abstract rather than the PDF's: it counts as page 1.
        if self.pages and paper.abstract:
            self.pages[0] = _plain_thousands(paper.abstract) + " " + self.pages[0]

    def missing(self, numbers: list[str]) -> list[str]:
        """The numbers the paper prints nowhere."""
        return list(dict.fromkeys(n for n in numbers if not _prints(self.text, n)))

    def not_on(self, numbers: list[str], pages: set[int], quotes: list[str]) -> list[str]:
        """The numbers neither these pages nor these quotes print."""
        local = " ".join([*(self.pages[p - 1] for p in sorted(pages) if 1 <= p <= len(self.pages)), *quotes])
        return list(dict.fromkeys(n for n in numbers if not _prints(_plain_thousands(local), n)))


def check_numbers(result: BaseModel, numbers: PaperNumbers) -> list[Issue]:
    """Soft: a number a point states must be printed in its found quotes or on its cited pages.

    The pages a point rests on are its own `pages` and the pages its found quotes are on; a point that
    cites nothing is checked against the whole paper (it cannot be checked closer)."""
    problems: list[str] = []
    for path, point in iter_points(result):
        found = [e for e in point.evidence if e.status != "unverified"]
        pages = set(point.pages) | {e.page for e in found}
        stated = _numbers(point.text)
        if not stated:
            continue
        if pages:
            missing = numbers.not_on(stated, pages, [e.quote for e in found])
            anywhere = set(numbers.missing(missing))
            for n in missing:
                where = "in the paper" if n in anywhere else "on " + ", ".join(f"p. {p}" for p in sorted(pages))
                problems.append(f"{path}: {n} (not {where})")
        else:
            problems += [f"{path}: {n} (not in the paper)" for n in numbers.missing(stated)]
    if not problems:
        return []
    return [Issue("numbers", f"Numbers not printed where their points cite: {'; '.join(problems[:8])}; check them "
                             "against the paper.", retry=False)]
