"""The audio task: its pieces (spectral views, networks, WAV files, the clips store, decoding, drum kinds, the
scoring classifier's cache) and the task through the CLI on made-up tones (no fetched dataset needed): it trains
WaveGAN and SpecGAN, writes its run folder (model, spectrograms, WAV files), scores, resumes, samples, and
refuses what cannot work."""

import json
import wave

import numpy as np
import pytest
import torch

from duelo.cli.main import main
from duelo.data.errors import DataError
from duelo.data.npz_store import write_npz_atomically
from duelo.tasks.audio import clips as clip_store
from duelo.tasks.audio.decode import ONSET_LEVEL, PEAK, fit_clip
from duelo.tasks.audio.model_io import load_audio_model
from duelo.tasks.audio.networks import (SpecDiscriminator, SpecGenerator, WaveDiscriminator, WaveGenerator,
                                        combine_labels, phase_shuffle, split_labels)
from duelo.tasks.audio.sources import drum_kind
from duelo.io.wav import read_wav, write_wav
from tests.audio.made_up import INSTRUMENTS, LENGTH, PITCHES, RATE, made_up_clips, tone

TINY = ["train", "--task", "audio", "--width", "4", "--batch", "8", "--seed", "1", "--conditional",
        "--set", "run.snapshot_kimg=0.05", "--set", "audio.eval_clips=16", "--set", "audio.scorer_epochs=1",
        "--set", "run.log_kimg=0.05"]
PITCH_NAMES = [name for _, name in PITCHES]


# ---- networks ----------------------------------------------------------------------------------------------------
def test_wave_networks_draw_and_judge_16384_samples_conditionally():
    G, D = WaveGenerator(z_dim=8, width=4, factors=(2, 3)), WaveDiscriminator(width=4, factors=(2, 3))
    assert G.c_dim == 6 and D.c_dim == 6 and G.length == LENGTH
    labels = torch.tensor([0, 5])
    x = G(G.sample_latents(2), labels)
    assert x.shape == (2, 1, LENGTH) and x.abs().max() <= 1
    assert D(x, labels).shape == (2,)
    D.eval()                                                    # no phase shuffle: a deterministic judge
    assert not torch.equal(D(x, labels), D(x, torch.tensor([1, 4])))    # the projection reads the label
    with pytest.raises(ValueError, match="pass labels"):
        G(G.sample_latents(2))
    plain = WaveGenerator(z_dim=8, width=4)
    assert plain.c_dim == 0 and plain(plain.sample_latents(3)).shape == (3, 1, LENGTH)
    assert WaveDiscriminator(width=4)(torch.zeros(3, 1, LENGTH)).shape == (3,)


def test_spec_networks_draw_and_judge_pictures_conditionally():
    G, D = SpecGenerator(z_dim=8, width=4, factors=(2, 3)), SpecDiscriminator(width=4, factors=(2, 3))
    labels = torch.tensor([2, 3, 1])
    x = G(G.sample_latents(3), labels)
    assert x.shape == (3, 2, 256, 128) and x.abs().max() <= 1
    assert D(x, labels).shape == (3,)
    assert SpecGenerator(64, 32, z_dim=8, width=4)(torch.zeros(1, 8)).shape == (1, 2, 64, 32)
    with pytest.raises(ValueError, match="multiples of 32"):
        SpecGenerator(100, 128, width=4)


def test_the_auxiliary_classifier_names_each_factor_and_trains_both_players():
    from duelo.losses import LOSSES
    from duelo.objectives import GANObjective

    torch.manual_seed(0)
    G, D = WaveGenerator(z_dim=8, width=4, factors=(2, 3)), WaveDiscriminator(width=4, factors=(2, 3), classify=True)
    x, labels = G(G.sample_latents(4), torch.tensor([0, 5, 3, 1])).detach(), torch.tensor([0, 5, 3, 1])
    D.eval()
    logits, ce = D.forward_with_class_loss(x, labels)
    assert torch.allclose(logits, D(x, labels))                           # the same logits as forward
    heads = D.classifier.head(D.features(x)).split((2, 3), dim=1)
    expected = (torch.nn.functional.cross_entropy(heads[0], torch.tensor([0, 1, 1, 0]), reduction="none")
                + torch.nn.functional.cross_entropy(heads[1], torch.tensor([0, 2, 0, 1]), reduction="none"))
    assert torch.allclose(ce, expected)                                   # instrument's CE + pitch's CE
    objective = GANObjective(G, D, LOSSES.get("wgan-gp"), label_pool=torch.arange(6), aux_weight=2.0)
    rng = torch.Generator().manual_seed(0)
    d_terms = objective._discriminator_terms((x, labels), rng, 4)
    assert torch.allclose(d_terms.losses["D_aux"], 2.0 * d_terms.stats["D_class_ce_real"])
    g_terms = objective._generator_terms(None, rng, 4)
    assert set(g_terms.losses) == {"G", "G_aux"}
    g_terms.losses["G_aux"].backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in G.code.parameters())   # G learns the labels
    with pytest.raises(ValueError, match="auxiliary classifier"):
        GANObjective(G, WaveDiscriminator(width=4, factors=(2, 3)), LOSSES.get("wgan-gp"), aux_weight=1.0)
    with pytest.raises(ValueError, match="conditional"):
        WaveDiscriminator(width=4, classify=True)


def test_labels_split_into_factors_and_combine_back():
    factors = (2, 3)
    labels = torch.arange(6)
    instrument, pitch = split_labels(labels, factors)
    assert instrument.tolist() == [0, 0, 0, 1, 1, 1] and pitch.tolist() == [0, 1, 2, 0, 1, 2]
    assert [combine_labels((i, p), factors) for i, p in zip(instrument, pitch)] == labels.tolist()
    assert combine_labels((1, 2, 3), (2, 3, 4)) == 23 and [int(t) for t in split_labels(torch.tensor([23]),
                                                                                         (2, 3, 4))] == [1, 2, 3]


def test_phase_shuffle_moves_each_sample_by_at_most_the_shift():
    x = torch.randn(8, 3, 50)
    assert torch.equal(phase_shuffle(x, 0), x)
    torch.manual_seed(0)
    moved = phase_shuffle(x, 2)
    assert moved.shape == x.shape
    for n in range(len(x)):                                     # the interior is the input moved by one shift
        shifts = [m for m in range(-2, 3) if torch.equal(moved[n, :, 2:-2], x[n, :, 2 - m:48 - m])]
        assert len(shifts) == 1, n
    assert not torch.equal(moved, x)                            # with 8 samples, some moved (seeded)


# ---- WAV files and the clips store --------------------------------------------------------------------------------
def test_wav_files_round_trip_and_other_files_are_refused(tmp_path):
    samples = np.sin(np.linspace(0, 200, 4000)).astype(np.float32) * 0.8
    samples[:2] = [1.5, -1.5]                                   # clipped to full scale
    path = write_wav(tmp_path / "a.wav", samples, 22_050)
    back, rate = read_wav(path)
    assert rate == 22_050 and back.dtype == np.float32 and back.shape == samples.shape
    assert np.abs(back - np.clip(samples, -1, 1)).max() <= 1 / 32767
    with wave.open(str(tmp_path / "stereo.wav"), "wb") as out:  # channels are averaged
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(np.array([[1000, 3000], [-2000, 0]], "<i2").tobytes())
    assert read_wav(tmp_path / "stereo.wav")[0].tolist() == pytest.approx([2000 / 32767, -1000 / 32767])
    (tmp_path / "not.wav").write_bytes(b"ID3 certainly not a RIFF file" * 4)
    with pytest.raises(DataError, match="not a PCM WAV file"):
        read_wav(tmp_path / "not.wav")


def test_clips_round_trip_and_broken_files_are_refused(tmp_path):
    path = made_up_clips(tmp_path / "tones.npz")
    clips = clip_store.load(path)
    assert len(clips) == 18 and clips.waves.shape == (18, LENGTH) and clips.waves.dtype == np.int16
    assert clips.rate == RATE and clips.factors == ["instrument", "pitch"] and clips.seconds == LENGTH / RATE
    assert clips.class_names == [list(INSTRUMENTS), PITCH_NAMES] and clips.names[0] == "sine-A3-0.3"
    again = clip_store.load(clip_store.save(clips, tmp_path / "again.npz"))
    assert np.array_equal(again.waves, clips.waves) and np.array_equal(again.labels, clips.labels)
    assert again.names == clips.names and again.notes == clips.notes and again.source == "made-up"
    assert np.abs(clips.floats()).max() <= 0.9 + 1e-4

    one = clip_store.load(made_up_clips(tmp_path / "one.npz", factors=1))
    assert one.factors == ["instrument"] and one.labels.shape == (18, 1) and one.class_names == [list(INSTRUMENTS)]

    with pytest.raises(DataError, match="no such file"):
        clip_store.load(tmp_path / "missing.npz")
    bad = clips.labels.copy()
    bad[3, 1] = 3                                               # three pitches: 0..2
    write_npz_atomically(tmp_path / "bad.npz", {"waves": clips.waves, "labels": bad},
                         {"format": "duelo-clips", "format_version": clip_store.STORE_FORMAT, "rate": RATE,
                          "factors": clips.factors, "class_names": clips.class_names, "names": clips.names,
                          "source": "made-up", "notes": []})
    with pytest.raises(DataError, match=r"factor 'pitch' has labels outside 0\.\.2"):
        clip_store.load(tmp_path / "bad.npz")
    with pytest.raises(DataError, match="labels outside"):
        clip_store.save(clip_store.Clips(clips.waves, RATE, bad, clips.factors, clips.class_names, clips.names,
                                         "x"), tmp_path / "refused.npz")
    assert not (tmp_path / "refused.npz").exists()
    (tmp_path / "junk.npz").write_bytes(b"not a zip file")
    with pytest.raises(DataError, match="not a duelo clips file"):
        clip_store.load(tmp_path / "junk.npz")


# ---- decoding ----------------------------------------------------------------------------------------------------
def test_fit_clip_trims_the_leading_silence_pads_and_normalises():
    delayed = tone("sine", 69, 0.4, length=12_000, delay=3000)
    clip = fit_clip(delayed, RATE, RATE, LENGTH, normalise=True)
    assert clip.shape == (LENGTH,) and clip.dtype == np.float32
    assert np.abs(clip).max() == pytest.approx(PEAK, abs=1e-3)
    assert np.abs(clip[:20]).max() > 0                           # the sound starts at once
    peak = np.abs(delayed).max()
    start = int(np.argmax(np.abs(delayed) >= ONSET_LEVEL * peak))          # where the sound is taken to start
    assert 3000 < start < 3000 + RATE // 100                                # within the tone's 10 ms attack
    assert np.allclose(clip[:8000], delayed[start:start + 8000] * (PEAK / peak), atol=1e-5)
    assert not clip[12_000 - 3000:].any()                       # padded with silence to the length
    kept = fit_clip(delayed, RATE, RATE, LENGTH, normalise=False)
    assert np.abs(kept).max() == pytest.approx(peak) and np.allclose(kept[:8000], delayed[start:start + 8000])
    long = fit_clip(tone("square", 57, 0.5, length=40_000), 32_000, RATE, LENGTH, normalise=False)
    assert long.shape == (LENGTH,) and long[-1] == 0 and np.abs(long[:LENGTH // 2]).max() > 0.2   # faded out
    assert fit_clip(np.zeros(5000, np.float32), RATE, RATE, LENGTH, normalise=True) is None


def test_drum_kinds_are_read_from_names():
    assert drum_kind("Kick (Tama)") == "kick"
    assert drum_kind("hi-hat closed") == "hihat"
    assert drum_kind("crash") == "cymbal"
    assert drum_kind("Snare_Rimshot") == "snare"
    assert drum_kind("Floor Tom 2") == "tom"
    assert drum_kind("djembe slap") == "other"


# ---- data and scores ---------------------------------------------------------------------------------------------
def test_data_split_holds_out_every_instrument_and_names_labels(tmp_path):
    from duelo.tasks import task_config
    from duelo.tasks.audio.data import load_audio_data

    config = task_config("audio", {"data.dataset": str(made_up_clips(tmp_path / "tones.npz")),
                                   "data.conditional": True})
    data = load_audio_data(config)
    assert len(data.train) + len(data.heldout) == 18 and data.factors == (2, 3) and data.length == LENGTH
    assert sorted(set(data.heldout.labels[:, 0])) == [0, 1]
    combined = data.combined(data.train)
    assert combined.tolist() == [combine_labels(row, (2, 3)) for row in data.train.labels]
    assert data.label_name(combine_labels((1, 2), (2, 3))) == f"square/{PITCH_NAMES[2]}"
    one = load_audio_data(task_config("audio", {"data.dataset": str(made_up_clips(tmp_path / "one.npz", 1))}))
    assert one.factors == (2,) and one.label_name(1) == "square"


def test_the_inception_like_score_counts_recognisable_varied_classes():
    from duelo.tasks.audio.scoring import inception_like, loudness_db

    assert inception_like(torch.eye(4)) == pytest.approx(4.0)
    assert inception_like(torch.eye(4)[[0, 0, 0, 0]]) == pytest.approx(1.0)
    assert inception_like(torch.full((4, 4), 0.25)) == pytest.approx(1.0)
    assert loudness_db(torch.full((2, 100), 0.1)) == pytest.approx(-20.0)


# ---- the task through the CLI ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tones(tmp_path_factory):
    return made_up_clips(tmp_path_factory.mktemp("tones") / "tones.npz")


def _train(tones, out, model, kimg="0.1", name="a"):
    return main([*TINY, "--model", model, "--dataset", str(tones), "--kimg", kimg, "--out", str(out), "--name", name])


@pytest.fixture(scope="module")
def wavegan_run(tones, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    assert _train(tones, out, "wavegan") == 0
    return out / "a"


@pytest.mark.parametrize("model", ["wavegan", "specgan-m", "specgan-h"])
def test_the_audio_task_trains_and_scores(model, tones, tmp_path, request):
    run = request.getfixturevalue("wavegan_run") if model == "wavegan" else tmp_path / "a"
    if model == "specgan-h":                                # decoded with Griffin-Lim rounds, scored both ways
        assert main([*TINY, "--model", model, "--dataset", str(tones), "--kimg", "0.05", "--out", str(tmp_path),
                     "--name", "a", "--set", "audio.decode_refine=2", "--set", "audio.upsample=residual",
                     "--set", "audio.downsample=residual"]) == 0
        scores = json.loads((run / "summary.json").read_text())["scores"]
        assert scores["fd_unrefined"] >= 0 and "loudness_db_unrefined" in scores and "score_unrefined" in scores
        assert {key for key in scores if key.endswith("_accuracy_unrefined")} == {
            key + "_unrefined" for key in scores if key.endswith("_accuracy")}   # every factor, both ways
        assert json.loads((run / "model" / "config.json").read_text())["kwargs"]["refine"] == 2
        assert json.loads((run / "model" / "config.json").read_text())["kwargs"]["upsample"] == "residual"
    if model == "specgan-m":        # the notes-conditional preset: hinge, R1, the classifier term, augmentation
        tiny = [arg for arg in TINY if arg != "--task" and arg != "audio"]
        assert main([*tiny, "--preset", "notes-conditional", "--dataset", str(tones), "--kimg", "0.1",
                     "--out", str(tmp_path), "--name", "a"]) == 0
        logged = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
        assert all("loss_G_aux" in r and "loss_D_aux" in r for r in logged if "loss_G" in r), logged[-1]
        saved = json.loads((run / "config.json").read_text())
        assert saved["audio"]["model"] == "specgan-m" and saved["audio"]["augment"] == 0.5
        assert saved["audio"]["augment_gain_db"] == 0 and saved["train"]["total_kimg"] == 0.1    # --kimg wins
        assert saved["loss"]["name"] == "hinge" and saved["train"]["d_steps"] == 1
        assert saved["stabilise"]["r1_gamma"] == 300 and saved["data"]["dataset"] == str(tones)
    scores = json.loads((run / "summary.json").read_text())["scores"]
    for key in ("fd", "fd_real", "score", "instrument_accuracy", "pitch_accuracy", "pitch_accuracy_real",
                "instrument_accuracy_real", "pitch_spread", "loudness_db", "floor_level", "floor_level_real",
                "envelope_error_db", "envelope_error_db_real"):
        assert key in scores, key
    assert scores["samples"] == 16 and 0 <= scores["pitch_accuracy"] <= 1 and scores["fd"] >= 0
    assert 0 <= scores["instrument_accuracy_train"] <= 1
    assert set(scores["instrument_accuracy_by_class"]) <= set(INSTRUMENTS)
    samples = run / "samples"
    assert list(samples.glob("spectrograms-*.png")) and list(samples.glob("clips-*.wav"))
    assert (samples / "real.png").is_file() and (samples / "real.wav").is_file()
    heard, rate = read_wav(next(samples.glob("clips-*.wav")))
    assert rate == RATE and len(heard) == 8 * (LENGTH + RATE // 4)            # 8 clips, 0.25 s apart
    G, meta = load_audio_model(str(run))           # a str or a Path
    assert meta["kwargs"]["model"] == model and meta["rate"] == RATE and meta["length"] == LENGTH
    assert meta["class_names"] == [list(INSTRUMENTS), PITCH_NAMES] and meta["factor_names"] == ["instrument", "pitch"]
    shape = {"wavegan": (1, LENGTH), "specgan-m": (2, 512, 64), "specgan-h": (2, 1024, 32)}[model]
    assert G.c_dim == 6 and G(G.sample_latents(2), torch.tensor([0, 5])).shape == (2, *shape)


def test_a_run_resumes_and_samples_clips(wavegan_run, tones, tmp_path, capsys):
    run = wavegan_run
    capsys.readouterr()
    assert _train(tones, run.parent, "wavegan", kimg="0.2") == 0
    assert "resum" in capsys.readouterr().err.lower()
    assert json.loads((run / "summary.json").read_text())["kimg"] >= 0.2

    assert main(["sample", str(run), "-n", "3", "--out", str(tmp_path / "clips")]) == 0
    written = sorted((tmp_path / "clips").glob("*.wav"))
    assert len(written) == 3 and (tmp_path / "clips" / "spectrograms.png").is_file()
    samples, rate = read_wav(written[0])
    assert rate == RATE and samples.shape == (LENGTH,)

    for label, folder in ((f"sine/{PITCH_NAMES[0]}", "low"), (f"square/{PITCH_NAMES[2]}", "high")):
        assert main(["sample", str(run), "-n", "1", "--label", label, "--out", str(tmp_path / folder)]) == 0
    low, high = (next((tmp_path / folder).glob("*.wav")).read_bytes() for folder in ("low", "high"))
    assert low != high                                          # the label reaches G
    assert main(["sample", str(run), "-n", "1", "--out", str(tmp_path / "one.wav")]) == 0
    assert read_wav(tmp_path / "one.wav")[0].shape == (LENGTH,)
    capsys.readouterr()
    assert main(["sample", str(run), "-n", "2", "--label", "nonsense/x", "--out", str(tmp_path / "bad")]) != 0
    assert "instrument 'nonsense' is not one of sine, square" in capsys.readouterr().err
    assert main(["sample", str(run), "-n", "2", "--label", "9", "--out", str(tmp_path / "bad")]) != 0
    assert "labels 0..5" in capsys.readouterr().err
    assert main(["sample", str(run), "-n", "2", "--out", str(tmp_path / "two.wav")]) != 0
    assert "one file holds one clip" in capsys.readouterr().err
    assert not (tmp_path / "two.wav").exists() and not (tmp_path / "bad").exists()


def test_an_unconditional_model_refuses_a_label(tmp_path, capsys):
    from duelo.io.model_folders import save_model_folder
    from duelo.tasks.audio.model_io import FORMAT, FORMAT_VERSION
    from duelo.tasks.audio.parts import build_generator

    kwargs = {"model": "wavegan", "shape": [1, LENGTH], "z_dim": 8, "width": 4, "factors": [], "embed_dim": 4}
    (tmp_path / "model").mkdir()
    save_model_folder(tmp_path / "model", build_generator(kwargs), {
        "format": FORMAT, "format_version": FORMAT_VERSION, "kwargs": kwargs, "rate": RATE, "length": LENGTH,
        "dataset": "made-up", "factor_names": [], "class_names": []})
    assert main(["sample", str(tmp_path / "model"), "-n", "2", "--out", str(tmp_path / "two")]) == 0
    assert len(list((tmp_path / "two").glob("*.wav"))) == 2
    capsys.readouterr()
    assert main(["sample", str(tmp_path / "model"), "-n", "1", "--label", "0", "--out", str(tmp_path / "x")]) != 0
    assert "unconditional" in capsys.readouterr().err


def test_what_cannot_work_is_refused(tmp_path, capsys):
    args = [*TINY, "--kimg", "0.1", "--out", str(tmp_path)]
    assert main([*args, "--dataset", str(tmp_path / "none.npz")]) != 0
    assert "no such file" in capsys.readouterr().err
    tones = made_up_clips(tmp_path / "tones.npz")
    assert main([*args, "--dataset", str(tones), "--set", "audio.decode_refine=4"]) != 0      # TINY is wavegan
    assert "drop it or choose --model specgan" in capsys.readouterr().err
    assert main([*args, "--dataset", str(tones), "--set", "audio.augment_cutout=0.5"]) != 0       # augment is 0
    assert "it needs audio.augment above 0" in capsys.readouterr().err
    assert main([*args, "--dataset", str(tones), "--set", "audio.downsample=residual"]) != 0      # wavegan's D
    assert "audio.downsample applies to the spectral models' D" in capsys.readouterr().err
    short = clip_store.load(tones)
    short = clip_store.Clips(short.waves[:, :8000], RATE, short.labels, short.factors, short.class_names,
                             short.names, "made-up")
    assert main([*args, "--dataset", str(clip_store.save(short, tmp_path / "short.npz"))]) != 0
    assert "clips of 8,000 samples" in capsys.readouterr().err
    assert main([*args, "--dataset", str(clip_store.save(short.subset(np.arange(3)), tmp_path / "few.npz"))]) != 0
    assert "at least 4 are needed" in capsys.readouterr().err
    alone = clip_store.Clips(clip_store.load(tones).waves[:10], RATE, np.arange(10)[:, None], ["kind"],
                             [list("abcdefghij")], short.names[:10], "made-up")    # one clip per class: none held out
    assert main([*args, "--dataset", str(clip_store.save(alone, tmp_path / "alone.npz"))]) != 0
    assert "no kind class has two clips" in capsys.readouterr().err
    assert not list(tmp_path.glob("*/summary.json"))


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_conditional_clips_are_drawn_on_a_gpu_with_labels_kept_on_the_cpu():
    """The first H200 runs crashed here: CPU labels indexed with CUDA chunk indices."""
    from duelo.tasks.audio.model_io import generate_waves
    from duelo.tasks.audio.networks import WaveGenerator

    G = WaveGenerator(width=4, factors=(2, 3)).cuda().eval()
    waves = generate_waves(G, {"model": "wavegan"}, 16384, 5, torch.tensor([0, 1, 2, 3, 5]), seed=0, device="cuda")
    assert waves.shape == (5, 16384) and waves.device.type == "cpu"
