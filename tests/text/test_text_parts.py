"""The text task's parts on their own: the vocabulary, the scores (checked against hand-worked cases), the
sources (a names archive built here, your own files and their errors) and the networks' contracts."""

from __future__ import annotations

import io
import math
import platform
import random
import sys
import tarfile

import pytest
import torch

from duelo.data.errors import DataError
from duelo.tasks.text import metrics
from duelo.tasks.text.networks import TextDiscriminator, TextGenerator, _until_end
from duelo.tasks.text.sources import read_text_file
from duelo.tasks.text.vocab import EOS_ID, PAD_ID, UNK_ID, Vocabulary


def test_vocabulary_round_trips_lines_at_both_levels():
    chars = Vocabulary.build(["anna", "bob"], "char")
    ids = chars.encode_lines(["anna", "bob", "zab"], 6)
    assert ids.shape == (3, 6) and ids[0, 4] == EOS_ID and ids[0, 5] == PAD_ID
    assert chars.decode(ids[0]) == "anna" and chars.decode(ids[1]) == "bob"
    assert ids[2, 0] == UNK_ID and chars.decode(ids[2]) == "?ab"          # z was never seen
    assert chars.decode(chars.encode_lines(["annanna"], 4)[0]) == "ann"     # cut to leave room for the end mark
    words = Vocabulary.build(["In the beginning, God created."], "word")
    line = "In the beginning, God created."
    assert words.decode(words.encode_lines([line], 12)[0]) == line
    assert Vocabulary.from_state(words.state()).tokens == words.tokens


def test_bleu_matches_hand_worked_cases():
    refs = [list("abcd"), list("abce")]
    assert metrics.bleu([list("abcd")], refs, 4) == pytest.approx(1.0)
    # "abxd": unigrams 3/4, bigrams 1/3, trigrams 0 (smoothed 0.1/2), 4-grams 0 (0.1/1); length 4 = refs' 4
    expected = math.exp((math.log(3 / 4) + math.log(1 / 3) + math.log(0.1 / 2) + math.log(0.1 / 1)) / 4)
    assert metrics.bleu([list("abxd")], refs, 4) == pytest.approx(expected)
    # brevity: "ab" is shorter than the closest reference (4): penalty exp(1 - 4/2)
    assert metrics.bleu([list("ab")], refs, 2) == pytest.approx(math.exp(1 - 2))


def test_self_bleu_leaves_each_line_out():
    assert metrics.self_bleu([list("abcd")] * 3, 4) == pytest.approx(1.0)   # copies of one line: repetitive
    distinct = [list("abcd"), list("efgh"), list("ijkl")]
    assert metrics.self_bleu(distinct, 2) < 0.1                             # nothing shared: its own counts left out


def test_novelty_copies_plausibility_and_the_class_reader():
    train = [list("mary"), list("john"), list("maria")]
    assert metrics.novelty([list("mary"), list("marion")], train) == 0.5
    assert metrics.longest_copy([list("xxjohn"), list("qqqq")], train) == [pytest.approx(4 / 6), 0.0]
    assert metrics.plausible([list("mari"), list("mqzr")], [*train, list("mari")]) == 0.5
    # "maryon" is new and made of seen trigrams; "mary" is a copy; "mqzr" and "johnaria" are new, not plausible
    assert metrics.novel_and_plausible([list("maryon"), list("mary"), list("mqzr"), list("johnaria")],
                                       [*train, list("maryon")[1:]]) == 0.25
    girls = ["anna", "bella", "carla", "della", "emma"]
    boys = ["bob", "rob", "tom", "jon", "don"]
    reader = metrics.NgramClassifier([list(n) for n in girls + boys], [0] * 5 + [1] * 5)
    assert reader.accuracy([list("gemma"), list("lon")], [0, 1]) == 1.0
    assert reader.accuracy([list("gemma"), list("lon")], [1, 0]) == 0.0


def _archive(tmp_path, members: dict[str, str]):
    path = tmp_path / "names-0.3.0.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_names_come_from_the_archive_and_a_wrong_one_is_named(tmp_path, monkeypatch):
    from duelo.tasks.text.sources import named_sources

    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path / "cache"))
    source = named_sources().get("names")
    assert not source.available()
    good = _archive(tmp_path, {"names-0.3.0/names/dist.female.first": "MARY  2.6 2.6 1\nANNA 1.0 3.6 2\n",
                               "names-0.3.0/names/dist.male.first": "JAMES 3.3 3.3 1\n"})
    assert "3 lines" in source.fetch_from(good, False)
    text = source.loader()
    assert text.lines == ["mary", "anna", "james"] and text.labels == [0, 0, 1]
    assert text.class_names == ["female", "male"]
    bad = _archive(tmp_path / "x" if (tmp_path / "x").mkdir() is None else tmp_path, {"other/file": "A\n"})
    with pytest.raises(DataError, match="no member names-0.3.0/names/dist.female.first"):
        source.fetch_from(bad, True)
    assert source.loader().lines == ["mary", "anna", "james"]               # the cache was not touched


def test_your_own_file_with_labels_and_its_errors(tmp_path):
    plain = tmp_path / "lines.txt"
    plain.write_text("first line\n\nsecond line\r\n")
    read = read_text_file(plain)
    assert read.lines == ["first line", "second line"] and read.labels is None
    labelled = tmp_path / "labelled.txt"
    labelled.write_text("pos\tgreat film\nneg\tdull\npos\tfine\n")
    read = read_text_file(labelled)
    assert read.class_names == ["neg", "pos"] and read.labels == [1, 0, 1]
    labelled.write_text("pos\tgreat film\nneg\t \n")
    with pytest.raises(DataError, match="line 2: a label and no text"):
        read_text_file(labelled)
    binary = tmp_path / "latin1.txt"
    binary.write_bytes("caf\xe9\nna\xefve\n".encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8"):
        read_text_file(binary)
    with pytest.raises(DataError, match="no such file"):
        read_text_file(tmp_path / "missing.txt")


def test_generator_rows_are_distributions_padded_after_the_end():
    torch.manual_seed(0)
    G = TextGenerator(12, 9, embed=8, hidden=16)
    G.out.bias.data[EOS_ID] = 5.0                        # ends early: the rows after it must be <pad>
    rows = G(G.sample_latents(4))
    assert rows.shape == (4, 9, 12) and torch.allclose(rows.sum(-1), torch.ones(4, 9))
    ended = (rows.argmax(-1) == EOS_ID).long().cumsum(1) > 0
    after = ended & (rows.argmax(-1) != EOS_ID)
    assert after.any() and bool((rows.argmax(-1)[after] == PAD_ID).all())
    ids = G.sample(4, temperature=1e-6)
    assert torch.equal(ids, G.sample(4, temperature=1e-6))                 # near zero: the argmax, every time


def test_nll_is_the_cross_entropy_up_to_the_end_mark():
    torch.manual_seed(0)
    G = TextGenerator(10, 6, embed=8, hidden=16)
    ids = torch.tensor([[5, 6, EOS_ID, PAD_ID, PAD_ID, PAD_ID]])
    logits = G.teacher_logits(ids)
    by_hand = sum(-torch.log_softmax(logits[0, t], 0)[ids[0, t]] for t in range(3))
    assert float(G.nll(ids)[0].detach()) == pytest.approx(float(by_hand), rel=1e-5)
    assert _until_end(ids).tolist() == [[1, 1, 1, 0, 0, 0]]


def test_discriminator_reads_each_representation_and_labels():
    D = TextDiscriminator(10, 6, embed=8, representations=3, channels=4, c_dim=2)
    rows = torch.softmax(torch.randn(5, 6, 10), -1)
    assert D(rows, torch.tensor([0, 1, 0, 1, 1])).shape == (5, 3)


def _bible_debs(folder, dump: str):
    from tests.data.test_data_package_sources import write_deb

    script = "#!/bin/sh\ncat <<'DUMP'\n" + dump + "DUMP\n"
    write_deb(folder / "bible-kjv_1.0_amd64.deb", {"./usr/bin/bible": script.encode()})
    write_deb(folder / "bible-kjv-text_1.0_all.deb", {"./usr/lib/bible.data": b"x", "./usr/lib/bible.data.conc": b"y"})


@pytest.mark.skipif(sys.platform != "linux" or platform.machine() != "x86_64", reason="the reader is amd64 Linux")
def test_kjv_runs_the_packaged_reader_and_labels_testaments(tmp_path, monkeypatch):
    from duelo.tasks.text import bible

    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("DUELO_PACKAGE_DIR", str(tmp_path))
    books = [f"Book{k} 1\n\n  1 Verse of book {k}.\n  2 And more, of {k}.\n" for k in range(1, 41)]
    _bible_debs(tmp_path, "\n".join(books))
    monkeypatch.setattr(bible, "EXPECTED_VERSES", 80)
    assert "80 verses" in bible.fetch()
    text = bible.load()
    assert text.lines[0] == "Verse of book 1." and text.lines[-1] == "And more, of 40."
    assert text.labels[:78] == [0] * 78 and text.labels[78:] == [1, 1]       # 39 books of the old testament
    monkeypatch.setattr(bible, "EXPECTED_VERSES", 31_102)
    with pytest.raises(DataError, match="printed 80 verses, not 31,102"):
        bible.fetch(force=True)
    assert len(bible.load().lines) == 80                                     # the cache was kept


def test_fortunes_come_one_saying_per_line_labelled_by_file(tmp_path, monkeypatch):
    from tests.data.test_data_package_sources import write_deb

    from duelo.tasks.text.sources import named_sources

    fortunes = named_sources().get("fortunes")
    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path / "cache"))
    folder = "./usr/share/games/fortunes/"
    deb = write_deb(tmp_path / "fortunes_1.0_all.deb", {
        folder + "food": b"Eat\n  your   greens.\n%\nA" + b" long" * 60 + b"\n%\nPie.\n",
        folder + "food.dat": b"\x00index",
        folder + "art": b"  /\\_/\\\n ( o.o )\n%\n",
        folder + "science": b"E = mc^2\n%\n"})
    assert "3 lines in 2 classes" in fortunes.fetch_from(deb, False)
    text = fortunes.loader()
    assert text.lines == ["Eat your greens.", "Pie.", "E = mc^2"]       # joined; the long one and the art left out
    assert text.class_names == ["food", "science"] and text.labels == [0, 0, 1]
    with pytest.raises(DataError, match="this is not the fortunes package"):
        fortunes.fetch_from(write_deb(tmp_path / "other.deb", {"./usr/bin/x": b"1"}), True)
    words = named_sources().get("words")
    dictionary = write_deb(tmp_path / "wamerican_1.0_all.deb", {"./usr/share/dict/american-english":
                                                                 b"Aaron\napple\napple's\nbanana\n"})
    assert "2 lines" in words.fetch_from(dictionary, False)
    assert words.loader().lines == ["apple", "banana"] and words.loader().labels is None


def test_embedding_fd_compares_equal_counts_and_tells_real_from_garbage():
    from duelo.tasks.text.scoring import embedding_fd

    seen = []

    def embed(lines):            # letter counts: a stand-in for sentence embeddings
        seen.append(len(lines))
        return torch.tensor([[line.count(c) for c in "abcdefghijklmnopqrstuvwxyz"] for line in lines],
                            dtype=torch.float64) + 1e-3 * torch.randn(len(lines), 26, dtype=torch.float64)

    rng = random.Random(0)
    real = ["".join(rng.choice("aeioubdklmnrst") for _ in range(rng.randint(3, 8))) for _ in range(300)]
    garbage = ["".join(rng.choice("qxzjw") for _ in range(rng.randint(3, 8))) for _ in range(500)]
    fake_fd, real_fd = embedding_fd(embed, garbage, real[:100], real[100:])
    assert seen == [200, 100, 100]                        # references, then 100 generated = 100 held-out
    assert fake_fd > 10 * real_fd > 0


def test_rollouts_keep_each_prefix_and_pad_after_the_end():
    torch.manual_seed(0)
    G = TextGenerator(vocab_size=9, max_len=7, embed=8, hidden=16)
    ids = G.sample(40)
    keep = torch.randint(1, 8, (40,))
    out = G.complete(ids, keep)
    for row, k in zip(range(40), keep.tolist()):
        assert out[row, :k].tolist() == ids[row, :k].tolist()
    ended = (out == EOS_ID).long().cumsum(1)
    assert bool((out[(ended > 0) & (out != EOS_ID)] == PAD_ID).all())            # nothing but <pad> after the end
    assert not torch.equal(out, ids)                                             # the rest is sampled anew


def test_rollout_values_and_the_policy_gradient_follow_the_reward():
    from duelo.tasks.text.seqgan import policy_loss, rollout_values

    torch.manual_seed(0)
    G = TextGenerator(vocab_size=9, max_len=6, embed=8, hidden=16)
    liked = 5

    def judge(rows, labels):                 # rewards lines that start with token 5, whatever follows
        return (rows[:, 0] == liked).float()

    ids = G.sample(64)
    values = rollout_values(G, judge, ids, None, rollouts=3)
    assert values.shape == ids.shape
    assert torch.equal(values, (ids[:, :1] == liked).float().expand_as(values))   # the first token decides all
    optimizer = torch.optim.Adam(G.parameters(), lr=0.03)
    before = (G.sample(2000)[:, 0] == liked).float().mean()
    for _ in range(30):
        ids = G.sample(64)
        optimizer.zero_grad()
        policy_loss(G, ids, None, rollout_values(G, judge, ids, None, rollouts=2)).backward()
        optimizer.step()
    after = (G.sample(2000)[:, 0] == liked).float().mean()
    assert after > before + 0.3, (before, after)


def test_discriminator_reads_ids_as_it_reads_their_one_hot_rows():
    torch.manual_seed(0)
    D = TextDiscriminator(vocab_size=11, max_len=7, embed=8, representations=3, c_dim=2)
    ids = torch.randint(0, 11, (5, 7))
    labels = torch.tensor([0, 1, 1, 0, 1])
    rows = torch.nn.functional.one_hot(ids, 11).float()
    assert torch.allclose(D.read_ids(ids, labels), D(rows, labels), atol=1e-5)


def test_cached_lines_round_trip_as_utf8_and_the_first_format_still_reads(tmp_path, monkeypatch):
    import numpy as np

    from duelo.data.npz_store import string_array, write_npz_atomically
    from duelo.tasks.text.sources import STORE_FILE, TextLines, cache_lines, read_cached_lines

    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path))
    text = TextLines(["Zoë", "", "naïve café ☕", "plain"], [0, 1, 0, 1], ["a", "b"], "t")
    path = cache_lines("t", text, "t.deb")
    back = read_cached_lines("t")
    assert (back.lines, back.labels, back.class_names) == (text.lines, text.labels, text.class_names)
    write_npz_atomically(path, {"lines": string_array(text.lines), "labels": np.array([0, 1, 0, 1])},
                         {"format": 1, "class_names": ["a", "b"], "package_file": "t.deb"})
    assert read_cached_lines("t").lines == text.lines
    write_npz_atomically(path, {"utf8": np.zeros(3, np.uint8), "ends": np.array([1, 9, 2, 3]),
                                "labels": np.array([0, 1, 0, 1])}, {"format": 2, "class_names": [], "package_file": ""})
    with pytest.raises(DataError, match=f"{STORE_FILE} is damaged"):
        read_cached_lines("t")


@pytest.mark.parametrize("core", ["gru", "transformer"])
def test_both_cores_give_the_same_logits_stepping_and_teacher_forced(core):
    torch.manual_seed(0)
    G = TextGenerator(vocab_size=9, max_len=7, embed=8, hidden=32, c_dim=2, generator=core).eval()
    labels = torch.tensor([0, 1, 1, 0, 1, 0])
    stepped = []

    def record(logits, step):
        stepped.append(logits)
        return torch.multinomial(torch.softmax(logits, 1), 1)[:, 0], None

    with torch.no_grad():
        ids = G._steps(6, labels, record)[0]
        forced = G.teacher_logits(ids, labels)
    mask = _until_end(ids).bool()                       # up to the end mark the inputs are the sampled tokens
    assert torch.allclose(torch.stack(stepped, 1)[mask], forced[mask], atol=1e-4)
    out = G.complete(ids, torch.full((6,), 3), labels)
    assert out[:, :3].tolist() == ids[:, :3].tolist()


def test_an_unknown_core_is_refused():
    with pytest.raises(ValueError, match="one of gru, transformer"):
        TextGenerator(vocab_size=9, max_len=7, generator="lstm")
