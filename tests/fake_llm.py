"""ScriptedProvider: a provider that answers from a script, for tests, benchmarks and the app's e2e tests.

A test double, so it lives beside the tests and is not installed with the package.

Give it a queue of replies (strings, `LLMResponse`s or exceptions to raise), per stage if you like,
or a function of the request. It records every request in `.history` and counts how many calls
were in flight at once (`.max_in_flight`), so tests can prove concurrency without timing anything.
Registered nowhere by default: tests construct it directly.
"""
from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from chatpaper.errors import ProviderError
from chatpaper.llm.base import LLMRequest, LLMResponse, Provider

if TYPE_CHECKING:
    from chatpaper.models import Paper

Reply = str | LLMResponse | BaseException
ReplyFunction = Callable[[LLMRequest], Reply]

# The stage a request belongs to, from the schema it asks for (no import of the chain needed).
_STAGE_OF_SCHEMA = {"MetadataStage": "metadata", "SummaryStage": "summary", "MethodsStage": "methods",
                    "ConclusionStage": "conclusion"}


def stage_of(request: LLMRequest) -> str | None:
    """'metadata', 'summary', 'methods' or 'conclusion' for a chain request, else None."""
    if request.schema_model is not None:  # a field retry's schema is the stage's, cut: "SummaryStageFields"
        return _STAGE_OF_SCHEMA.get(request.schema_model.__name__.removesuffix("Fields"))
    m = re.search(r"\(stage: (\w+)\)|（阶段：(\w+)）", request.prompt)
    return (m.group(1) or m.group(2)) if m else None


class ScriptedProvider(Provider):
    """Replies from a script. `replies` is a list (one queue), a {stage: list} mapping, or a function."""

    name: ClassVar[str] = "scripted"
    default_model: ClassVar[str | None] = "scripted-1"
    can_stream: ClassVar[bool] = True

    def __init__(
        self,
        replies: Iterable[Reply] | Mapping[str, Iterable[Reply]] | ReplyFunction | None = None,
        *,
        latency: float = 0.0,
        chunk_chars: int = 12,
        chunk_delay: float = 0.0,
        model: str | None = None,
        context_window: int = 32_000,
        options: dict[str, Any] | None = None,
    ):
        super().__init__(model=model, options=options)
        self.latency = latency
        # stream(): the reply in pieces of chunk_chars, chunk_delay apart, after the first `latency`
        self.chunk_chars = max(1, chunk_chars)
        self.chunk_delay = chunk_delay
        self.context_window = context_window
        self.history: list[LLMRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._function: ReplyFunction | None = None
        self._queue: deque[Reply] = deque()
        self._stage_queues: dict[str, deque[Reply]] = {}
        if callable(replies):
            self._function = replies
        elif isinstance(replies, Mapping):
            self._stage_queues = {stage: deque(items) for stage, items in replies.items()}
        elif replies is not None:
            self._queue.extend(replies)

    def enqueue(self, reply: Reply, *, stage: str | None = None) -> None:
        """Add one reply: to the shared queue, or to one stage's queue."""
        with self._lock:
            (self._stage_queues.setdefault(stage, deque()) if stage else self._queue).append(reply)

    @property
    def calls(self) -> int:
        return len(self.history)

    def requests_for(self, stage: str) -> list[LLMRequest]:
        return [r for r in self.history if stage_of(r) == stage]

    def _next_reply(self, request: LLMRequest) -> Reply:
        if self._function is not None:
            return self._function(request)
        with self._lock:
            stage = stage_of(request)
            queue = self._stage_queues.get(stage or "")
            if queue:
                return queue.popleft()
            if self._queue:
                return self._queue.popleft()
        raise ProviderError(f"The scripted provider has no reply left for the {stage or 'next'} request; "
                            "enqueue one more.")

    def generate(self, request: LLMRequest) -> LLMResponse:
        with self._lock:
            self.history.append(request)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.latency:
                time.sleep(self.latency)
            reply = self._next_reply(request)
            if isinstance(reply, BaseException):
                raise reply
            if isinstance(reply, LLMResponse):
                return reply
            return LLMResponse(text=reply, model=self.model, input_tokens=0, output_tokens=0)
        finally:
            with self._lock:
                self.in_flight -= 1

    def stream(self, request: LLMRequest) -> Iterator[str]:
        """The scripted reply in pieces: the first after `latency` (time to first token), then every chunk_delay."""
        text = self.generate(request).text
        for at in range(0, len(text), self.chunk_chars):
            if at and self.chunk_delay:
                time.sleep(self.chunk_delay)
            yield text[at:at + self.chunk_chars]


# --------------------------------------------------------------------------- canned, valid replies

_CANNED = {
    "en": {
        "metadata": {"title_translation": "{title}", "keywords": ["adaptive learning rate", "gradient descent",
                                                                  "optimisation"]},
        "summary": {
            "one_line": "The paper proposes a method and evaluates it on standard benchmarks.",
            "key_takeaways": ["The problem matters for many applications.", "Earlier methods need manual tuning.",
                              "The method adapts itself during training.", "It is simple to implement.",
                              "Experiments support the claims."],
            "background": "The paper studies a widely used learning problem.",
            "past_methods": "Earlier methods depend on hand-tuned settings, which is costly.",
            "proposed_method": "The paper proposes a per-dimension adaptive method.",
            "performance": "The method performs well on the tasks the paper reports.",
        },
        "methods": {"steps": ["The method keeps a running average of recent quantities.",
                              "It scales each update by the ratio of two running averages.",
                              "It applies the scaled update to the parameters."]},
        "conclusion": {"significance": "The work removes a tuning step from training.",
                       "innovation": "The innovation is a simple adaptive rule; it is modest but useful.",
                       "performance": "Performance is competitive in the reported experiments.",
                       "workload": "The workload is moderate: a few experiments on public data."},
    },
    "zh": {
        "metadata": {"title_translation": "{title}（本文标题的中文译名）", "keywords": ["自适应学习率", "梯度下降", "优化"]},
        "summary": {
            "one_line": "本文提出了一种方法，并在标准基准上进行了评估。",
            "key_takeaways": ["该问题对许多应用都很重要。", "以往的方法需要手动调参。", "该方法在训练中自动调整。",
                              "该方法实现简单。", "实验结果支持了论文的主张。"],
            "background": "本文研究一个被广泛使用的学习问题。",
            "past_methods": "以往的方法依赖手动设定的参数，代价较高。",
            "proposed_method": "本文提出了一种按维度自适应的方法。",
            "performance": "该方法在论文报告的任务上表现良好。",
        },
        "methods": {"steps": ["该方法维护近期数值的滑动平均。", "它用两个滑动平均的比值缩放每次更新。",
                              "它把缩放后的更新应用到参数上。"]},
        "conclusion": {"significance": "这项工作省去了训练中的调参步骤。",
                       "innovation": "创新点是一个简单的自适应规则，虽然改动不大但很实用。",
                       "performance": "在论文报告的实验中性能具有竞争力。",
                       "workload": "工作量适中：在公开数据上做了若干实验。"},
    },
}


def valid_reply(stage: str, *, lang: str = "en", title: str = "Untitled", page: int = 1,
                quote: tuple[int, str] | None = None) -> str:
    """A schema-valid JSON reply for `stage` in English or Chinese, citing `page` for every point.

    `quote` (page, sentence) is given as every point's evidence, as a model that quotes the paper would."""
    data = json.loads(json.dumps(_CANNED["zh" if lang.lower().startswith("zh") else "en"][stage]))
    if stage == "metadata":
        data["title_translation"] = data["title_translation"].format(title=title)
        return json.dumps(data, ensure_ascii=False)

    def point(text: str) -> dict:
        if quote is None:
            return {"text": text, "pages": [page]}
        return {"text": text, "pages": sorted({page, quote[0]}), "evidence": [{"page": quote[0], "quote": quote[1]}]}

    out = {k: [point(t) for t in v] if isinstance(v, list) else point(v) for k, v in data.items()}
    return json.dumps(out, ensure_ascii=False)


def canned_reply(request: LLMRequest, *, lang: str = "en", title: str = "", page: int = 1) -> str:
    """A schema-valid reply to a chain request; the title comes from the paper in the prompt."""
    if not title:
        m = re.search(r"^Title: (.+)$", request.prompt, re.M)
        title = m.group(1).strip() if m else "Untitled"
    return valid_reply(stage_of(request) or "metadata", lang=lang, title=title, page=page,
                       quote=first_sentence(request.prompt))


_PAGE_MARK = re.compile(r"\[p\. (\d+)\]")


def first_sentence(prompt: str) -> tuple[int, str] | None:
    """(page, text) of the first prose sentence after a [p. N] mark in a chain prompt: a quote the paper has."""
    marks = list(_PAGE_MARK.finditer(prompt))
    for k, mark in enumerate(marks):
        line_start = prompt.rfind("\n", 0, mark.start()) + 1
        if prompt[line_start:mark.start()].strip().lower().startswith("abstract"):
            continue  # the abstract may come from arXiv, not from the page
        end = marks[k + 1].start() if k + 1 < len(marks) else prompt.find("</paper>", mark.end())
        for sentence in re.split(r"(?<=[.!?。！？])\s+", prompt[mark.end():end if end != -1 else None]):
            words = sentence.split()
            if len(words) >= 6 or (len(sentence.strip()) >= 15 and re.search(r"[\u4e00-\u9fff]", sentence)):
                return int(mark.group(1)), " ".join(words[:40])
    return None


def canned_provider(lang: str = "en", *, latency: float = 0.0, **kwargs: Any) -> ScriptedProvider:
    """A ScriptedProvider that answers every chain stage with a valid reply in `lang` (for app/e2e tests)."""
    return ScriptedProvider(lambda request: canned_reply(request, lang=lang), latency=latency, **kwargs)


# --------------------------------------------------------------------------- a small paper to digest


def sample_paper(*, pages: int = 6, with_metadata: bool = False) -> Paper:
    """A small hand-made Paper (ADADELTA-like) for tests of the chain, the renderers and the app."""
    from chatpaper.models import ArxivMetadata, Figure, Paper, Section, SourceInfo

    intro = ("The aim of many machine learning methods is to update a set of parameters in order to optimize "
             "an objective function. Setting the learning rate by hand is tedious and error prone.")
    related = "Many methods adapt the learning rate, such as ADAGRAD, which accumulates squared gradients."
    method = ("We present a new method that adapts the learning rate per dimension using only first order "
              "information.\nThe method has minimal computational overhead beyond vanilla stochastic gradient "
              "descent.")
    idea1 = ("Instead of accumulating the sum of squared gradients over all time, we restrict the window of past "
             "gradients that are accumulated to be some fixed size w.")
    idea2 = "We correct the units of the update with a Hessian approximation, the ratio of two RMS quantities."
    experiments = ("We evaluate our method on the task of digit classification on the MNIST dataset. The test set "
                   "error was 2.00% after 6 epochs with a learning rate of 0.01, and 1.83% with ADADELTA.")
    conclusion = ("In this tech report we introduced a new learning rate method based on only first order "
                  "information which shows promising results on MNIST and a large scale speech recognition dataset.")
    page_texts = [
        "ADADELTA: An Adaptive Learning Rate Method Matthew D. Zeiler " + intro,
        related + " " + method.replace("\n", " "),
        idea1 + " " + idea2,
        experiments,
        conclusion,
        "References [1] J. Duchi, E. Hazan, and Y. Singer.",
    ][:pages] + [""] * max(0, pages - 6)
    source = SourceInfo(kind="arxiv", arxiv_id="1212.5701", version=1, sha256="0" * 64) if with_metadata else \
        SourceInfo(kind="pdf", sha256="ab" * 32, filename="adadelta.pdf")
    metadata = ArxivMetadata(arxiv_id="1212.5701", version=1, title="ADADELTA: An Adaptive Learning Rate Method",
                             authors=["Matthew D. Zeiler"], abstract="We present a novel per-dimension learning "
                             "rate method for gradient descent called ADADELTA.",
                             abs_url="http://arxiv.org/abs/1212.5701v1",
                             pdf_url="http://arxiv.org/pdf/1212.5701v1") if with_metadata else None
    return Paper(
        source=source,
        title="ADADELTA: An Adaptive Learning Rate Method",
        authors=["Matthew D. Zeiler"],
        affiliations=["Google Inc., USA", "New York University, USA"],
        abstract="We present a novel per-dimension learning rate method for gradient descent called ADADELTA.",
        pages=pages,
        sections=[
            Section(title="Introduction", number="1", level=1, page=1, role="introduction", text=intro),
            Section(title="Related Work", number="2", level=1, page=2, role="related_work", text=related),
            Section(title="ADADELTA Method", number="3", level=1, page=2, role="method", text=method),
            Section(title="Idea 1: Accumulate Over Window", number="3.1", level=2, page=3, role="method", text=idea1),
            Section(title="Idea 2: Correct Units with Hessian Approximation", number="3.2", level=2, page=3,
                    role="method", text=idea2),
            Section(title="Experiments", number="4", level=1, page=4, role="experiments", text=experiments),
            Section(title="Conclusion", number="5", level=1, page=min(5, pages), role="conclusion", text=conclusion),
            Section(title="References", level=1, page=min(6, pages), role="references", text="[1] J. Duchi."),
        ],
        figures=[
            Figure(label="Figure 1", page=4, caption="Fig. 1. Comparison of learning rate methods on MNIST.",
                   bbox=(50, 72, 300, 250), image="figures/p4-figure-1.png"),
            Figure(label="Figure 2", page=3, caption="Fig. 2. Overview of the ADADELTA update.",
                   bbox=(50, 72, 300, 250), image="figures/p3-figure-2.png"),
        ],
        code_urls=[],
        metadata=metadata,
        page_texts=page_texts,
    )
