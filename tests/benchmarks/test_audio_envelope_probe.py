"""benchmarks/audio_envelope_probe.py and audio_partials.py: the changes they make to clips do what their names say.
A decaying tone held is flat until the release and keeps its peak; giving a set its own envelope or spectral balance
changes nothing, and another set's envelope brings the level over; the attack splice takes the head's first samples;
the partials of a tone with known harmonics are read back, moved and exchanged; a checkerboard along time shows in
the flicker figures and smoothing takes it out; the seed of a run given by `--set train.seed=N` reaches the tables."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import audio_envelope_probe as probe  # noqa: E402
import audio_partials as parts  # noqa: E402
import audio_tables  # noqa: E402

RATE, LENGTH = 16_000, 16_384


def _tone(decay_s: float | None, level: float = 0.5, harmonics=(1.0, 0.5)) -> torch.Tensor:
    t = torch.arange(LENGTH, dtype=torch.float64) / RATE
    wave = sum(a * torch.sin(2 * np.pi * 220.0 * (k + 1) * t) for k, a in enumerate(harmonics)) * level
    if decay_s is not None:
        wave = wave * torch.exp(-t / decay_s)
    wave[int(0.75 * RATE):] *= torch.linspace(1.0, 0.0, LENGTH - int(0.75 * RATE), dtype=torch.float64)
    return wave.float()


def test_holding_a_decaying_tone_flattens_it_until_the_release_and_keeps_its_peak():
    waves = torch.stack([_tone(0.2), _tone(0.4)])
    out = probe.held(waves, int(0.75 * RATE))
    levels = probe.frame_db(out)[:, 4:40]                                   # well inside the held part
    assert float(levels.max() - levels.min()) < 1.5                         # the 0.2 s decay falls ~30 dB there
    assert float(probe.frame_db(waves)[0, 4:40].max() - probe.frame_db(waves)[0, 4:40].min()) > 20
    assert torch.allclose(out.abs().amax(1), waves.abs().amax(1), rtol=1e-4)


def test_own_envelope_and_balance_change_nothing_and_anothers_envelope_is_taken_over():
    quiet = torch.stack([_tone(None, 0.05), _tone(None, 0.05)])
    loud = torch.stack([_tone(0.3, 0.5), _tone(0.3, 0.5)])
    classes = torch.tensor([0, 0])
    assert torch.allclose(probe.swapped(loud, loud, classes), loud, atol=1e-5)
    assert torch.allclose(probe.balanced(loud, loud, classes), loud, atol=1e-4)
    moved = probe.swapped(quiet, loud, classes)
    assert float((probe.frame_db(moved) - probe.frame_db(loud))[:, 2:40].abs().max()) < 1.0


def test_the_attack_splice_takes_the_heads_first_samples_and_fades_into_the_body():
    body, head = torch.zeros(1, LENGTH), torch.ones(1, LENGTH)
    out = probe.spliced(body, head, 800)
    assert float(out[0, :800].min()) == 1.0 and float(out[0, 800 + probe.FADE:].max()) == 0.0
    assert 0.0 < float(out[0, 800 + probe.FADE // 2]) < 1.0


def test_the_partials_of_a_known_tone_are_read_back():
    wave = _tone(None, 0.5, harmonics=(1.0, 0.1, 0.01)).numpy()           # 0, -20 and -40 dB
    peaks, between = parts.partials(wave, 57, RATE)                        # MIDI 57 = A3 = 220 Hz
    assert abs(peaks[0]) < 0.5 and abs(peaks[1] + 20) < 1.5 and abs(peaks[2] + 40) < 1.5
    assert max(between) < -60                                               # nothing between the partials


def test_a_seed_given_by_set_reaches_the_tables():
    assert audio_tables._seed("duelo train --set train.seed=2 --lr 2e-4") == "2"
    assert audio_tables._seed("duelo train --seed 3") == "3" and audio_tables._seed("duelo train") == "0"


def test_exchanging_at_the_harmonic_lobes_keeps_one_clips_partials_and_the_others_rest():
    midi = 57                                                               # A3, 220 Hz: _tone's fundamental
    mask = parts.lobes([midi], parts.N_FFT // 2 + 1, RATE)[0, :, 0]
    hz = torch.arange(parts.N_FFT // 2 + 1) * RATE / parts.N_FFT
    assert mask[(hz - 220).abs() < 10].all() and mask[(hz - 440).abs() < 10].all()
    for k in range(1, 30):                            # the middle of every gap stays between, however high
        assert not mask[(hz - 220 * (k + 0.5)).abs() < 20].any(), k
    assert 0.3 < float(mask.double().mean()) < 0.85
    tone = _tone(None)                                                      # partials at 220 and 440 Hz only
    hiss = 0.05 * torch.randn(LENGTH, generator=torch.Generator().manual_seed(0))
    noisy = tone + hiss
    assert torch.allclose(parts.exchanged(tone[None], tone[None], [midi], RATE), tone[None], atol=1e-5)

    def level_at(wave: torch.Tensor, lo: float, hi: float) -> float:          # mean power in a band, 0.1-0.7 s
        part = wave[int(0.1 * RATE):int(0.7 * RATE)].double().numpy()
        power = np.abs(np.fft.rfft(part)) ** 2
        freq = np.fft.rfftfreq(len(part), 1 / RATE)
        return float(power[(freq > lo) & (freq < hi)].mean())

    # the tone's partials with the noisy clip's rest: noise between the partials, the partials as they were
    mixed = parts.exchanged(tone[None], noisy[None], [midi], RATE)[0]
    assert level_at(mixed, 300, 360) > 100 * level_at(tone, 300, 360)
    assert abs(level_at(mixed, 215, 225) / level_at(tone, 215, 225) - 1) < 0.1
    # the other way round: the noisy clip's partials (their lobes keep its noise) and the clean rest
    cleaned = parts.exchanged(noisy[None], tone[None], [midi], RATE)[0]
    assert level_at(cleaned, 300, 360) < 0.05 * level_at(noisy, 300, 360)


def test_partial_envelopes_give_each_partial_the_others_rise_and_decay_and_keep_the_rest():
    midi, t = 57, torch.arange(LENGTH, dtype=torch.float64) / RATE
    steady = _tone(None, harmonics=(1.0, 0.5))
    fading = (0.5 * (torch.sin(2 * np.pi * 220 * t) + 0.5 * torch.sin(2 * np.pi * 440 * t) * torch.exp(-t / 0.25)))
    fading = fading.float()
    own = parts.partial_envelopes(steady[None], steady[None], [midi], RATE)
    assert torch.allclose(own, steady[None], atol=1e-4)

    def partial_db(wave: torch.Tensor, hz: float, start: float) -> float:     # one partial's level in 0.1 s
        part = wave[int(start * RATE):int((start + 0.1) * RATE)].double().numpy()
        power = np.abs(np.fft.rfft(part * np.hanning(len(part)))) ** 2
        freq = np.fft.rfftfreq(len(part), 1 / RATE)
        return float(10 * np.log10(power[np.abs(freq - hz) < 15].max()))

    out = parts.partial_envelopes(steady[None], fading[None], [midi], RATE)[0]
    # the second partial now falls as the fading tone's does (about 14 dB from 0.1 s to 0.5 s); the first holds
    fall = partial_db(out, 440, 0.1) - partial_db(out, 440, 0.5)
    expected = partial_db(fading, 440, 0.1) - partial_db(fading, 440, 0.5)
    assert abs(fall - expected) < 3 and expected > 10, (fall, expected)
    assert abs(partial_db(out, 220, 0.1) - partial_db(out, 220, 0.5)) < 1.5


def test_partial_levels_move_each_partial_by_one_gain_and_keep_its_shape_in_time():
    midi, t = 57, torch.arange(LENGTH, dtype=torch.float64) / RATE
    quiet_second = _tone(None, harmonics=(1.0, 0.1))
    loud_second = _tone(None, harmonics=(1.0, 0.8))
    fading = (0.5 * (torch.sin(2 * np.pi * 220 * t) + 0.5 * torch.sin(2 * np.pi * 440 * t) * torch.exp(-t / 0.25)))
    out = parts.partial_envelopes(quiet_second[None], loud_second[None], [midi], RATE, over_time=False)
    inner = slice(2048, LENGTH - 2048)                                      # the transform's edges aside
    assert torch.allclose(out[0, inner], loud_second[inner], atol=5e-3)   # steady tones: one gain is all it takes
    kept = parts.partial_envelopes(quiet_second[None], fading.float()[None], [midi], RATE, over_time=False)[0]
    early, late = (kept[int(s * RATE):int((s + 0.1) * RATE)] for s in (0.1, 0.5))
    assert abs(float(early.pow(2).mean() / late.pow(2).mean()) - 1) < 0.05   # no decay taken over


def test_partial_decays_read_each_partials_fall_while_held():
    t = torch.arange(LENGTH, dtype=torch.float64) / RATE
    wave = 0.5 * (torch.sin(2 * np.pi * 220 * t) + 0.5 * torch.sin(2 * np.pi * 440 * t) * torch.exp(-t / 0.25))
    decays = parts.partial_decays(wave.numpy(), 57, RATE)
    assert len(decays) == parts.PARTIALS
    assert abs(decays[0]) < 1 and abs(decays[1] - 20 * np.log10(np.e) / 0.25) < 2, decays[:2]   # 34.7 dB/s
    profile = parts.partial_profile(wave[None], [57], RATE)
    assert profile["decay_db_per_s"][1] > 30
    table = audio_tables.audio_envelope_probe(_probed(profile))
    assert "fall while held" in table and "| tone | 0 35" in table


def _probed(profile: dict) -> dict:
    """A probe result of one variant and one instrument with `profile` on both sides."""
    row = {"instrument": "tone", "judge_accuracy": 1.0, "judge_names_instead": None, "d_realness": 0.0,
           "d_head_accuracy": 1.0, "envelope_db": [0.0]}
    return {"runs": [{"run": "r", "kimg": 1, "variants": {"real": {
        "judge_accuracy": 1.0, "d_realness": 0.0, "d_realness_spread": 0.0, "d_head_accuracy": 1.0,
        "instruments": [row]}}, "partials": {"tone": {"real": profile, "generated": profile}}}]}


def test_partial_courses_read_each_partials_level_under_its_loudest_frame():
    t = torch.arange(LENGTH, dtype=torch.float64) / RATE
    wave = 0.5 * (torch.sin(2 * np.pi * 220 * t) + 0.5 * torch.sin(2 * np.pi * 440 * t) * torch.exp(-t / 0.25))
    courses = parts.partial_courses(wave[None].float(), [57], RATE)[0]
    assert courses.shape == (parts.PARTIALS, len(parts.COURSE_S))
    at = parts.COURSE_S.index(0.4)
    assert np.abs(courses[0, 1:-1]).max() < 1.0                              # the steady partial holds its level
    assert abs(courses[1, at] + 20 * np.log10(np.e) * 0.4 / 0.25) < 2.5       # the fading one: about -14 dB at 0.4 s
    assert (np.diff(courses[1, 1:]) < 0).all()                                # and falls all along
    profile = parts.partial_profile(wave[None].float(), [57], RATE)
    table = audio_tables.audio_envelope_probe(_probed(profile))
    assert "partials 1 and 5: dB under their loudest at 0.03/0.1/0.2/0.4/0.7/0.9 s" in table


def test_smoothing_along_time_takes_out_a_checkerboard_that_the_flicker_figures_show():
    from duelo.tasks.audio.models import AUDIO_MODELS

    pictures = AUDIO_MODELS.get("specgan-m").encode(torch.stack([_tone(None), _tone(None, harmonics=(1.0, 0.3, 0.2))]))
    checkered = pictures.clone()
    checkered[:, 0, :, 1::2] -= 0.1                                         # every other frame 7.4 dB down
    calm, rough = parts.flicker(pictures), parts.flicker(checkered)
    assert calm["even_odd_db"] < 0.5 and abs(rough["even_odd_db"] - 7.41) < 0.3 and rough["turning_share"] > 0.9
    after = parts.flicker(parts.smoothed(checkered))
    assert after["even_odd_db"] < 0.5, after
    assert torch.allclose(parts.smoothed(pictures)[:, 1], pictures[:, 1])    # the phase advance is left alone
    inner = parts.smoothed(pictures)[:, 0, :, 8:56]
    assert float((inner - pictures[:, 0, :, 8:56]).abs().median()) < 0.01      # a steady tone barely changes


def test_partial_envelopes_in_one_span_leave_the_rest_of_the_note_alone():
    midi, t = 57, torch.arange(LENGTH, dtype=torch.float64) / RATE
    steady = _tone(None, harmonics=(1.0, 0.5))
    fading = (0.5 * (torch.sin(2 * np.pi * 220 * t) + 0.5 * torch.sin(2 * np.pi * 440 * t) * torch.exp(-t / 0.25)))
    early = parts.partial_envelopes(steady[None], fading.float()[None], [midi], RATE, seconds=(0.0, 0.15))[0]
    late = slice(int(0.3 * RATE), int(0.6 * RATE))
    assert torch.allclose(early[late], steady[late], atol=1e-3)              # untouched after the span
    whole = parts.partial_envelopes(steady[None], fading.float()[None], [midi], RATE)[0]
    assert not torch.allclose(whole[late], steady[late], atol=1e-2)
