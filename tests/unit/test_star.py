"""The STAR coach: parts, quantities, ownership, length, red flags, score, and the data banks."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from interview_lab import star

FULL = (
    "Situation: our deploys took 40 minutes. Task: my goal was to halve that. "
    "Action: I cached the dependency layer. Result: deploys dropped to 12 minutes."
)


def test_labelled_answer_has_every_part_and_its_score_adds_up():
    report = star.coach(FULL)
    assert report.present == star.ELEMENTS
    assert report.missing == ()
    assert report.labelled
    assert dict(report.evidence) == {e: "label" for e in star.ELEMENTS}
    assert report.result_text == "deploys dropped to 12 minutes."
    assert report.quantities == ("12 minutes",)
    assert report.quantified_result
    # I words: "my", "I"; we words: "our".
    assert (report.i_count, report.we_count) == (2, 1)
    assert report.i_share == pytest.approx(2 / 3)
    assert report.word_count == 21  # the four labels are not spoken
    assert report.speaking_time_s == pytest.approx(21 / 150 * 60)
    # 60 (parts) + 15 (quantified) + 15 (I share >= 50 %) + 0 (8.4 s is too short)
    assert report.score_parts == (
        ("STAR parts present", 60, 60),
        ("Quantified result", 15, 15),
        ("Ownership (I vs we)", 15, 15),
        ("Length", 0, 10),
    )
    assert report.score == 90
    assert not report.is_strong  # under 30 s: a skeleton, not an answer
    assert report.verdict == "weak"
    assert any("8 s" in line and "one to three minutes" in line for line in report.advice)


@pytest.mark.parametrize(
    ("text", "element", "cue"),
    [
        ("When I joined the team, releases were manual.", "Situation", "When I joined"),
        ("Last year the pipeline was slow.", "Situation", "Last year"),
        ("My goal was to cut the build time.", "Task", "My goal was"),
        ("I was asked to own the release process.", "Task", "I was asked to"),
        ("I automated the release with a workflow.", "Action", "I automated"),
        ("First, I measured every stage.", "Action", "First, I"),
        ("As a result, builds are quicker.", "Result", "As a result"),
        ("Build time dropped from 95 s to 12 s.", "Result", "dropped from"),
    ],
)
def test_cue_phrases_find_parts_without_labels(text, element, cue):
    report = star.coach(text)
    assert element in report.present
    assert dict(report.evidence)[element] == f"cue: \u201c{cue}\u201d"
    assert not report.labelled


def test_a_short_label_does_not_count_but_a_cue_still_can():
    report = star.coach("Situation: ok. Task: none. Action: I automated the tests.")
    assert "Situation" not in report.present
    assert "Task" not in report.present
    assert report.present == ("Action",)


def test_story_without_result_is_not_quantified_and_gets_result_advice():
    text = (
        "When I joined my last team, the on-call engineer got 30 pages a week. "
        "My goal was to cut the noise. I deleted the alerts nobody acted on."
    )
    report = star.coach(text)
    assert report.present == ("Situation", "Task", "Action")
    assert report.missing == ("Result",)
    assert report.result_text == ""
    assert not report.quantified_result  # "30 pages" is in the situation, not the result
    assert star._MISSING_ADVICE["Result"] in report.advice


def test_result_without_label_runs_from_the_cue_sentence_to_the_end():
    text = "I fixed the cache. It was slow before. As a result, p95 latency fell to 120 ms."
    report = star.coach(text)
    assert report.result_text == "As a result, p95 latency fell to 120 ms."
    assert report.quantities == ("120 ms",)


def test_unquantified_result_gets_quantify_advice():
    report = star.coach("Result: builds became a lot faster and everyone was happier.")
    assert "Result" in report.present
    assert not report.quantified_result
    assert any(line.startswith("Quantify the result") for line in report.advice)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("uptime was 99.97% last month", ("99.97%",)),
        ("it costs $60 a month", ("$60",)),
        ("a 15x improvement", ("15x",)),
        ("it went from 1/week to 15/week", ("1/week", "15/week")),
        ("builds take 95 s", ("95 s",)),
        ("the image is 680 MB", ("680 MB",)),
        ("we now run 40 deploys", ("40 deploys",)),
        ("costs were halved", ("halved",)),
        ("about 12 percent fewer", ("12 percent",)),
        ("in 2023 I joined", ()),
        ("during week 6 of the project", ()),
        ("see ADR-002 and section 17", ()),
    ],
)
def test_quantities(text, found):
    assert star.find_quantities(text) == found


def test_i_and_we_counting_keeps_the_country_out():
    report = star.coach("I told my lead; we fixed our bug and the US team thanked us. Me too.")
    # I: I, my, Me.  we: we, our, us (lower-case).  "US" is the country.
    assert (report.i_count, report.we_count) == (3, 3)
    assert report.i_share == pytest.approx(0.5)


def test_no_first_person_words_means_no_share_and_no_ownership_points():
    report = star.coach("The build was slow. The cache fixed it.")
    assert report.i_share is None
    assert dict((n, e) for n, e, _ in report.score_parts)["Ownership (I vs we)"] == 0
    assert any("first person" in line for line in report.advice)


def test_we_heavy_answer_loses_ownership_points():
    report = star.coach("We built it. We tested it. We shipped it and I watched.")
    assert report.i_share == pytest.approx(0.25)
    assert dict((n, e) for n, e, _ in report.score_parts)["Ownership (I vs we)"] == 7
    assert any("25%" in line for line in report.advice)


@pytest.mark.parametrize(
    ("words", "rate", "seconds"), [(150, 150, 60.0), (150, 120, 75.0), (0, 150, 0.0)]
)
def test_speaking_time(words, rate, seconds):
    assert star.speaking_time_s(words, rate) == pytest.approx(seconds)


def test_count_words_and_speaking_time_text():
    assert star.count_words("**Situation**: I cut 95 s to 12 s, don't worry.") == 9
    report = star.coach(" ".join(["word"] * 230))
    assert report.speaking_time_s == pytest.approx(92.0)
    assert report.speaking_time_text == "1 min 32 s"
    assert star.coach("just three words").speaking_time_text == "1 s"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("I just followed a tutorial online...", "no-ownership"),
        ("I copied the Dockerfile from a blog post.", "no-ownership"),
        ("Yeah, it's pretty fast and reliable.", "vague-claim"),
        ("The project failed because my teammate didn't test properly.", "blaming"),
        ("That was not my fault.", "blaming"),
        ("Nothing, I'm focused on job search.", "not-learning"),
        ("It's like Docker but better for scaling microservices.", "buzzwords"),
        ("We leverage cutting-edge, cloud-native, seamless tooling.", "buzzwords"),
        ("My manager was incompetent.", "bad-mouthing"),
        ("No, I think you covered everything.", "no-questions"),
        ("I'm definitely the best candidate you'll interview.", "arrogance"),
        ("What's the salary range?", "salary-first"),
        ("Uh, you do cloud stuff, right?", "unprepared"),
    ],
)
def test_red_flags_from_the_chapter_list(text, key):
    assert [flag.key for flag in star.find_red_flags(text)] == [key]


@pytest.mark.parametrize(
    "text",
    [
        "P95 response time is 320 ms, with 99.97% uptime.",
        "The team had different priorities, so I looked for a role closer to infrastructure.",
        "I haven't used Kubernetes in production yet, but I compared it with ECS.",
        "We ran a blameless postmortem and I fixed the test data.",
        "I'm currently migrating my project to EKS to learn Kubernetes hands-on.",
    ],
)
def test_strong_lines_raise_no_red_flag(text):
    assert star.find_red_flags(text) == ()


def test_vague_claim_and_buzzwords_need_an_answer_without_numbers():
    assert star.find_red_flags("It is really fast: P95 is 80 ms.") == ()
    assert star.find_red_flags("Robust, scalable, cloud-native: 40 deploys a week.") == ()
    assert [f.key for f in star.find_red_flags("Robust, scalable, cloud-native.")] == ["buzzwords"]


def test_each_red_flag_costs_twenty_points_and_the_score_stays_in_range():
    clean = star.coach("Result: my builds fell to 12 s.")
    flagged = star.coach(
        "Result: my builds fell to 12 s. It wasn't my fault. I'm the best engineer."
    )
    assert len(flagged.red_flags) == 2
    raw = sum(earned for _, earned, _ in flagged.score_parts)
    assert flagged.score == max(0, raw - 40)
    assert clean.score == sum(earned for _, earned, _ in clean.score_parts)
    assert star.coach("Not my fault. My boss was useless. I blame QA.").score == 0


def test_strong_needs_everything():
    base = (
        "Situation: When I joined, our builds took 95 s and slowed every change in the team. "
        "Task: My goal was to get a warm build under 20 s without changing the app. "
        "Action: I split the Dockerfile into stages, I reordered it so dependencies cache, "
        "I added a cache mount and I measured every step, so I could see which change paid off "
        "and which one only made the Dockerfile harder to read for the next person. "
        "Result: warm builds went from 95 s to 12 s and the image from 680 MB to 192 MB."
    )
    report = star.coach(base)
    assert report.missing == () and report.quantified_result and report.red_flags == ()
    assert report.speaking_time_s >= 30
    assert report.is_strong
    assert not star.coach(base + " Honestly it was not my fault before.").is_strong
    assert not star.coach(base.replace("I ", "we ").replace("My ", "Our ")).is_strong


@pytest.mark.parametrize("bad", ["", "   \n\t "])
def test_empty_answer_is_refused_with_a_sentence(bad):
    with pytest.raises(ValueError, match="the answer is empty: type or paste an answer"):
        star.coach(bad)


def test_bad_inputs():
    with pytest.raises(ValueError, match="must be text, got int"):
        star.coach(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="words_per_minute must be more than 0, got 0"):
        star.coach("hello", words_per_minute=0)
    with pytest.raises(ValueError, match="at most 400"):
        star.speaking_time_s(10, 1000)
    with pytest.raises(ValueError, match="word_count must be 0 or more"):
        star.speaking_time_s(-1)


def test_report_is_frozen():
    report = star.coach(FULL)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.score = 100  # type: ignore[misc]


# -- the data banks ------------------------------------------------------------------------------

def test_example_bank_shape():
    bank = star.load_examples()
    assert tuple(bank.columns) == star.EXAMPLE_COLUMNS
    assert 10 <= len(bank) <= 14
    assert set(bank["label"]) == {"strong", "weak"}
    assert bank["id"].is_unique


def test_coach_verdict_matches_every_example_label():
    bank = star.load_examples()
    table = star.coach_table(bank["answer"])
    assert table.index.equals(bank.index)
    mismatched = bank.loc[table["verdict"] != bank["label"], "id"].tolist()
    assert mismatched == []
    # Strong examples are between one and three minutes long at 150 words per minute.
    strong_times = table.loc[bank["label"] == "strong", "time_s"]
    assert strong_times.between(60, 180).all()


def test_coach_table_columns_match_the_coach():
    answers = pd.Series([FULL, "We did it. It was great."], index=["a", "b"])
    table = star.coach_table(answers, words_per_minute=120)
    report = star.coach(FULL, words_per_minute=120)
    assert table.loc["a", "score"] == report.score
    assert table.loc["a", "present"] == "STAR"
    assert table.loc["a", "time_s"] == round(report.speaking_time_s)
    assert table.loc["b", "present"] == "-"
    assert table.loc["b", "red_flags"] == "-"


def test_quiz_bank_agrees_with_the_coach_and_covers_every_red_flag():
    quiz = star.load_quiz()
    assert tuple(quiz.columns) == star.QUIZ_COLUMNS
    assert set(quiz["verdict"]) == {"red_flag", "strong"}
    flags = quiz["answer"].map(star.find_red_flags)
    assert (flags.map(bool) == (quiz["verdict"] == "red_flag")).all()
    found = {flag.key for found in flags for flag in found}
    assert found == {rule.key for rule in star.RED_FLAG_RULES}


def test_quiz_checking_and_tally():
    quiz = star.load_quiz()
    first = quiz.iloc[0]
    right = star.check_quiz_answer(quiz, first["id"], first["verdict"])
    assert right.correct and right.coach_agrees
    other = "strong" if first["verdict"] == "red_flag" else "red_flag"
    assert not star.check_quiz_answer(quiz, first["id"], other).correct
    guesses = {quiz["id"][0]: quiz["verdict"][0], quiz["id"][1]: "red_flag"}
    tally = star.quiz_tally(quiz, guesses)
    expected_right = 1 + int(quiz["verdict"][1] == "red_flag")
    assert (tally.answered, tally.correct, tally.total) == (2, expected_right, len(quiz))
    assert tally.percent == pytest.approx(100 * expected_right / 2)
    assert star.quiz_tally(quiz, {}).percent == 0.0
    assert star.next_quiz_item(quiz, quiz["id"].iloc[-1]) == quiz["id"].iloc[0]
    assert star.next_quiz_item(quiz, quiz["id"].iloc[0]) == quiz["id"].iloc[1]
    with pytest.raises(ValueError, match="a guess must be 'red_flag' or 'strong'"):
        star.check_quiz_answer(quiz, first["id"], "maybe")
    with pytest.raises(ValueError, match="there is no quiz item 'zz'"):
        star.check_quiz_answer(quiz, "zz", "strong")
    with pytest.raises(ValueError, match="there are no quiz items"):
        star.quiz_tally(quiz, {"zz": "strong"})


def test_a_bad_bank_file_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("INTERVIEW_LAB_DATA", str(tmp_path))
    (tmp_path / "redflag_quiz.csv").write_text(
        "id,prompt,answer,verdict,explanation\nq1,Why?,Because.,maybe,none\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match=r"verdict must be one of .*rows \['q1'\]"):
        star.load_quiz()
    (tmp_path / "star_examples.csv").write_text("id,question,answer\n1,q,a\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing: \\['label', 'why'\\]"):
        star.load_examples()
