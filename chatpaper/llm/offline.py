"""The offline provider: an extractive digest from the paper's own sentences, with exact pages.

No model, no network, no key: the default on a fresh machine. Every `Point.text` is a sentence
quoted from `Paper.page_texts` (whitespace-normalised) and `Point.pages` is the page it is on.
Sentences are chosen by cue phrases ("we propose", "however", numbers in results...) and by
position (the introduction's opening, the first sentences of method subsections and of the
conclusion). The chain records `extractive=True` and the renderer labels it "extractive, no LLM".
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

from chatpaper.errors import ProviderError
from chatpaper.llm.extractive import PaperText, Sentence, is_roadmap, normalise, read_sentences
from chatpaper.models import (
    ConclusionStage,
    MetadataStage,
    MethodsStage,
    Paper,
    Point,
    SummaryStage,
)

StageResult = MetadataStage | SummaryStage | MethodsStage | ConclusionStage

# --------------------------------------------------------------------------- cues

@dataclass(frozen=True)
class Cue:
    regex: re.Pattern[str]
    weight: float
    anchors: tuple[str, ...] | None  # literal words one of which must occur; None = always try the regex


Cues = tuple[Cue, ...]
# Chinese cues are literals too ("本文提出|我们提出"): their characters anchor as well as Latin words do.
_LITERAL = re.compile(r"^(?:\\b)?([a-z×\u4e00-\u9fff][a-z0-9' \-\u4e00-\u9fff]+)")


def _anchors(pattern: str) -> tuple[str, ...] | None:
    """Literal prefixes of the top-level alternatives, so most sentences skip the regex entirely."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(pattern):
        if ch == "(" and (i == 0 or pattern[i - 1] != "\\"):
            depth += 1
        elif ch == ")" and (i == 0 or pattern[i - 1] != "\\"):
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    parts.append(pattern[start:])
    anchors = []
    for part in parts:
        m = _LITERAL.match(part)
        if not m:
            return None
        literal = m.group(1)
        if (pattern_rest := part[m.end():]) and pattern_rest[0] in "?*{":  # the last letter is optional
            literal = literal[:-1]
        if len(literal.strip()) < 2:
            return None
        anchors.append(literal)
    return tuple(anchors)


def _cues(*pairs: tuple[str, float]) -> Cues:
    # Matched against lower-cased text: much faster than re.IGNORECASE.
    return tuple(Cue(re.compile(pattern), weight, _anchors(pattern)) for pattern, weight in pairs)


_PAPER = r"(?:paper|work|article|report|study|letter|note|thesis)"
_PRESENTS = r"(?:proposes|presents|introduces|develops|describes)\b"
_AIMS = r"(?:attempts|aims|seeks|tries)\b"
_OTHERS = r"(?:methods|approaches|models|systems|techniques|work)\b"
PROPOSE = _cues(
    (r"\bwe (?:propose|present|introduce|develop|devise|design|describe|put forward)\b", 3.0),
    (rf"\bthis {_PAPER} {_PRESENTS}|\bthe present {_PAPER} {_PRESENTS}|\bour {_PAPER} {_PRESENTS}", 3.0),
    (rf"\bin this (?:tech )?{_PAPER}\b", 2.5),
    (rf"\bthis {_PAPER} {_AIMS}|\bour {_PAPER} {_AIMS}|\bintroduc(?:e|es|ing)\b", 2.0),
    (r"\bwe (?:show|demonstrate|investigate|study|explore|address|leverage|reformulate|extend|formulate|apply|"
     r"build|derive|focus|tackle|aim)\b", 1.5),
    (r"\bnovel\b|\bnew\b", 1.5),
    # The passive voice of many abstracts: "A complete parametrization ... is proposed".
    (r"\b(?:is|are) (?:here |thus )?(?:proposed|developed|presented|introduced)\b", 2.0),
    (r"\bour (?:method|approach|model|framework|algorithm|system|technique|scheme|pipeline)\b", 1.0),
    (r"\bcalled\b|\bnamed\b|\bdubbed\b|\btermed\b", 1.0),
    (r"\bcontributions?\b", 1.0),
    (r"\bkey idea\b|\bmain idea\b|\bcore idea\b|\bcentral idea\b", 2.0),
    ("本文提出|我们提出|本文介绍|我们介绍|本研究提出|本文设计|本文构建|提出了?一种", 3.0),  # Chinese papers
    ("本文(?:研究|针对|探讨|将|采用|利用|通过)|我们(?:设计|构建|采用|利用)|本方法", 1.5),
    ("新的|新颖", 1.0),
)
PAST = _cues(
    (r"\bhowever\b", 2.0),
    (r"\bexisting\b", 2.0),
    (r"\blimitations?\b|\bsuffers?\b|\bdrawbacks?\b|\bshortcomings?\b|\bbottlenecks?\b", 2.0),
    (r"\bprevious(?:ly)?\b|\bprior (?:work|methods?|approaches|art|studies)\b", 1.5),
    (r"\btraditional(?:ly)?\b|\bconventional(?:ly)?\b|\bstandard (?:methods?|approaches)\b", 1.5),
    (r"\bfails?\b|\bfailure\b|\bstruggles?\b|\bunlike\b|\bcannot\b|\bunable\b", 1.5),
    (r"\bremains? (?:challenging|difficult|an open|unclear|unsolved)\b", 1.5),
    (r"\bcurrent (?:methods|approaches|models|systems|techniques|work)\b|\brecent {_OTHERS}|\bmany {_OTHERS}|"
     r"\bmost {_OTHERS}".replace("{_OTHERS}", _OTHERS), 1.0),
    (r"\balthough\b|\bdespite\b|\bchalleng\w*\b|\bexpensive\b|\bcostly\b|\black(?:s|ing)?\b|\bdifficult\b", 1.0),
    (r"\bsensitiv\w+\b|\bovercome\b|\balleviate\b|\bmitigate\b|\bby hand\b|\bmanual(?:ly)?\b|"
     r"\bhand-tuned\b|\bdiverge\w*\b|\bunstable\b|\binefficient\b|\bslow\b", 1.0),
    (r"\bproblems?\b|\bissues?\b|\brequires?\b|\btuning\b", 0.5),
    ("然而|但是|现有方法|局限|不足", 2.0),
    ("传统(?:的)?方法|已有(?:的)?(?:研究|方法|工作)|以往|难以|无法|缺乏|依赖于|存在.{0,8}问题", 1.5),
)
RESULT = _cues(
    (r"\boutperform\w*\b|\bsurpass\w*\b|\bbeats?\b", 3.0),
    (r"\bachiev\w*\b|\bstate[- ]of[- ]the[- ]art\b|\bimprov\w*\b|\breduc\w*\b|\bspeed-?ups?\b", 2.0),
    (r"\btimes faster\b|\bx faster\b|× faster\b|\bbetter than\b|\bhigher\b|\blower\b|\bgains?\b", 1.5),
    (r"\baccura\w*\b|\berror\b|\bbleu\b|\bf1\b|\bfid\b|\bmap\b|\bperplexity\b|\bauc\b|\bpsnr\b|\bwer\b|"
     r"\btop-[15]\b|\bscores?\b|\bprecision\b|\brecall\b|\bwin rate\b|\bpass rate\b", 1.5),
    (r"\bresults?\b|\bexperiments?\b|\bdemonstrat\w*\b|\bsignificant\w*\b|\bcompared (?:to|with)\b|"
     r"\bcompetitive\b|\bbenchmarks?\b|\bevaluat\w*\b|\bperformance\b|\bconverg\w*\b|\bmatch\w*\b", 1.0),
    ("实验结果表明|结果表明|实验表明|结果显示", 3.0),  # Chinese papers
    ("优于|超过|提高了|提升了|降低了|减少了|明显|显著", 2.5),
    ("准确率|正确率|精度|误差|召回率|性能|效果|加速", 1.5),
    ("提高|达到|实验", 0.5),
)
SIGNIFICANCE = _cues(
    (r"\bwe (?:have )?(?:presented|proposed|introduced|shown|demonstrated|described|developed|studied)\b", 3.0),
    (rf"\b(?:in )?this (?:tech )?{_PAPER}\b", 2.0),
    (r"\bour (?:results|findings|experiments|analysis) (?:show|suggest|demonstrate|indicate)\b", 2.0),
    (r"\benabl\w*\b|\bimportant\b|\bsignificant\w*\b|\beffective\w*\b|\bpromising\b|\bopens?\b|\buseful\b|"
     r"\bpractical\b|\bbroad\w*\b|\bgeneral\w*\b|\bbenefit\w*\b", 1.0),
    ("本文(?:提出|设计|研究|实现|介绍|回顾)了|我们(?:提出|设计|实现)了", 3.0),
    ("意义|有效|有望|能够|可以(?:应用|用于)|应用前景|重要|解决", 1.0),
)
INNOVATION = _cues(
    (r"\bnovel\b|\bfor the first time\b|\bthe first (?:\w+ )?(?:method|work|approach|framework|model|attempt|"
     r"study|system|algorithm|to)\b|\bwe are the first\b|\bto (?:the best of )?our knowledge\b", 3.0),
    (r"\bnew\b", 1.5),
    (r"\bunlike\b|\bin contrast to (?:previous|prior|existing|most|other)\b|\bkey (?:idea|insight|observation)\b|"
     r"\bmain idea\b|\bcore idea\b|\bcontributions?\b|\bwe (?:propose|introduce|present (?:a|an)\b)", 2.0),
    (r"\bpropos\w*\b|\bintroduc\w*\b", 1.0),
    (r"\bsimple\b|\binstead\b|\bwithout (?:requiring|the need|any)\b|\bdirectly\b", 0.5),
    ("首次|创新|新颖|不同于|区别于", 3.0),
    ("新的|提出", 1.5),
)
_COUNTED = (r"(?:datasets?|benchmarks?|tasks?|languages|species|apis|images|videos|recordings|samples|examples|"
            r"instructions|sentences|tokens|hours|gpus?|experiments|runs|models|parameters|epochs|categories|classes)")
WORKLOAD = _cues(
    (r"\bextensive(?:ly)?\b|\bablations?\b|\bcomprehensive\b", 3.0),
    (r"\bwe (?:conduct|perform|run|carry out|evaluate|test|train|benchmark|compare|collect|construct|release)\w*",
     3.0),
    # Scale: "16,000 APIs", "six PI benchmarks", "several hundred hours".
    (r"\b(?:\d[\d,.]*\+?\s?(?:k|m|b|million|billion|thousand)?|two|three|four|five|six|seven|eight|nine|ten|dozens? of|"
     r"several|multiple|hundreds? of|thousands? of|millions? of)\s(?:\w+[\s-]){0,2}" + _COUNTED + r"\b", 2.0),
    (r"\bdatasets?\b|\bbenchmarks?\b|\bexperiments? on\b|\bgpus?\b|\bhours\b|\btrained on\b|"
     r"\bevaluated on\b|\bcorpus\b|\bsamples\b", 2.0),
    (r"\btasks?\b|\barchitectures\b|\bsettings\b|\bvariety\b|\bwide range\b|\bscale\b|\bimplement\w*\b", 1.0),
    ("大量实验|对比实验|消融实验|多个(?:公开)?数据集|数据集上|实验设置|训练集|测试集|语料", 3.0),
    ("数据集|样本|实验", 1.0),
)
METHOD = _cues(
    (r"\bconsists? of\b|\bcomposed of\b|\bbased on\b|\bwe (?:first|then|use|apply|compute|define|train|model)\b", 2.0),
    (r"\bfirst\b|\bthen\b|\bfinally\b|\bstep\b|\bstage\b|\bmodule\b|\bcomponent\b|\bnetwork\b|\bloss\b|"
     r"\bobjective\b|\bupdate\b|\bencoder\b|\bdecoder\b|\blayer\b", 1.0),
    ("首先|然后|其次|最后|步骤|模块|网络|损失|编码器|解码器|组成|基于", 1.0),
)
BACKGROUND = _cues(
    (r"\bhas (?:become|been|shown|emerged|attracted|achieved|gained)\b|"
     r"\bhave (?:become|been|shown|emerged|attracted|achieved|gained)\b|\brecent(?:ly)?\b|\bwidely\b|"
     r"\bplay\w* an? \w+ role\b|\bkey\b|\bfundamental\b|\bpopular\b|\bincreasing\w*\b", 1.5),
    ("近年来|随着|广泛|越来越|关注|热点|重要", 1.5),
    (r"\bis an?\b|\bare\b|\bmany\b|\bcommon\w*\b|\boften\b|\btypically\b|\bimportant\b", 0.5),
)
_CITED = re.compile(r"\[[A-Z][A-Za-z]+\d\d|\[\d+(?:[,–\-]\s*\d+)*\]|\([A-Z][A-Za-z\-]+(?: et al\.)?,? (?:19|20)\d\d[a-z]?[;)]")
_WE = re.compile(r"\b(?:we|our)\b", re.I)
# A sentence whose subject is someone else's work: "[30] use a random forest ...", "Towsey et al. [19] provide ...".
# Also a named system with its citation ("AdVerb [16] uses ..."), and Chinese "文献[3]提出", "张三等[5]".
_OTHERS_SUBJECT = re.compile(
    r"^(?:\[\d[^\]]*\]|(?:[A-Z][\w\-]+ )?[A-Z][\w\-]+ (?:et al\.|and [A-Z][\w\-]+),? ?(?:\[\d[^\]]*\]|\((?:19|20)\d\d\w?\))|"
    r"(?:[A-Z][\w\-]*\s){0,2}[A-Z][\w\-]*\s?\[\d[^\]]*\]|(?:文献|[\u4e00-\u9fff]{2,4}等人?)\s*\[\d)")
# ... or credits it to someone else: "the system developed by Benetos and Weyde [6]", "proposed by Poliner et al.".
_CREDITED = re.compile(r"\b(?:proposed|developed|introduced|presented|designed|invented|described) (?:by|in) "
                       r"(?:[A-Z][\w\-]+|\[\d)")


def about_others(text: str) -> bool:
    """The sentence reports someone else's work: it is not this paper's method or innovation."""
    return bool(_OTHERS_SUBJECT.match(text) or _CREDITED.search(text))

# Numbers that report a result, not a citation, a year or a cross-reference.
_NOT_A_RESULT = re.compile(
    r"\[[^\]]*\]|\((?:19|20)\d\d\)|\b(?:19|20)\d\d\b|"
    r"\b(?:section|sec\.|figure|fig\.|table|tab\.|eq\.|eqn\.|equation|appendix|algorithm|chapter|step|"
    r"theorem|lemma|corollary|definition|proposition|remark)\s*\(?\d+[\d.]*\)?",
    re.I,
)
_STRONG_NUMBER = re.compile(r"\d+(?:\.\d+)?\s?%|\d+\.\d+|\d+(?:\.\d+)?\s?(?:x|×)(?!\w)")
_PLAIN_NUMBER = re.compile(r"(?<![\w.])\d{2,}(?:,\d{3})*(?![\w.])")


def score(lower: str, cues: Cues) -> float:
    """Sum of the weights of the cues found in `lower` (lower-cased text)."""
    total = 0.0
    for cue in cues:
        if cue.anchors is not None and not any(a in lower for a in cue.anchors):
            continue
        if cue.regex.search(lower):
            total += cue.weight
    return total


def result_numbers(text: str) -> float:
    """How much `text` reports measured figures: percentages and decimals count, bare integers little."""
    plain = _NOT_A_RESULT.sub(" ", text)
    strong = len(_STRONG_NUMBER.findall(plain))
    weak = len(_PLAIN_NUMBER.findall(_STRONG_NUMBER.sub(" ", plain)))
    return min(strong, 2) + 0.25 * min(weak, 2)


_OURS = re.compile(rf"\b(?:we|our|us)\b|\bth(?:is|e present) (?:tech )?{_PAPER}\b|本文|我们|笔者|本研究|本方法")


class _Scores:
    """A sentence's cue scores, each computed on first use (most sentences need only one or two)."""

    def __init__(self, text: str, names: tuple[str, ...]):
        self.text = text
        self.lower = text.lower()
        self.names = names

    @cached_property
    def propose(self) -> float:
        return score(self.lower, PROPOSE)

    @cached_property
    def past(self) -> float:
        return score(self.lower, PAST)

    @cached_property
    def numbers(self) -> float:
        return result_numbers(self.text)

    @cached_property
    def result(self) -> float:
        value = score(self.lower, RESULT)
        return value + (2.0 * self.numbers if value > 0 else 0.5 * self.numbers)

    @cached_property
    def significance(self) -> float:
        return score(self.lower, SIGNIFICANCE)

    @cached_property
    def innovation(self) -> float:
        return score(self.lower, INNOVATION)

    @cached_property
    def workload(self) -> float:
        return score(self.lower, WORKLOAD)

    @cached_property
    def method(self) -> float:
        return score(self.lower, METHOD)

    @cached_property
    def background(self) -> float:
        return score(self.lower, BACKGROUND)

    @cached_property
    def ours(self) -> bool:
        """About the authors' own work: "we", "this paper", or the method's name."""
        return bool(_OURS.search(self.lower)) or any(name in self.text for name in self.names)


def method_names(title: str) -> tuple[str, ...]:
    """The name the paper gives its method: "DiffCalib" in "DiffCalib: Reformulating ...", acronyms."""
    names = []
    head, colon, _ = title.partition(":")
    if colon and 0 < len(head.split()) <= 3:
        names.append(head.strip())
    mixed = title.upper() != title
    names += [w for w in re.findall(r"[A-Za-z][\w\-]+", title) if mixed and sum(ch.isupper() for ch in w) >= 2]
    return tuple(dict.fromkeys(n for n in names if len(n) >= 3))


# --------------------------------------------------------------------------- picking

_WORD = re.compile(r"[a-z0-9]{3,}")


_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")


def _tokens(text: str) -> frozenset[str]:
    """Latin words, and the character bigrams of CJK runs (no spaces to split words on)."""
    words = _WORD.findall(text.lower())
    bigrams = [run[i : i + 2] for run in _CJK_RUN.findall(text) for i in range(len(run) - 1)]
    return frozenset(words + bigrams)


class _Picker:
    """Chooses sentences, each at most once where possible, and never two near-duplicates."""

    def __init__(self, text: PaperText, names: tuple[str, ...] = (), *, language: str = "en"):
        self.text = text
        self.good = [s for s in text.sentences if s.quality > 0 and s.role not in _BACK_MATTER]
        self.quotable = text.quotable
        if language in _CJK_LANGUAGES:  # a Chinese paper is quoted in Chinese, not from its English abstract
            own = [s for s in self.good if is_cjk_text(s.text)]
            if len(own) >= MIN_OWN_LANGUAGE:
                self.good = own
                self.quotable = [s for s in self.quotable if is_cjk_text(s.text)]
        self.scores = {s.index: _Scores(s.text, names) for s in self.good}
        self.used: dict[int, frozenset[str]] = {}

    def by_role(self, *roles: str) -> list[Sentence]:
        return [s for s in self.good if s.role in roles]

    def is_duplicate(self, s: Sentence) -> bool:
        if s.index in self.used:
            return True
        mine = _tokens(s.text)
        for other in self.used.values():
            union = len(mine | other)
            if union and len(mine & other) / union >= 0.6:
                return True
        return False

    def best(
        self,
        weights: dict[str, float],
        key: Callable[[Sentence, _Scores], float],
        *,
        allow_used: bool = False,
        minimum: float = 1e-9,
        others: float = 1.0,
        min_quality: float = 0.0,
        standalone: bool = False,
    ) -> Sentence | None:
        """The highest-scoring sentence among the weighted roles ("*" = any role); `others` weighs
        sentences about someone else's work ("[16] propose ...", 0 excludes them); `standalone` skips the ones that lean
        on the sentence before ("Then we report ...")."""
        best, best_value = None, minimum
        for s in self.good:
            w = weights.get(s.role, weights.get("*", 0.0))
            if w <= 0 or s.quality < min_quality:
                continue
            if standalone and _REFERS_BACK.match(s.text):
                continue
            if others != 1.0 and about_others(s.text):
                w *= others
            value = key(s, self.scores[s.index]) * w * (0.2 + 0.8 * s.quality)
            if value > best_value and (allow_used or not self.is_duplicate(s)):
                best, best_value = s, value
        return best

    def take(self, s: Sentence | None) -> Sentence | None:
        if s is not None:
            self.used[s.index] = _tokens(s.text)
        return s

    def first(self, candidates: Iterable[Sentence], *, allow_used: bool = False) -> Sentence | None:
        return next((s for s in candidates if allow_used or not self.is_duplicate(s)), None)

    def pick(self, *choices: Callable[[], Sentence | None]) -> Sentence:
        """The first choice that finds a sentence, marked as used; any sentence as a last resort."""
        for choice in choices:
            s = choice()
            if s is not None:
                return self.take(s)  # type: ignore[return-value]
        # Never one sentence for two fields while an unused quotable one is left; a tiny paper repeats one
        # (the chain marks it "not distinct") rather than quote a title or an author line.
        s = (self.first(self.good) or self.first(self.quotable)
             or self.first(self.good, allow_used=True) or self.first(self.quotable, allow_used=True))
        return self.take(s or _last_resort(self.text))  # type: ignore[return-value]


_BACK_MATTER = frozenset({"references", "appendix", "acknowledgments"})
_CJK_LANGUAGES = frozenset({"zh", "ja", "ko"})
# A CJK paper with fewer sentences than this in its own script (a broken text layer) is quoted as it is.
MIN_OWN_LANGUAGE = 8


def is_cjk_text(text: str) -> bool:
    return len(_CJK.findall(text)) > 0.3 * len(text)


def _last_resort(text: PaperText) -> Sentence:
    """A paper without a single clean sentence: its longest line of text, still quoted from its page."""
    best = max(text.sentences, key=lambda s: len(s.text), default=None)
    if best is None:
        raise ProviderError(
            "The paper has no extractable text, so the offline digest has nothing to quote; "
            "try a PDF with a text layer or another provider."
        )
    return best


def _point(s: Sentence) -> Point:
    return Point(text=s.text, pages=[s.page])


# --------------------------------------------------------------------------- the digest


@dataclass(frozen=True)
class ExtractiveDigest:
    metadata: MetadataStage
    summary: SummaryStage
    methods: MethodsStage
    conclusion: ConclusionStage

    def stage(self, name: str) -> StageResult:
        if name not in ("metadata", "summary", "methods", "conclusion"):
            raise ValueError(f"unknown stage {name!r}")
        return getattr(self, name)


def extract_digest(paper: Paper) -> ExtractiveDigest:
    """All four stages at once, so that no sentence is quoted twice across fields where avoidable."""
    text = read_sentences(paper)
    picker = _Picker(text, method_names(paper.title), language=paper_language(paper))
    summary, methods = _summary(picker, paper)
    conclusion = _conclusion(picker)
    summary = summary.model_copy(update={"key_takeaways": _takeaways(picker, summary, methods)})
    return ExtractiveDigest(
        metadata=MetadataStage(title_translation=_title(paper), keywords=keywords(paper, text)),
        summary=summary,
        methods=methods,
        conclusion=conclusion,
    )


def _title(paper: Paper) -> str:
    """Offline mode translates nothing: the title stays as printed (the page's first line if unknown)."""
    if paper.title.strip():
        return paper.title
    lines = (normalise(line) for page in paper.page_texts for line in page.split("\n"))
    return next((line for line in lines if line), "Untitled")


def _summary(p: _Picker, paper: Paper) -> tuple[SummaryStage, MethodsStage]:
    """The summary's points; the method steps are chosen before `proposed_method` so they keep their leads."""
    one_line = p.pick(
        # The abstract is the authors' own summary: its "we propose" sentence comes first.
        lambda: p.best({"front": 1.0}, lambda s, c: c.propose, minimum=1.5),
        lambda: p.best({"introduction": 1.0, "conclusion": 0.7}, lambda s, c: c.propose, minimum=2.0),
        lambda: p.best({"front": 1.0, "introduction": 0.8, "*": 0.3}, lambda s, c: c.propose + c.result * 0.3),
        lambda: p.first(p.by_role("front")),
    )
    performance = p.pick(
        lambda: p.best(
            {"front": 1.3, "conclusion": 1.1, "experiments": 1.0, "discussion": 0.9, "introduction": 0.8, "*": 0.4},
            lambda s, c: _own_result(c) if c.numbers >= 1 else _own_result(c) * 0.4,
            minimum=2.0,
        ),
        lambda: p.best({"front": 1.2, "conclusion": 1.0, "experiments": 1.0, "discussion": 0.9, "*": 0.3},
                       lambda s, c: _own_result(c), minimum=2.0),
        lambda: p.first(s for s in p.by_role("experiments") if not foreign(s.text)),
    )
    background = p.pick(
        lambda: _opening(p, ("introduction",)),
        lambda: _opening(p, ("front",)),
        lambda: _opening(p, ("related_work", "other")),
    )
    past = p.pick(
        lambda: p.best(
            {"front": 1.2, "introduction": 1.0, "related_work": 0.9, "*": 0.4},
            lambda s, c: c.past * (0.4 if c.propose >= 3 else 1.0),
            minimum=1.5,
        ),
        lambda: p.best({"front": 1.2, "introduction": 1.0, "related_work": 0.9}, lambda s, c: c.past, minimum=0.4),
        lambda: p.first(p.by_role("related_work")),
        lambda: p.first(p.by_role("introduction")[1:]),
    )
    methods = _methods(p, paper)
    proposed = p.pick(
        lambda: p.best(
            {"front": 1.2, "introduction": 1.0, "method": 0.9, "conclusion": 0.6},
            lambda s, c: c.propose + 0.5 * c.method,
            minimum=1.5,
            others=0.0,  # "we use the system developed by X [6]" is not what the paper proposes
        ),
        lambda: p.first(p.by_role("method")),
        lambda: p.best({"*": 1.0}, lambda s, c: c.propose, others=0.0),
    )
    # key_takeaways are chosen last (they avoid everything else); one_line is a placeholder here.
    return SummaryStage(
        one_line=_point(one_line),
        key_takeaways=[_point(one_line)],
        background=_point(background),
        past_methods=_point(past),
        proposed_method=_point(proposed),
        performance=_point(performance),
    ), methods


def _opening(p: _Picker, roles: tuple[str, ...]) -> Sentence | None:
    """Context that opens a part of the paper: early, general, not yet about "our" method."""
    candidates = [s for s in p.by_role(*roles) if not p.is_duplicate(s) and s.quality >= 0.5][:10]
    best, best_value = None, 0.0
    for rank, s in enumerate(candidates):
        c = p.scores[s.index]
        value = (2.5 - rank * 0.25) + c.background - 1.5 * bool(_WE.search(s.text)) - 0.5 * c.propose
        value += 1.0 if _CITED.search(s.text) else 0.0  # prose that cites others, not text inside a figure
        value *= 0.5 + 0.5 * s.quality
        if value > best_value:
            best, best_value = s, value
    return best


MAX_STEPS = 10


_SURVEY_TITLE = re.compile(r"\b(?:survey|review|overview|tutorial)\b", re.I)
_SURVEY_CLAIM = re.compile(r"\bwe (?:review|survey|summari[sz]e|give an overview|provide an overview)\b|"
                           r"\bth(?:is|e present) (?:survey|review|overview|tutorial)\b", re.I)
# What a survey itself does: reviews, a challenge or data set it presents, what it evaluates or compares.
OWN_WORK = _cues(
    (r"\bwe (?:review|survey|present|introduce|propose|describe|discuss|evaluate|compare|analy[sz]e|release|"
     r"organi[sz]e|run|launch|collect|design|report|summari[sz]e|identify|outline|provide|conclude)\b", 3.0),
    (rf"\b(?:in )?th(?:is|e present) (?:survey|review|challenge|{_PAPER[3:-1]})\b|\bour (?:challenge|dataset|"
     r"data|survey|review|evaluation|analysis|results)\b", 2.0),
    (r"\bchallenge\b|\bdatasets?\b|\bbenchmarks?\b|\bbaselines?\b", 1.0),
)
# A sentence about someone else's system in the third person: "They train a classifier ...", "Their method ...".
_THIRD_PERSON = re.compile(r"^(?:They|Their|Them|These authors|The authors|Its authors|His|Her|He|She)\b")


def is_survey(paper: Paper, text: PaperText) -> bool:
    """A survey or review: its title says so, or its abstract does ("we review ...", "this survey")."""
    if _SURVEY_TITLE.search(paper.title):
        return True
    return any(_SURVEY_CLAIM.search(s.text) for s in text.sentences if s.role == "front" and s.quality > 0)


def foreign(text: str) -> bool:
    """Another work's method: credited to it, led by its citation, in the third person, or cited and not "we"."""
    return (about_others(text) or bool(_THIRD_PERSON.match(text))
            or (bool(_CITED.search(text)) and not _OURS.search(text.lower())))


def _own_steps(p: _Picker) -> list[Point]:
    """A survey's steps: what THIS paper does (reviews, presents a challenge, evaluates), in reading order."""
    scored = []
    for s in p.good:
        c = p.scores[s.index]
        if not c.ours or foreign(s.text) or _says_nothing(s) or s.quality < 0.3:
            continue
        value = score(c.lower, OWN_WORK)
        if value >= 3.0:
            scored.append((value * (0.5 + 0.5 * s.quality), s))
    best = sorted(scored, key=lambda item: -item[0])
    chosen: list[Sentence] = []
    for _, s in best:
        if len(chosen) >= 6:
            break
        if not p.is_duplicate(s):
            chosen.append(p.take(s))  # type: ignore[arg-type]
    chosen.sort(key=lambda s: s.index)
    return [_point(s) for s in chosen]


def _methods(p: _Picker, paper: Paper) -> MethodsStage:
    if is_survey(paper, p.text):
        own = _own_steps(p)
        if own:
            return MethodsStage(steps=own)
    no_method = paper.section("method") is None
    groups = _method_groups(p, paper)
    if no_method:  # the body may describe the works the paper builds on: never as its method
        groups = [[s for s in group if not foreign(s.text)] for group in groups]
    steps: list[Point] = []
    for group in groups:
        s = _lead(p, group)
        if s is None:
            continue
        p.take(s)
        follow = _follower(p, s)
        if follow is not None and len(s.text) < 90:
            p.take(follow)
            steps.append(_point_span(p.text, s, follow))
        else:
            steps.append(_point(s))
    if not steps:  # no method section: what the paper itself says it proposes, in reading order
        proposing = [s for s in p.good if s.role in ("front", "introduction") and p.scores[s.index].propose >= 1.5]
        fresh = [s for s in proposing if not p.is_duplicate(s)]
        chosen = fresh[:6] or [p.pick()]
        for s in chosen:
            p.take(s)
        steps = [_point(s) for s in chosen]
    return MethodsStage(steps=steps)


def _method_groups(p: _Picker, paper: Paper) -> list[list[Sentence]]:
    """Sentences grouped by method subsection; paragraphs when the method has no subsections."""
    top = paper.section("method")
    if top is None and any(s.role == "method" for s in p.good):
        method = p.by_role("method")
        return _paragraphs(method)
    if top is None:
        return _body_sections(p, paper)
    tree = paper.section_tree(top)
    start = paper.sections.index(top)
    indices = list(range(start, start + len(tree)))
    if len(tree) < 3:  # a short method section: the unlabelled sections right after it continue it
        for i in range(start + len(tree), len(paper.sections)):
            if p.text.section_roles[i] != "other":
                break
            indices.append(i)
    if len(indices) - 1 > MAX_STEPS:  # many sub-subsections: one step per direct subsection
        child_level = min(paper.sections[i].level for i in indices[1:])
        parent: dict[int, int] = {}
        current = start
        for i in indices:
            if i == start or paper.sections[i].level <= child_level:
                current = i
            parent[i] = current
    else:
        parent = {i: i for i in indices}
    groups: dict[int, list[Sentence]] = {}
    for s in p.good:
        if s.section is not None and s.section in parent:
            groups.setdefault(parent[s.section], []).append(s)
    ordered = [groups[i] for i in sorted(groups)]
    if len(ordered) <= 1:
        return _paragraphs(ordered[0] if ordered else p.by_role("method"))
    return _limit(ordered)


def _body_sections(p: _Picker, paper: Paper) -> list[list[Sentence]]:
    """No method section: the unlabelled top-level sections between introduction and conclusion."""
    groups: dict[int, list[Sentence]] = {}
    for s in p.good:
        if s.role == "other" and s.section is not None and paper.sections[s.section].level == 1:
            groups.setdefault(s.section, []).append(s)
    return _limit([groups[i] for i in sorted(groups)])


def _paragraphs(sentences: list[Sentence]) -> list[list[Sentence]]:
    groups: list[list[Sentence]] = []
    for s in sentences:
        if s.para_start or not groups:
            groups.append([s])
        else:
            groups[-1].append(s)
    if len(groups) > MAX_STEPS:
        step = len(groups) / MAX_STEPS
        groups = [groups[int(i * step)] for i in range(MAX_STEPS)]
    return groups


def _limit(groups: list[list[Sentence]]) -> list[list[Sentence]]:
    if len(groups) <= MAX_STEPS:
        return groups
    ranked = sorted(range(len(groups)), key=lambda i: -len(groups[i]))[:MAX_STEPS]
    return [groups[i] for i in sorted(ranked)]


def _says_nothing(s: Sentence) -> bool:
    """A map of the paper or a question: never a method step on its own."""
    return is_roadmap(s.text) or s.text.rstrip("\"'”’)").endswith("?")


def _lead(p: _Picker, group: list[Sentence]) -> Sentence | None:
    """The first good sentence of a group, preferring a clean one among the first four that say something."""
    content = [s for s in group if not _says_nothing(s)]
    candidates = [s for s in content[:4] if not p.is_duplicate(s)]
    if not candidates:
        return None
    weights = (1.0, 0.7, 0.55, 0.45)

    def value(s: Sentence) -> float:
        backward = 0.6 if _REFERS_BACK.match(s.text) else 1.0
        backward *= 0.3 if about_others(s.text) else 1.0  # a step of the paper's method, not a cited one
        return weights[content.index(s)] * (0.4 + 0.6 * s.quality) * backward + 0.03 * p.scores[s.index].method

    return max(candidates, key=value)


# A step should not open on a sentence that leans on the one before it.
_REFERS_BACK = re.compile(
    r"^(?:That is|Thus|Hence|Therefore|Then|Also|Here|In other words|Note that|Similarly|Above|As before|"
    r"As (?:noted|mentioned|discussed|shown|described|seen) (?:above|earlier|before|previously))\b")


def _follower(p: _Picker, s: Sentence) -> Sentence | None:
    """The next sentence when it directly continues `s` on the same page."""
    nxt = s.index + 1
    if nxt >= len(p.text.sentences):
        return None
    f = p.text.sentences[nxt]
    if f.page == s.page and f.start == s.end + 1 and f.quality > 0.5 and not f.para_start and not p.is_duplicate(f):
        return f
    return None


def _point_span(text: PaperText, first: Sentence, last: Sentence) -> Point:
    return Point(text=text.page_norm[first.page - 1][first.start : last.end], pages=[first.page])


def _conclusion(p: _Picker) -> ConclusionStage:
    def says_what_was_done(c: _Scores) -> float:
        return c.significance + 0.5 * c.propose + c.ours

    # The conclusion's own opening first: a "discussion" may be a mid-paper analysis section.
    significance = p.pick(
        lambda: _first_of(p, ("conclusion",), says_what_was_done),
        lambda: _first_of(p, ("discussion",), says_what_was_done),
        # No conclusion section: what the paper says of its own work, not the field's background,
        # even if another field already quotes it.
        lambda: p.best({"front": 1.0, "introduction": 0.6}, _of_own_work, minimum=2.0),
        # Its best fresh sentence about its own work, anywhere, rather than one another field quotes.
        lambda: p.best({"*": 1.0}, lambda s, c: _of_own_work(s, c) if c.ours else 0.0, minimum=0.5, others=0.0),
        lambda: p.best({"*": 1.0}, lambda s, c: 1.0 if c.ours else 0.0, others=0.0),
    )
    innovation = p.pick(
        # The paper's own novelty claim; never someone else's idea ("an HMM initially proposed by Poliner et al.").
        lambda: p.best({"conclusion": 1.2, "front": 1.1, "introduction": 1.0, "discussion": 0.9, "method": 0.5},
                       lambda s, c: _novelty(s, c) if c.innovation >= 1.5 and c.ours else 0.0, minimum=2.0,
                       others=0.0),
        lambda: p.best({"front": 1.0, "introduction": 1.0, "conclusion": 1.0, "method": 0.8},
                       lambda s, c: _novelty(s, c) + 0.5 * c.propose if c.ours and c.innovation >= 1.0 else 0.0,
                       minimum=2.0, others=0.0),
        lambda: p.best({"front": 1.0, "introduction": 1.0, "conclusion": 1.0, "method": 0.8},
                       lambda s, c: _novelty(s, c) + 0.5 * c.propose if c.ours and c.innovation > 0 else 0.0,
                       minimum=0.5, others=0.0),
        lambda: p.best({"*": 1.0}, _novelty, others=0.0),
        lambda: p.first(p.by_role("method")),
    )
    performance = p.pick(
        lambda: p.best({"conclusion": 1.3, "discussion": 1.1, "front": 1.0, "experiments": 0.9, "*": 0.3},
                       lambda s, c: _own_result(c) if c.numbers >= 1 else _own_result(c) * 0.5, minimum=2.0),
        lambda: p.best({"*": 1.0}, lambda s, c: _own_result(c)),
    )
    workload = p.pick(
        # The experimental effort the authors report, in their own summary parts first.
        lambda: p.best({"front": 1.2, "conclusion": 1.1, "introduction": 1.0, "experiments": 0.9, "discussion": 0.9,
                        "*": 0.3}, lambda s, c: _effort(c), minimum=2.0, others=0.0),
        lambda: p.first(s for s in p.by_role("experiments") if not foreign(s.text) and not is_limitation(s.text)),
        lambda: p.best({"*": 1.0}, lambda s, c: _effort(c)),
    )
    return ConclusionStage(
        significance=_point(significance),
        innovation=_point(innovation),
        performance=_point(performance),
        workload=_point(workload),
    )


# "It is an open question whether ...": a question for others, not this paper's claim.
_OPEN = re.compile(r"\bopen (?:question|problem)\b|\bwhether\b|\bfuture work\b")
# "Our work has three main contributions.": announces the claims without making one.
_ANNOUNCES = re.compile(r"\bcontributions?\s*(?:are|is|include)?\s*[.:]$|\bas follows\b", re.I)


# What the work cannot do yet: a limitation or future work, never its workload.
_LIMITATION = re.compile(
    r"\b(?:not (?:yet )?able to|unable to|cannot|can ?not|can't|limitations?|drawbacks?|shortcomings?|"
    r"future work|in the future|fails? to|does not (?:work|scale|support|handle|generali[sz]e)|"
    r"is not (?:yet )?(?:possible|feasible|supported)|we (?:will|plan to|intend to|hope to))\b|"
    r"无法|不能|局限|不足之处|未来|今后|将来|下一步|尚未|有待", re.I)


def is_limitation(text: str) -> bool:
    """ "Third, currently, our method is not able to work in real-time": what the work does not do."""
    return bool(_LIMITATION.search(text))


def _effort(c: _Scores) -> float:
    """The experimental effort the authors report: their own, and not a limitation."""
    return 0.0 if is_limitation(c.text) else c.workload * _own_factor(c)


def _own_factor(c: _Scores) -> float:
    """1 for the authors' own words; less for a sentence that reports cited work."""
    if c.ours:
        return 1.0
    return 0.25 if _CITED.search(c.text) else 0.6


def _novelty(s: Sentence, c: _Scores) -> float:
    value = (c.innovation + 0.5 * c.propose) * _own_factor(c)
    if _CITED.search(s.text):
        value *= 0.6  # a claim leaning on a citation is usually about the cited work
    if _ANNOUNCES.search(s.text) or _OPEN.search(c.lower):
        value *= 0.3
    return value


def _of_own_work(s: Sentence, c: _Scores) -> float:
    return (c.significance + 0.5 * c.propose) * (1.0 if c.ours else 0.3)


def _first_of(p: _Picker, roles: tuple[str, ...], value: Callable[[_Scores], float]) -> Sentence | None:
    """Among the first sentences of the closing section, the one that best says what was done."""
    candidates = [s for s in p.by_role(*roles) if not p.is_duplicate(s)][:5]
    if not candidates:
        return None
    return max(candidates, key=lambda s: (3.0 - 0.6 * candidates.index(s) + value(p.scores[s.index])) * s.quality)


TAKEAWAYS = (5, 8)


def _takeaways(p: _Picker, summary: SummaryStage, methods: MethodsStage) -> list[Point]:
    """5-8 distinct sentences from different parts: contribution, method, results, problem, conclusion."""
    chosen: list[Sentence] = []

    def add(s: Sentence | None) -> None:
        if s is not None and len(chosen) < TAKEAWAYS[1]:
            chosen.append(p.take(s))  # type: ignore[arg-type]

    def best(weights: dict[str, float], key: Callable[[Sentence, _Scores], float], *, minimum: float) -> Sentence | None:
        # About this paper, not the ones it cites; and never a roadmap ("in the next sections ...").
        return p.best(weights, key, others=0.0, min_quality=0.3, standalone=True, minimum=minimum)

    add(best({"front": 1.2, "introduction": 1.0, "conclusion": 0.8}, lambda s, c: c.propose, minimum=1.5))
    add(best({"method": 1.0}, lambda s, c: c.propose + c.method, minimum=1.0))
    for _ in range(2):
        add(best({"front": 1.2, "experiments": 1.0, "conclusion": 1.0, "discussion": 0.9},
                 lambda s, c: _own_result(c) if c.numbers >= 1 else _own_result(c) * 0.5, minimum=3.0))
    add(best({"front": 1.2, "introduction": 1.0}, lambda s, c: c.past, minimum=2.0))
    add(best({"conclusion": 1.0, "discussion": 0.8}, lambda s, c: c.significance + c.innovation, minimum=1.0))
    for s in p.by_role("front"):  # the abstract's remaining sentences, most salient first
        if len(chosen) >= 7:
            break
        if not p.is_duplicate(s) and not foreign(s.text) and (
                _salience(p.scores[s.index]) >= 0.5 or len(s.text.split()) >= 15):
            add(s)
    while len(chosen) < 6:
        extra = best({"front": 1.2, "introduction": 1.0, "conclusion": 1.0, "*": 0.6}, lambda s, c: _salience(c) + 0.1,
                 minimum=0.0 if len(chosen) < TAKEAWAYS[0] else 1.5)
        if extra is None:
            break
        add(extra)
    chosen.sort(key=lambda s: s.index)
    points = [_point(s) for s in chosen]
    if len(points) < TAKEAWAYS[0]:  # a short paper: fewer takeaways, never a sentence another field quotes
        spare = [s for s in p.quotable if not p.is_duplicate(s)]
        for s in spare[: TAKEAWAYS[0] - len(points)]:
            points.append(_point(p.take(s)))  # type: ignore[arg-type]
    return points or [_point(p.pick())]


def _own_result(c: _Scores) -> float:
    """A result cue of this paper's own work; none for a cited work's ("AdVerb [16] ... outperforming ...")."""
    if about_others(c.text) or _THIRD_PERSON.match(c.text):
        return 0.0
    if c.ours:
        return c.result
    if _CITED.search(c.text) or c.past >= 1.5:  # "Previous work on pruning reduces the cost ...": not ours
        return 0.0
    return c.result * 0.75


def _salience(c: _Scores) -> float:
    return max(c.propose, c.result, c.past * 0.8, c.significance * 0.8, c.innovation * 0.6)


# --------------------------------------------------------------------------- keywords

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
    body_cased = " ".join(s.text for s in sentences if s.quality > 0 and s.role not in _BACK_MATTER) or abstract
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
    runs = [run for run in re.findall(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]+", title)]
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


# --------------------------------------------------------------------------- language

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def paper_language(paper: Paper) -> str:
    """The paper's own language: as the reader found it, else by script (Chinese, Japanese, Korean) or English."""
    if paper.language and paper.language != "en":
        return paper.language
    sample = " ".join(paper.page_texts[:2])[:20000] or paper.abstract or paper.title
    letters = sum(ch.isalpha() for ch in sample) or 1
    cjk = _CJK.findall(sample)
    if len(cjk) / letters < 0.2:
        return "en"
    kana = sum(1 for ch in cjk if "\u3040" <= ch <= "\u30ff")
    hangul = sum(1 for ch in cjk if "\uac00" <= ch <= "\ud7af")
    return "ja" if kana > len(cjk) * 0.1 else "ko" if hangul > len(cjk) * 0.5 else "zh"
