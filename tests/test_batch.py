"""The daily digest (issue 5): rate-limit pacing on a fake clock, the post, the batch run."""
from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import arxiv as arxiv_lib
import pytest
import responses
import yaml
from conftest import corpus_pdf
from fake_llm import ScriptedProvider, canned_reply, stage_of

from chatpaper.batch import DigestRequest, PaperProgress, iter_run, run_digest, zip_post
from chatpaper.errors import ProviderError
from chatpaper.extractive import ExtractiveRunner
from chatpaper.llm.base import LLMRequest, LLMResponse, Provider
from chatpaper.llm.paced import RateLimitedProvider, rate_limited
from chatpaper.models import (
    ConclusionStage,
    Digest,
    DigestFigure,
    Header,
    MetadataStage,
    MethodsStage,
    Point,
    Provenance,
    SourceInfo,
    StageRecord,
    SummaryStage,
)
from chatpaper.pacing import RateLimiter
from chatpaper.render.post import (
    PostFailure,
    PostFigure,
    PostMeta,
    PostPaper,
    failures_block,
    figures_block,
    render_post,
    yaml_scalar,
)
from chatpaper.settings import Settings


class FakeClock:
    """A monotonic clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


def max_in_window(times: list[float], window: float = 60.0) -> int:
    times = sorted(times)
    return max((sum(1 for u in times if t <= u < t + window) for t in times), default=0)


def test_requests_are_spaced_by_sixty_over_rpm():
    clock = FakeClock()
    limiter = RateLimiter(30, clock=clock, sleep=clock.sleep)
    slots = [limiter.acquire() for _ in range(5)]
    assert slots == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert clock.sleeps == [2.0, 2.0, 2.0, 2.0]


def test_no_wait_when_calls_are_already_slower_than_the_limit():
    clock = FakeClock()
    limiter = RateLimiter(60, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        limiter.acquire()
        clock.now += 5.0  # the LLM call itself took 5 s
    assert clock.sleeps == []


def test_many_threads_never_exceed_the_limit_in_any_minute():
    clock = FakeClock()  # every sleeping thread moves the shared clock: wake-ups come late and bunched
    limiter = RateLimiter(12, clock=clock, sleep=clock.sleep)
    threads = [threading.Thread(target=lambda: [limiter.acquire() for _ in range(6)]) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts = sorted(limiter.granted)
    assert len(starts) == 48
    assert min(b - a for a, b in pairwise(starts)) >= 5.0  # 60 s / 12
    assert max_in_window(starts) <= 12


@pytest.mark.parametrize("kwargs", [{}, {"requests_per_minute": 0}, {"interval": -1.0},
                                    {"requests_per_minute": 30, "interval": 2.0}])
def test_a_limiter_needs_exactly_one_positive_pace(kwargs):
    with pytest.raises(ValueError):
        RateLimiter(**kwargs)


def test_a_late_waker_does_not_let_the_next_caller_in_early():
    clock = FakeClock()
    late = 0.7

    def oversleep(seconds: float) -> None:  # the OS wakes this thread 0.7 s late
        clock.sleep(seconds + late)

    limiter = RateLimiter(60, clock=clock, sleep=oversleep)
    starts = [limiter.acquire() for _ in range(4)]
    assert starts == pytest.approx([0.0, 1.7, 3.4, 5.1])  # spaced from the real start, never below 1 s


def test_bad_rate_is_refused():
    with pytest.raises(ValueError):
        RateLimiter(0)


class Echo(Provider):
    name = "echo"
    default_model = "echo-1"

    def __init__(self, clock: FakeClock):
        super().__init__()
        self.clock = clock
        self.calls: list[float] = []

    def generate(self, request: LLMRequest) -> LLMResponse:
        self.calls.append(self.clock())
        return LLMResponse(text=request.prompt)


def test_wrapped_provider_takes_a_slot_per_call_and_keeps_its_identity():
    clock = FakeClock()
    inner = Echo(clock)
    paced = rate_limited(inner, RateLimiter(20, clock=clock, sleep=clock.sleep))
    assert isinstance(paced, RateLimitedProvider)
    assert (paced.name, paced.model) == ("echo", "echo-1")
    for i in range(4):
        assert paced.generate(LLMRequest(prompt=f"p{i}")).text == f"p{i}"
    assert inner.calls == [0.0, 3.0, 6.0, 9.0]
    assert "key" not in repr(paced).lower()


def test_the_offline_runner_and_unlimited_providers_are_not_wrapped():
    clock = FakeClock()
    offline = ExtractiveRunner()  # it sends no request, so it takes no slot
    assert rate_limited(offline, RateLimiter(10, clock=clock, sleep=clock.sleep)) is offline
    echo = Echo(clock)
    assert rate_limited(echo, None) is echo


# --------------------------------------------------------------------------- the post, from digests built by hand


SEED_POST = Path(__file__).resolve().parents[2] / "shared" / "seed" / "sample-digest-post.repaired.md"
# The seed post's front-matter keys, in its order.
SEED_KEYS = [
    "title", "date", "author", "cover", "categories", "tags", "description", "keywords", "toc", "toc_number",
    "toc_style_simple", "copyright", "copyright_author", "copyright_author_href", "copyright_url",
    "copyright_info", "mathjax", "katex", "aplayer", "highlight_shrink", "aside",
]


def split_front_matter(post: str) -> tuple[dict, list[str], str]:
    match = re.match(r"---\n(.*?)\n---\n", post, re.S)
    assert match, "the post starts with a --- front matter block"
    keys = [line.split(":", 1)[0] for line in match.group(1).splitlines() if re.match(r"\w+:", line)]
    return yaml.safe_load(match.group(1)), keys, post[match.end():]


def point(text: str, page: int = 1) -> Point:
    return Point(text=text, pages=[page])


def hand_digest(n: int, *, authors: list[str] | None = None, figures: int = 4) -> Digest:
    return Digest(
        source=SourceInfo(kind="arxiv", arxiv_id=f"2405.1000{n}", version=1),
        lang="en",
        header=Header(
            title=f"Paper {n}: a study of things",
            authors=["Ada Lovelace", "Alan Turing"] if authors is None else authors,
            affiliation="Analytical Engine Society",
            arxiv_url=f"https://arxiv.org/abs/2405.1000{n}v1",
            pdf_url=f"https://arxiv.org/pdf/2405.1000{n}v1",
            abstract=f"Abstract of paper {n}.\nIt has two lines.",
            comment="12 pages, 4 figures",
        ),
        metadata=MetadataStage(title_translation=f"Paper {n}", keywords=["things", "study", "paper"]),
        summary=SummaryStage(
            one_line=point(f"Paper {n} studies things."),
            key_takeaways=[point(f"Takeaway {i} of paper {n}.") for i in range(1, 6)],
            background=point("Things matter."),
            past_methods=point("Earlier work ignored things."),
            proposed_method=point("We count things."),
            performance=point("Counting is 3% better."),
        ),
        methods=MethodsStage(steps=[point("Step one."), point("Step two.", 2)]),
        conclusion=ConclusionStage(
            significance=point("Significant."), innovation=point("New."),
            performance=point("Better."), workload=point("Moderate."),
        ),
        figures=[DigestFigure(label=f"Figure {i}", page=i, caption=f"Figure {i}: part {i}.",
                              image=f"figures/p{i}-figure-{i}.png") for i in range(1, figures + 1)],
        provenance=Provenance(provider="scripted", model="fake-1", prompt_version="test"),
    )


def hand_post_paper(n: int, **kwargs) -> PostPaper:
    digest = hand_digest(n, **kwargs)
    return PostPaper(digest=digest, figures=[
        PostFigure(src=f"images/p{n}/{f.image}", label=f.label, caption=f.caption) for f in digest.figures
    ])


META = PostMeta(topic="Diffusion Models", date=datetime(2024, 5, 28, 1, 19, 8), author="Tester",
                lang="en", provider="gemini", model="gemini-2.5-flash", tags=["cs.CV"])


def test_front_matter_has_the_seed_keys_in_the_seed_order():
    post = render_post(META, [hand_post_paper(1), hand_post_paper(2)])
    fm, keys, _ = split_front_matter(post)
    assert keys == SEED_KEYS
    if SEED_POST.exists():  # keep SEED_KEYS honest against the seed itself
        _, seed_keys, _ = split_front_matter(SEED_POST.read_text(encoding="utf-8").lstrip())
        assert seed_keys == SEED_KEYS
    assert fm["title"] == "Diffusion Models"
    assert str(fm["date"]) == "2024-05-28 01:19:08"
    assert fm["author"] == "Tester"
    assert fm["cover"] == "images/p1/figures/p1-figure-1.png"
    assert fm["mathjax"] is True
    assert fm["tags"] == ["Diffusion Models", "cs.CV"]
    assert fm["keywords"] == "Diffusion Models"
    assert fm["description"] == "Paper 1: a study of things; Paper 2: a study of things"


def test_yaml_scalars_survive_colons_quotes_and_lookalikes():
    for text in ["A: B", "#hashtag", '"quoted" title', "true", "2024", "- dash", "Plain title", "扩散模型"]:
        assert yaml.safe_load(f"k: {yaml_scalar(text)}")["k"] == text


def test_opening_names_the_provider_and_model_then_a_dated_heading():
    _, _, body = split_front_matter(render_post(META, [hand_post_paper(1)]))
    notice, heading = body.split("\n# ", 1)
    assert "gemini" in notice and "gemini-2.5-flash" in notice
    assert heading.startswith("Update on 2024-05-28")
    offline = render_post(META.model_copy(update={"provider": "offline", "model": None, "extractive": True}),
                          [hand_post_paper(1)])
    assert "extractive, no LLM" in offline
    assert "made by the offline provider" in split_front_matter(offline)[2].split("\n# ", 1)[0]
    zh = render_post(META.model_copy(update={"provider": "offline", "model": None, "extractive": True, "lang": "zh"}),
                     [hand_post_paper(1)])
    assert "以下内容由 offline 提供方生成" in zh


def test_each_paper_block_follows_the_seed_shape():
    post = render_post(META, [hand_post_paper(1), hand_post_paper(2, figures=7)])
    blocks = re.split(r"^## (?=Paper \d)", post, flags=re.M)[1:]
    assert len(blocks) == 2
    for n, block in enumerate(blocks, 1):
        assert block.startswith(f"Paper {n}: a study of things\n")
        assert "**Authors:** Ada Lovelace, Alan Turing\n" in block
        assert f"Abstract of paper {n}. It has two lines." in block
        assert (f"[PDF](https://arxiv.org/pdf/2405.1000{n}v1) · [arXiv abstract](https://arxiv.org/abs/2405.1000{n}v1)"
                " 12 pages, 4 figures") in block
        summary = block.split("**Summary**\n\n", 1)[1]
        assert summary.startswith(f"Paper {n} studies things. [p. 1] ⚠\n")  # its scripted reply quotes nothing
        report = re.findall(r"^(\d+)\. (\w+)", block, re.M)  # the numbered report, Title ... Conclusion
        assert [int(i) for i, _ in report] == list(range(1, 9))
        assert report[0][1] == "Title" and report[-1][1] == "Conclusion"
        assert "    - (1): Significant. [p. 1]" in block
        bullets = re.findall(r"^- Takeaway", block.split("**Key Takeaways**", 1)[1], re.M)
        assert 5 <= len(bullets) <= 8
        details = block.split("<details>", 1)[1].split("</details>", 1)[0]
        images = re.findall(r'<img src="([^"]+)"', details)
        assert 3 <= len(images) <= 6
        assert all(src.startswith(f"images/p{n}/figures/") for src in images)
        assert "Figure 1: part 1." in details
    assert block.index("**Key Takeaways**") < block.index("<details>")


def test_authors_not_found_are_said_plainly_never_as_no_authors_listed():
    post = render_post(META, [hand_post_paper(1, authors=[])])
    assert "**Authors:** not found in the PDF" in post  # the same words as the report's "Authors:" item
    assert "no authors listed" not in post.lower()


def test_failures_are_listed_at_the_end_with_their_reason():
    failure = PostFailure(title="Broken paper", source="2405.99999v1",
                          reason="The download of 2405.99999v1 failed (HTTP 404); try again later.")
    post = render_post(META, [hand_post_paper(1)], [failure])
    tail = post.split("## Papers that could not be processed", 1)[1]
    assert "- **Broken paper** (2405.99999v1): The download of 2405.99999v1 failed (HTTP 404)" in tail
    assert "## Paper 1" in post.split("## Papers that could not be processed")[0]


def test_plain_markdown_engine_has_no_yaml_front_matter():
    post = render_post(META.model_copy(update={"blog": "markdown"}), [hand_post_paper(1)])
    assert not post.startswith("---")
    assert post.startswith("# Diffusion Models\n")
    assert "## Paper 1: a study of things" in post
    assert len(re.findall(r"^# ", post, re.M)) == 1  # one H1: the title; the date line is not a second


def test_bold_labels_stand_apart_from_their_text():
    block = render_post(META, [hand_post_paper(1)])
    assert "**Summary**\n\nPaper 1 studies things." in block
    assert "**Key Takeaways**\n\n- Takeaway 1" in block
    assert "**Authors:** Ada Lovelace, Alan Turing\n" in block  # only the label bold, a space after it


def test_a_chinese_post_has_chinese_labels_and_keeps_the_seed_lines():
    zh_paper = hand_post_paper(1)
    zh_paper.digest.lang = "zh"
    post = render_post(META.model_copy(update={"lang": "zh", "blog": "markdown"}), [zh_paper])
    for english in ("**Authors", "**Summary**", "**Key Takeaways**", "[PDF]", "Papers: ", "arXiv abstract"):
        assert english not in post, english
    assert "**作者：** Ada Lovelace" in post and "**总结**\n\n" in post and "**要点**\n\n" in post
    assert "[论文 PDF](https://arxiv.org/pdf/2405.10001v1) · [arXiv 摘要页](https://arxiv.org/abs/2405.10001v1)" in post
    assert "点此查看论文截图" in post  # the seed's own fixed line


def test_the_pdf_link_goes_to_the_pdf_and_the_abstract_page_has_its_own():
    post = render_post(META, [hand_post_paper(1)])
    assert "[PDF](https://arxiv.org/pdf/2405.10001v1)" in post
    assert "[arXiv abstract](https://arxiv.org/abs/2405.10001v1)" in post
    assert "[PDF](https://arxiv.org/abs/" not in post


def test_same_digests_render_the_same_bytes_whatever_the_run_timings():
    papers = [hand_post_paper(1), hand_post_paper(2)]
    rerun = [p.model_copy(deep=True) for p in papers]
    for paper in rerun:  # a cached re-run: other timings and statuses, another creation time
        paper.digest.provenance.created = datetime(2030, 1, 1)
        paper.digest.provenance.stages = [StageRecord(name="summary", status="cached", seconds=0.01)]
    assert render_post(META, papers) == render_post(META, rerun)


# --------------------------------------------------------------------------- the batch, end to end (arXiv mocked)


FEED = Path(__file__).parent / "fixtures" / "batch" / "diffusion-feed.xml"
# The feed's papers, newest first, with their corpus PDFs and authors as arXiv lists them.
FEED_PAPERS = [
    ("1212.5701", "ADADELTA: An Adaptive Learning Rate Method", ["Matthew D. Zeiler"]),
    ("1704.08729", "Calibration of a two-state pitch-wise HMM method for note segmentation in Automatic Music "
                   "Transcription systems", ["Dorian Cazau", "Yuancheng Wang", "Olivier Adam", "Qiao Wang",
                                             "Grégory Nuel"]),
    ("1608.03417", "Bird detection in audio: a survey and a challenge",
     ["Dan Stowell", "Mike Wood", "Yannis Stylianou", "Hervé Glotin"]),
    ("1503.02531", "Distilling the Knowledge in a Neural Network", ["Geoffrey Hinton", "Oriol Vinyals", "Jeff Dean"]),
]
NOW = datetime(2024, 5, 28, 6, 0, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(cache_dir=tmp_path / "cache", arxiv_delay_seconds=0, arxiv_retries=0)


@pytest.fixture
def arxiv_api():
    """arXiv at the transport: the search answers the feed fixture; PDFs are the corpus files."""
    pdfs = {arxiv_id: corpus_pdf(f"{arxiv_id}.pdf").read_bytes() for arxiv_id, _, _ in FEED_PAPERS}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.GET, re.compile(r"https://export\.arxiv\.org/api/query\?.*"),
                 body=FEED.read_bytes(), content_type="application/atom+xml")
        for arxiv_id, data in pdfs.items():
            mock.add(responses.GET, f"https://arxiv.org/pdf/{arxiv_id}v1", body=data,
                     content_type="application/pdf")
        yield mock


def arxiv_source(settings: Settings):
    from chatpaper.sources.arxiv import ArxivSource

    return ArxivSource(settings, client=arxiv_lib.Client(delay_seconds=0, num_retries=0), sleep=lambda s: None)


def provider_for_tests(
    fail_titles: tuple[str, ...] = (), fail_stage: tuple[str, str] | None = None
) -> ScriptedProvider:
    """Valid canned replies; ProviderError for papers whose title is in `fail_titles`, or for one
    (title, stage)."""

    def reply(request):
        if fail_stage and fail_stage[0] in request.prompt and stage_of(request) == fail_stage[1]:
            return ProviderError("The provider timed out on this stage; try again later.")
        if any(title in request.prompt for title in fail_titles):
            return ProviderError("The provider refused this paper (HTTP 400); shorten it or try another model.")
        return canned_reply(request, lang="en")

    return ScriptedProvider(reply, model="fake-1")


def request_for(tmp_path, **overrides) -> DigestRequest:
    values = dict(query="learning", days=1, max_results=20, lang="en", author="Tester", workers=2,
                  out=tmp_path / "posts")
    values.update(overrides)
    return DigestRequest(**values)


def run(tmp_path, settings, provider, **overrides):
    events: list[PaperProgress] = []
    result = run_digest(request_for(tmp_path, **overrides), settings=settings, provider=provider,
                        arxiv=arxiv_source(settings), on_progress=events.append, now=NOW)
    return result, events


def paper_blocks(post: str) -> dict[str, str]:
    body = post.split("## Papers that could not be processed")[0]
    blocks = re.split(r"^## ", body, flags=re.M)[1:]
    return {b.split("\n", 1)[0]: b for b in blocks}


def test_the_feed_becomes_one_post_in_the_seed_format(tmp_path, settings, arxiv_api):
    result, progress = run(tmp_path, settings, provider_for_tests())
    post = result.post_path.read_text(encoding="utf-8")
    assert result.post_path == tmp_path / "posts" / "2024-05-27-learning" / "index.md"
    assert post == result.markdown
    fm, keys, body = split_front_matter(post)
    assert keys == SEED_KEYS
    assert fm["title"] == "learning" and fm["mathjax"] is True and str(fm["date"]) == "2024-05-27 17:59:51"
    assert fm["description"] == "; ".join(title for _, title, _ in FEED_PAPERS)
    assert (result.post_dir / fm["cover"]).is_file()
    assert fm["cover"].startswith("images/1212.5701v1/")
    assert "scripted (fake-1)" in body.split("\n# ", 1)[0]
    assert "\n# Update on 2024-05-27\n" in body

    blocks = paper_blocks(body)
    assert list(blocks) == [title for _, title, _ in FEED_PAPERS]  # newest first, one block each
    for arxiv_id, title, authors in FEED_PAPERS:
        block = blocks[title]
        assert f"**Authors:** {', '.join(authors)}\n" in block
        assert f"[PDF](https://arxiv.org/pdf/{arxiv_id}v1) · [arXiv abstract](https://arxiv.org/abs/{arxiv_id}v1)" in block
        assert "**Summary**\n\nThe paper proposes a method" in block
        assert len(re.findall(r"^- ", block.split("**Key Takeaways**\n\n")[1].split("\n\n")[0], re.M)) in range(5, 9)
        images = re.findall(r'<img src="([^"]+)"', block)
        assert len(images) <= 6
        for src in images:
            assert src.startswith(f"images/{arxiv_id}v1/") and (result.post_dir / src).is_file()
    assert len(re.findall(r'<img src="', blocks[FEED_PAPERS[0][1]])) >= 3  # ADADELTA prints 4 figures
    assert "[arXiv abstract](https://arxiv.org/abs/1503.02531v1) NIPS 2014 Deep Learning Workshop" in post
    assert "could not be processed" not in post
    assert {e.total for e in progress} == {4}
    steps = [e.step for e in progress if e.job.index == 1]
    assert progress[0].step == "reading" and steps[0] == "reading" and steps[-1] == "done"
    assert set(steps[1:-1]) >= {"metadata", "summary", "methods", "conclusion"}


def test_a_failing_paper_is_listed_at_the_end_and_the_others_are_kept(tmp_path, settings, arxiv_api):
    arxiv_api.replace(responses.GET, "https://arxiv.org/pdf/1608.03417v1", status=404)
    provider = provider_for_tests(fail_titles=("Distilling the Knowledge",), fail_stage=("ADADELTA", "methods"))
    result, progress = run(tmp_path, settings, provider)
    post = result.markdown
    assert list(paper_blocks(post)) == [FEED_PAPERS[0][1], FEED_PAPERS[1][1]]
    adadelta = paper_blocks(post)[FEED_PAPERS[0][1]]
    assert "**Summary**\n\nThe paper proposes a method" in adadelta  # the stages that worked are kept
    assert "timed out on this stage" in adadelta  # the report says which part is missing
    failed = post.split("## Papers that could not be processed", 1)[1]
    assert re.search(r"^- \*\*ADADELTA.*\(1212\.5701v1\): only partly summarised \(methods failed\)", failed, re.M)
    bird = re.search(r"^- \*\*Bird detection in audio.*\*\* \(1608\.03417v1\): (.+)$", failed, re.M)
    distil = re.search(r"^- \*\*Distilling the Knowledge.*\*\* \(1503\.02531v1\): (.+)$", failed, re.M)
    assert bird and distil
    assert bird.group(1) == "arXiv has no PDF for 1608.03417v1 (HTTP 404); open https://arxiv.org/abs/1608.03417v1 to check."
    assert "refused this paper" in distil.group(1)
    assert [f.source for f in result.failures] == ["1212.5701v1", "1608.03417v1", "1503.02531v1"]
    assert "Traceback" not in post and not any("Traceback" in e.step for e in progress)


def test_rerun_is_idempotent_with_no_llm_calls(tmp_path, settings, arxiv_api):
    first, _ = run(tmp_path, settings, provider_for_tests(), max_results=2)
    again = provider_for_tests()
    second, _ = run(tmp_path, settings, again, max_results=2)
    assert again.calls == 0
    assert second.post_path == first.post_path
    assert second.post_path.read_bytes() == first.markdown.encode("utf-8")
    assert zip_post(second.post_dir).read_bytes() == zip_post(first.post_dir).read_bytes()


def test_a_stopped_run_resumes_from_the_cache(tmp_path, settings, arxiv_api):
    first = provider_for_tests()
    runs = iter_run(request_for(tmp_path, workers=1, max_results=3), settings=settings, provider=first,
                    arxiv=arxiv_source(settings), now=NOW)
    for snapshot in runs:
        if snapshot.done == 1:
            break
    runs.close()  # as Ctrl-C or a closed app tab would: papers not started are dropped
    assert "more papers in progress" in snapshot.post_path.read_text(encoding="utf-8")
    second = provider_for_tests()
    result, _ = run(tmp_path, settings, second, workers=1, max_results=3)
    assert not any("ADADELTA" in r.prompt for r in second.history)  # the finished paper cost nothing
    assert any(FEED_PAPERS[1][1][:40] in r.prompt for r in second.history)
    assert list(paper_blocks(result.markdown)) == [title for _, title, _ in FEED_PAPERS[:3]]
    assert "in progress" not in result.markdown


def test_the_rate_limit_holds_across_the_whole_batch(tmp_path, settings, arxiv_api):
    clock = FakeClock()
    limiter = RateLimiter(30, clock=clock, sleep=clock.sleep)
    provider = provider_for_tests()
    result = run_digest(request_for(tmp_path, workers=3, max_results=3), settings=settings, provider=provider,
                        arxiv=arxiv_source(settings), now=NOW, limiter=limiter)
    assert result.written == 3
    assert provider.calls == len(limiter.granted) > 3  # every LLM call took a slot first
    assert max_in_window(limiter.granted) <= 30
    gaps = [b - a for a, b in pairwise(sorted(limiter.granted))]
    assert min(gaps) == pytest.approx(2.0)


def test_papers_run_in_a_bounded_pool(tmp_path, settings, arxiv_api):
    _, events = run(tmp_path, settings, provider_for_tests(), workers=2)
    running, most = set(), 0
    for event in events:
        if event.step == "reading":
            running.add(event.job.index)
        elif event.step.startswith(("done", "failed")):
            running.discard(event.job.index)
        most = max(most, len(running))
    assert 1 <= most <= 2


def test_cli_digests_given_ids_offline_into_plain_markdown(tmp_path, monkeypatch, arxiv_api, capsys):
    from chatpaper.__main__ import main

    monkeypatch.setenv("CHATPAPER_ARXIV_DELAY_SECONDS", "0")
    monkeypatch.setenv("CHATPAPER_ARXIV_RETRIES", "0")
    code = main(["--cache-dir", str(tmp_path / "cache"), "digest", "--ids", "1212.5701", "9912.99999",
                 "--query", "Optimisers", "--provider", "offline", "--lang", "en", "--blog", "markdown",
                 "--out", str(tmp_path / "posts")])
    out, err = capsys.readouterr()
    assert code == 0
    post_path = tmp_path / "posts" / "2024-05-27-optimisers" / "index.md"
    assert str(post_path) in out
    post = post_path.read_text(encoding="utf-8")
    assert post.startswith("# Optimisers\n")
    assert "extractive, no LLM" in post
    assert "## ADADELTA: An Adaptive Learning Rate Method" in post
    assert "**Authors:** Matthew D. Zeiler" in post
    assert re.search(r"^- \*\*9912\.99999\*\*: .+", post, re.M)  # unknown ID: listed (once), not fatal
    assert re.search(r"^\[1/1\] ADADELTA.*: done \(\d+\.\d+s\)$", err, re.M) and "Traceback" not in err


def test_a_cli_digest_keeps_the_cache_within_its_limits_as_every_run_does(tmp_path, monkeypatch, arxiv_api):
    import os
    import time

    from chatpaper.__main__ import main

    monkeypatch.setenv("CHATPAPER_ARXIV_DELAY_SECONDS", "0")
    old = tmp_path / "cache" / "runs" / "upload-0123456789abcdef"
    old.mkdir(parents=True)
    (old / "paper-1.json").write_text("{}")
    stamp = time.time() - 40 * 86400  # beyond the 30 days a cached paper is kept
    for path in (old / "paper-1.json", old):
        os.utime(path, (stamp, stamp))
    code = main(["--cache-dir", str(tmp_path / "cache"), "digest", "--ids", "1212.5701", "--query", "Optimisers",
                 "--provider", "offline", "--lang", "en", "--blog", "markdown", "--out", str(tmp_path / "posts")])
    assert code == 0
    assert not old.exists()  # pruned after the run
    assert any(p.name.startswith("arxiv-1212.5701") for p in (tmp_path / "cache" / "runs").iterdir())  # the run's own


def test_cli_refuses_a_digest_without_papers_or_with_a_bad_date(tmp_path, capsys):
    from chatpaper.__main__ import main

    code = main(["--cache-dir", str(tmp_path / "cache"), "digest", "--provider", "offline", "--out", str(tmp_path)])
    assert code == 1
    assert "Say which papers to digest" in capsys.readouterr().err
    code = main(["--cache-dir", str(tmp_path / "cache"), "digest", "--pdf-dir", str(tmp_path), "--date", "May 28",
                 "--provider", "offline", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1 and "is not a date; write it like 2024-05-28" in err and "Traceback" not in err


def test_zip_holds_the_post_and_its_images_and_no_stale_folders(tmp_path, settings, arxiv_api):
    import zipfile

    arxiv_api.replace(responses.GET, "https://arxiv.org/pdf/1704.08729v1", status=404)
    result, _ = run(tmp_path, settings, provider_for_tests(fail_titles=("ADADELTA",)), max_results=2)
    assert result.written == 0 and len(result.failures) == 2
    stale = result.post_dir / "images" / "old-paper"
    stale.mkdir(parents=True)
    arxiv_api.replace(responses.GET, "https://arxiv.org/pdf/1704.08729v1",
                      body=corpus_pdf("1704.08729.pdf").read_bytes(), content_type="application/pdf")
    result, _ = run(tmp_path, settings, provider_for_tests(), max_results=2)
    assert result.written == 2 and not stale.exists()
    names = zipfile.ZipFile(zip_post(result.post_dir)).namelist()
    shown = re.findall(r'<img src="([^"]+)"', result.markdown)
    assert f"{result.post_dir.name}/index.md" in names
    assert shown and {f"{result.post_dir.name}/{src}" for src in shown} <= set(names)
    assert not any("old-paper" in name for name in names)


def test_a_pdf_folder_gives_one_job_per_pdf_with_distinct_image_folders(tmp_path, settings):
    from chatpaper.batch import find_jobs

    for name in ("b paper.pdf", "b-paper.pdf", "A.PDF", "notes.txt"):
        (tmp_path / name).write_bytes(b"%PDF-1.7")
    jobs, failures, _ = find_jobs(DigestRequest(pdf_dir=tmp_path), settings=settings)
    assert [j.label for j in jobs] == ["A.PDF", "b paper.pdf", "b-paper.pdf"]
    assert [j.index for j in jobs] == [1, 2, 3]
    assert len({j.slug for j in jobs}) == 3 and failures == []


EXAMPLE_PDF = Path(__file__).resolve().parents[1] / "examples" / "chatpaper-example.pdf"


@pytest.mark.skipif(not EXAMPLE_PDF.is_file(), reason="examples/chatpaper-example.pdf is not generated yet")
def test_a_folder_of_pdfs_offline_needs_no_network_and_no_corpus(tmp_path, settings):
    """Runs in any clone: the repository's own example PDF, the offline provider, a zip at the end."""
    import zipfile

    from chatpaper.llm.registry import get_provider

    folder = tmp_path / "pdfs"
    folder.mkdir()
    (folder / "example.pdf").symlink_to(EXAMPLE_PDF)
    (folder / "broken.pdf").write_bytes(b"not a pdf at all")
    request = DigestRequest(pdf_dir=folder, topic="Examples", lang="zh", date=datetime(2026, 1, 2, 3, 4, 5),
                            out=tmp_path / "posts")
    provider = get_provider("offline", settings=settings)
    result = run_digest(request, settings=settings, provider=provider)
    fm, keys, body = split_front_matter(result.markdown)
    assert keys == SEED_KEYS and fm["title"] == "Examples" and str(fm["date"]) == "2026-01-02 03:04:05"
    assert "extractive, no LLM" in body and "\n# 2026-01-02 更新\n" in body
    assert result.written == 1 and [f.source for f in result.failures] == ["broken.pdf"]
    assert "论文 PDF：example.pdf" in body and str(tmp_path) not in result.markdown  # no local paths in the post
    assert "**作者：** Ada Example, Ben Sample" in body  # the example's author line is read as authors
    assert "作者：Ada Example, Ben Sample" in body and "作者：无" not in body
    for src in re.findall(r'<img src="([^"]+)"', body):
        assert (result.post_dir / src).is_file()
    names = zipfile.ZipFile(zip_post(result.post_dir)).namelist()
    assert "2026-01-02-examples/index.md" in names


@pytest.mark.skipif(not EXAMPLE_PDF.is_file(), reason="examples/chatpaper-example.pdf is not generated yet")
def test_a_digest_cache_that_is_not_a_database_only_costs_the_caching(tmp_path, settings):
    from chatpaper.llm.registry import get_provider

    settings.cache_dir.mkdir(parents=True)
    (settings.cache_dir / "digests.sqlite").write_bytes(b"not a database " * 100)
    folder = tmp_path / "pdfs"
    folder.mkdir()
    (folder / "example.pdf").symlink_to(EXAMPLE_PDF)
    request = DigestRequest(pdf_dir=folder, topic="Examples", lang="en", out=tmp_path / "posts")
    provider = get_provider("offline", settings=settings)
    result = run_digest(request, settings=settings, provider=provider)
    assert result.written == 1 and result.failures == []


def test_a_tight_rate_limit_shrinks_the_pool_so_queued_calls_meet_the_stage_deadline(settings):
    from chatpaper.batch import pool_size
    from chatpaper.chain.pipeline import stage_deadline

    assert pool_size(4, None, settings) == 4
    assert pool_size(4, RateLimiter(60), settings) == 4
    tight = RateLimiter(2)  # one call every 30 s
    size = pool_size(4, tight, settings)
    assert size < 4 and size * 4 * tight.interval <= stage_deadline(settings)
    assert pool_size(4, RateLimiter(0.1), settings) == 1


def test_post_captions_lose_the_papers_separator_and_glued_page_number():
    paper = hand_post_paper(1)
    paper.figures[0] = paper.figures[0].model_copy(update={"caption": "Figure 1 | Multimodal results. Best viewed. 8"})
    block = figures_block(paper.figures, "en")
    assert "<p><em>Figure 1: Multimodal results. Best viewed.</em></p>" in block
    assert "| Multimodal" not in block


def test_post_figures_follow_the_papers_order_and_a_failure_names_its_source_once(tmp_path):
    from chatpaper.batch import pick_figures
    from chatpaper.models import Figure, Paper

    digest = hand_digest(1)
    for name in ("p1-figure-1.png", "p7-figure-3.png", "p3-figure-2.png"):
        (tmp_path / "figures").mkdir(exist_ok=True)
        (tmp_path / "figures" / name).write_bytes(b"png")
    chosen = [DigestFigure(label="Figure 3", page=7, caption="Figure 3: Results.", image="figures/p7-figure-3.png"),
              DigestFigure(label="Figure 1", page=1, caption="Figure 1: Teaser.", image="figures/p1-figure-1.png")]
    extra = Figure(label="Figure 2", page=3, caption="Figure 2: Method.", bbox=(0, 0, 1, 1),
                   image="figures/p3-figure-2.png")
    paper = Paper(source=digest.source, title="T", pages=8, figures=[extra])
    figures = pick_figures(digest.model_copy(update={"figures": chosen}), paper, tmp_path, "images/x")
    assert [f.label for f in figures] == ["Figure 1", "Figure 2", "Figure 3"]
    tail = failures_block([PostFailure(title="broken.pdf", source="broken.pdf", reason="Not a PDF.")], "en")
    assert "- **broken.pdf**: Not a PDF." in tail


def test_post_figures_of_one_page_follow_their_printed_numbers(tmp_path):
    from chatpaper.batch import pick_figures
    from chatpaper.models import Figure, Paper

    digest = hand_digest(1)
    numbers = ["2.10", "S1", "2.9", "10"]  # a thesis's chapter numbers, a supplement, a plain one
    figures = [Figure(label=f"Figure {n}", page=5, caption=f"Figure {n}: part.", bbox=(0, 0, 1, 1),
                      image=f"figures/p5-figure-{n}.png") for n in numbers]
    for f in figures:
        (tmp_path / f.image).parent.mkdir(exist_ok=True)
        (tmp_path / f.image).write_bytes(b"png")
    paper = Paper(source=digest.source, title="T", pages=8, figures=figures)
    picked = pick_figures(digest.model_copy(update={"figures": []}), paper, tmp_path, "images/x")
    assert [f.label for f in picked] == ["Figure 2.9", "Figure 2.10", "Figure 10", "Figure S1"]


def test_what_reading_the_pdf_lost_is_said_in_the_papers_block():
    lost = "paper.pdf was damaged; MuPDF repaired it but pages 1-4 came out blank, so their text is lost."
    paper = hand_post_paper(1).model_copy(update={"warnings": [lost]})
    block = render_post(META, [paper])
    assert f"> ⚠️ {lost}" in block
    assert block.index(lost) < block.index("**Summary**")


def test_a_repaired_pdf_that_lost_pages_says_so_in_the_post(tmp_path, settings):
    from chatpaper.llm.registry import get_provider

    damaged = corpus_pdf("1412.6980v9_damaged.pdf")  # skips with a reason where the corpus is absent
    folder = tmp_path / "pdfs"
    folder.mkdir()
    (folder / damaged.name).symlink_to(damaged)
    request = DigestRequest(pdf_dir=folder, topic="Damaged", lang="en", date=datetime(2026, 1, 2), out=tmp_path / "p")
    result = run_digest(request, settings=settings, provider=get_provider("offline", settings=settings),
                        )
    assert result.written == 1
    assert re.search(r"^> ⚠️ .*pages 1-4 came out blank", result.markdown, re.M)


def test_ids_without_network_fail_at_once_and_write_no_post(tmp_path, monkeypatch, capsys):
    import socket
    from unittest import mock

    import requests

    from chatpaper.__main__ import main

    def no_dns(*_args, **_kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with mock.patch.object(socket, "getaddrinfo", no_dns):  # requests and urllib3 are real up to the socket
        try:
            requests.get("https://export.arxiv.org/api/query", timeout=5)
        except requests.ConnectionError as exc:
            error = exc
    with responses.RequestsMock() as mock_http:
        mock_http.add(responses.GET, re.compile(r"https://export\.arxiv\.org/api/query\?.*"), body=error)
        code = main(["--cache-dir", str(tmp_path / "cache"), "digest", "--ids", "2405.15619", "2405.15234",
                     "--provider", "offline", "--out", str(tmp_path / "posts")])
        calls = len(mock_http.calls)
    err = capsys.readouterr().err
    assert code == 1 and calls == 1  # the second ID is not tried: no network for one is none for both
    assert err.count("did not resolve") == 2 and "give its path instead" in err and "upload" not in err
    assert "No post written: none of the 2 papers could be digested" in err
    assert not (tmp_path / "posts").exists() or not list((tmp_path / "posts").rglob("*.md"))


HOSTILE = "<script>alert(1)</script> <img src=x onerror=alert(2)> ![t](https://evil.example/p.png) R&D"


def test_paper_llm_and_arxiv_text_in_a_post_is_escaped_and_only_our_markup_stays():
    digest = hand_digest(1, authors=[f"Mallory {HOSTILE}"])
    header = digest.header.model_copy(update={"title": f"Title {HOSTILE}", "abstract": f"Abstract {HOSTILE}",
                                              "comment": f"Comment {HOSTILE}"})
    summary = digest.summary.model_copy(update={"one_line": point(f"Reply {HOSTILE}")})
    paper = PostPaper(digest=digest.model_copy(update={"header": header, "summary": summary}),
                      figures=[PostFigure(src="images/p1/fig.png", label="Figure 1", caption=f"Figure 1: {HOSTILE}")],
                      warnings=[f"Warning {HOSTILE}"])
    failure = PostFailure(title=f"Broken {HOSTILE}", source="broken.pdf", reason=f"Reason {HOSTILE}")
    for blog in ("hexo", "markdown"):
        post = render_post(META.model_copy(update={"topic": f"Topic {HOSTILE}", "blog": blog}), [paper], [failure])
        assert "<script" not in post and "<img src=x" not in post and "![t](" not in post, post
        # Our own markup is all that stays: the figure block's tags, with our image path only.
        assert re.findall(r"<(\w+)", post) == ["details", "summary", "img", "p", "em"]
        assert re.findall(r'<img src="([^"]+)"', post) == ["images/p1/fig.png"]
        for where in ("Title", "Abstract", "Comment", "Reply", "Warning", "Broken", "Reason", "Mallory"):
            assert f"{where} &lt;script&gt;alert(1)&lt;/script&gt;" in post, where


@pytest.mark.skipif(not EXAMPLE_PDF.is_file(), reason="examples/chatpaper-example.pdf is not generated yet")
def test_a_repeat_batch_reuses_the_parsed_papers_and_still_places_their_figures(tmp_path, settings, monkeypatch):
    from chatpaper.llm.registry import get_provider

    folder = tmp_path / "pdfs"
    folder.mkdir()
    (folder / "example.pdf").symlink_to(EXAMPLE_PDF)
    provider = get_provider("offline", settings=settings)
    first = run_digest(DigestRequest(pdf_dir=folder, topic="Examples", lang="en", out=tmp_path / "one"),
                       settings=settings, provider=provider)

    def no_parse(*_args, **_kwargs):
        raise AssertionError("the repeat parsed the PDF again")

    monkeypatch.setattr("chatpaper.reading.parse_source", no_parse)
    again = run_digest(DigestRequest(pdf_dir=folder, topic="Examples", lang="en", out=tmp_path / "two"),
                       settings=settings, provider=provider)
    assert first.written == again.written == 1 and again.failures == []
    images = sorted(p.relative_to(again.post_dir) for p in (again.post_dir / "images").rglob("*.png"))
    assert images and images == sorted(p.relative_to(first.post_dir) for p in (first.post_dir / "images").rglob("*.png"))
