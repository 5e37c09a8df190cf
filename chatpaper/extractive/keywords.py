"""Keywords: the ones the paper prints, else noun-ish phrases of its title and abstract that its text repeats.

A CJK title has no spaces to split on: its 2-4 character runs that the paper repeats most.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from chatpaper.extractive.language import paper_language
from chatpaper.extractive.sentences import BACK_MATTER, PaperText, normalise
from chatpaper.models import Paper
from chatpaper.scripts import CJK_RUN

_STOPWORDS = frozenset(
    """a an the and or but nor for of in on at to from by with without within into onto over under via as
    is are was were be been being has have had do does did can could may might must shall should will would
    this that these those it its we our us they their them he she his her you your i me my
    which who whom whose what when where why how than then there here also such both either neither each
    every all any some many much more most few less least other another same so very not no only just
    about above after again against before below between during through until up down out off further once
    while if because since although though however thus hence therefore moreover furthermore yet still
    paper work article report study approach approaches propose proposed present
    presents show shows shown results result new novel based using use used uses via well good better best
    one two three first second third et al e g i e etc fig figure table section can cannot able
    recent recently existing previous several various large small high low different simple efficient
    effective significant significantly state art demonstrate demonstrates achieve achieves achieved
    introduce introduces make makes made provide provides allow allows given give gives often however
    matters matter remains remain requires require enables enable leads lead performs perform improves improve
    outperforms outperform yields yield helps help suffers suffer depends depend consider considers obtain
    obtains called named termed known way ways need needs take takes single multiple deep important main key
    specific just more less made toward towards beside besides across among amongst along around behind beyond
    despite per versus upon own whether turn turns turned""".split()
)
_GENERIC = frozenset(
    "model models method methods framework task tasks data results performance system systems network networks "
    "problem problems technique techniques algorithm algorithms analysis".split()
)
_PHRASE_SPLIT = re.compile(r"[^\w\s\-’']+|\s[-–—]\s")
_WORD_OK = re.compile(r"^[A-Za-z][\w\-]*[A-Za-z0-9]$")


def keywords(paper: Paper, text: PaperText | None = None, *, limit: int = 6) -> list[str]:
    """The keywords the paper prints (关键词, Keywords), else 3-6 noun-ish phrases from the title and abstract,
    weighted by how often the paper uses them."""
    printed = list(dict.fromkeys(k.strip() for k in paper.keywords if k.strip()))
    if len(printed) >= 3:
        return printed[:limit]
    if paper_language(paper) in ("zh", "ja"):
        return _cjk_keywords(normalise(paper.title), " ".join(text.page_norm) if text else paper.abstract, limit)
    sentences = text.sentences if text else []
    abstract = (paper.abstract or " ".join(s.text for s in sentences if s.role == "front" and s.quality > 0)
                or " ".join(s.text for s in sentences[:40] if s.quality > 0))
    title = _recase(normalise(paper.title), abstract)
    counts: defaultdict[str, float] = defaultdict(float)  # weighted: a title phrase counts 4
    surface: dict[str, Counter[str]] = {}
    for source, weight in ((title, 4.0), (abstract, 1.0)):
        for phrase in _candidate_phrases(source):
            key = phrase.lower()
            counts[key] += weight
            surface.setdefault(key, Counter())[phrase] += 1
    # Prose only (no title, headers, references), to tell names from Title Case words.
    body_cased = " ".join(s.text for s in sentences if s.quality > 0 and s.role not in BACK_MATTER) or abstract
    body = body_cased.lower()
    scored: list[tuple[float, str]] = []
    for key, base in counts.items():
        if all(word in _GENERIC for word in key.split()):
            continue
        n_words = key.count(" ") + 1
        uses = body.count(key) if body and len(key) > 3 else 0
        value = base * (1.0 + 0.35 * (n_words - 1)) + min(uses, 30) * 0.15
        if _ADJECTIVE.search(key) and not _is_acronym(next(iter(surface[key])).split()[-1]):
            continue  # "generalized", "publicly available": a modifier without its noun
        if n_words == 1 and not _is_acronym(next(iter(surface[key]))):
            value *= 0.6
        scored.append((value, key))
    scored.sort(key=lambda item: (-item[0], item[1]))
    chosen: list[str] = []
    for value, key in scored:
        if len(chosen) >= limit:
            break
        if any(key in other or other in key for other in chosen):
            continue
        if value < 1.0 and len(chosen) >= 3:
            break
        chosen.append(key)
    out = [_display(surface[key], body_cased) for key in chosen]
    if len(out) < 3:  # a very short title and abstract: fall back to the title's longer words
        for word in title.split():
            w = word.strip(",:;.()")
            if len(w) > 3 and w.lower() not in _STOPWORDS and w not in out and len(out) < 3:
                out.append(w if _is_acronym(w) else w.lower())
    return out or [title]


def _cjk_keywords(title: str, body: str, limit: int) -> list[str]:
    """No spaces to split on: the title's 2-4 character runs that the paper repeats most."""
    runs = CJK_RUN.findall(title)
    scored: dict[str, float] = {}
    for run in runs:
        for n in (4, 3, 2):
            for i in range(len(run) - n + 1):
                piece = run[i : i + n]
                count = body.count(piece)
                if count >= 2:  # the title itself is one occurrence
                    scored[piece] = count * n
    chosen: list[str] = []
    for piece, _ in sorted(scored.items(), key=lambda item: (-item[1], item[0])):
        if len(chosen) >= limit:
            break
        if not any(piece in other or other in piece for other in chosen):
            chosen.append(piece)
    words = [w for w in re.findall(r"[A-Za-z][\w\-]+", title) if _is_acronym(w)]
    return (words + chosen)[:limit] or [title]


def _recase(title: str, abstract: str) -> str:
    """An all-caps title ("ADADELTA: AN ADAPTIVE ...") in lower case, keeping words the abstract prints in caps."""
    letters = [ch for ch in title if ch.isalpha()]
    if not letters or sum(ch.isupper() for ch in letters) < 0.7 * len(letters):
        return title
    rest = abstract.replace(title, " ")
    return " ".join(w if re.search(rf"\b{re.escape(w.strip(',:;.()'))}\b", rest) else w.lower() for w in title.split())


_ADJECTIVE = re.compile(r"(?:ed|al|ive|ous|ful|able|ible|ent|ant|ic|less)$")


def _candidate_phrases(text: str) -> Iterable[str]:
    for chunk in _PHRASE_SPLIT.split(text):
        words: list[str] = []
        for word in chunk.split():
            clean = word.strip("-’'")
            if clean.lower() in _STOPWORDS or not _WORD_OK.match(clean) or clean.isdigit():
                yield from _ngrams(words)
                words = []
            else:
                words.append(clean)
        yield from _ngrams(words)


def _ngrams(words: list[str]) -> Iterable[str]:
    """Runs of content words, cut to at most three words (the last ones: the head noun is last in English)."""
    if not words:
        return
    if len(words) <= 3:
        yield " ".join(words)
    else:
        for i in range(len(words) - 2):
            yield " ".join(words[i : i + 3])
    if len(words) >= 2:
        yield " ".join(words[-2:])
    for w in words:
        if _is_acronym(w) or len(w) > 4:
            yield w


def _is_acronym(word: str) -> bool:
    """ADADELTA, LLMs, DiffCalib, GPT-4; not "High-Fidelity" (capitals only at word starts)."""
    inner = any(ch.isupper() for i, ch in enumerate(word) if i > 0 and word[i - 1] not in "-/")
    return inner or (word[:1].isupper() and any(ch.isdigit() for ch in word))


def _display(forms: Counter[str], body: str) -> str:
    """Lower case, except acronyms and names the paper keeps capitalised (ADADELTA, DiffCalib, Janus-Pro)."""
    form = forms.most_common(1)[0][0]
    return " ".join(w if _is_acronym(w) or (w[:1].isupper() and _is_name(w, body)) else w.lower()
                    for w in form.split())


def _is_name(word: str, body: str) -> bool:
    """Capitalised mid-sentence ("we use Adam", "of Janus-Pro") at least twice: a name, not a title word."""
    return len(re.findall(rf"[a-z,] {re.escape(word)}\b", body)) >= 2
