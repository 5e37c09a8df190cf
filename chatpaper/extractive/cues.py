"""What a sentence says, by its words: weighted cue phrases and the few classifiers built on them.

Each cue family (PROPOSE, PAST, RESULT ...) is a tuple of regexes with weights, matched against the
lower-cased sentence; `Scores` computes a sentence's score for each family on first use. The other
tests say whose work a sentence reports (`about_others`, `foreign`) and what it is not (a limitation).
Chinese cues sit beside the English ones in each family.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property


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
CITED = re.compile(r"\[[A-Z][A-Za-z]+\d\d|\[\d+(?:[,–\-]\s*\d+)*\]|\([A-Z][A-Za-z\-]+(?: et al\.)?,? (?:19|20)\d\d[a-z]?[;)]")
WE = re.compile(r"\b(?:we|our)\b", re.I)
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


OURS = re.compile(rf"\b(?:we|our|us)\b|\bth(?:is|e present) (?:tech )?{_PAPER}\b|本文|我们|笔者|本研究|本方法")


class Scores:
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
        return bool(OURS.search(self.lower)) or any(name in self.text for name in self.names)


def method_names(title: str) -> tuple[str, ...]:
    """The name the paper gives its method: "DiffCalib" in "DiffCalib: Reformulating ...", acronyms."""
    names = []
    head, colon, _ = title.partition(":")
    if colon and 0 < len(head.split()) <= 3:
        names.append(head.strip())
    mixed = title.upper() != title
    names += [w for w in re.findall(r"[A-Za-z][\w\-]+", title) if mixed and sum(ch.isupper() for ch in w) >= 2]
    return tuple(dict.fromkeys(n for n in names if len(n) >= 3))


# What a survey itself does: reviews, a challenge or data set it presents, what it evaluates or compares.
OWN_WORK = _cues(
    (r"\bwe (?:review|survey|present|introduce|propose|describe|discuss|evaluate|compare|analy[sz]e|release|"
     r"organi[sz]e|run|launch|collect|design|report|summari[sz]e|identify|outline|provide|conclude)\b", 3.0),
    (rf"\b(?:in )?th(?:is|e present) (?:survey|review|challenge|{_PAPER[3:-1]})\b|\bour (?:challenge|dataset|"
     r"data|survey|review|evaluation|analysis|results)\b", 2.0),
    (r"\bchallenge\b|\bdatasets?\b|\bbenchmarks?\b|\bbaselines?\b", 1.0),
)
# A sentence about someone else's system in the third person: "They train a classifier ...", "Their method ...".
THIRD_PERSON = re.compile(r"^(?:They|Their|Them|These authors|The authors|Its authors|His|Her|He|She)\b")


def foreign(text: str) -> bool:
    """Another work's method: credited to it, led by its citation, in the third person, or cited and not "we"."""
    return (about_others(text) or bool(THIRD_PERSON.match(text))
            or (bool(CITED.search(text)) and not OURS.search(text.lower())))


# A step should not open on a sentence that leans on the one before it.
REFERS_BACK = re.compile(
    r"^(?:That is|Thus|Hence|Therefore|Then|Also|Here|In other words|Note that|Similarly|Above|As before|"
    r"As (?:noted|mentioned|discussed|shown|described|seen) (?:above|earlier|before|previously))\b")


# "It is an open question whether ...": a question for others, not this paper's claim.
OPEN_QUESTION = re.compile(r"\bopen (?:question|problem)\b|\bwhether\b|\bfuture work\b")
# "Our work has three main contributions.": announces the claims without making one.
ANNOUNCES = re.compile(r"\bcontributions?\s*(?:are|is|include)?\s*[.:]$|\bas follows\b", re.I)


# What the work cannot do yet: a limitation or future work, never its workload.
_LIMITATION = re.compile(
    r"\b(?:not (?:yet )?able to|unable to|cannot|can ?not|can't|limitations?|drawbacks?|shortcomings?|"
    r"future work|in the future|fails? to|does not (?:work|scale|support|handle|generali[sz]e)|"
    r"is not (?:yet )?(?:possible|feasible|supported)|we (?:will|plan to|intend to|hope to))\b|"
    r"无法|不能|局限|不足之处|未来|今后|将来|下一步|尚未|有待", re.I)


def is_limitation(text: str) -> bool:
    """ "Third, currently, our method is not able to work in real-time": what the work does not do."""
    return bool(_LIMITATION.search(text))
