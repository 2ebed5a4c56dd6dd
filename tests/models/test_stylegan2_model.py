"""StyleGAN2 specifics: shapes, demodulation (eq. 3), fused == unfused modulated conv, truncation, the tracked
mean of w, constant noise, style mixing, conditioning, minibatch std, equalised learning rate, argument
errors, and a short training run through the CLI."""

from __future__ import annotations

import math

import pytest
import torch

from duelo.errors import ConfigError
from duelo.models import build_discriminator, build_generator
from duelo.nn.modulated import EqualConv2d, EqualLinear, ModulatedConv2d, modulated_conv2d

SMALL_G = {"channel_base": 128, "channel_max": 16, "z_dim": 16, "w_dim": 16, "embed_dim": 8,
           "mapping_layers": 2}
SMALL_D = {"channel_base": 128, "channel_max": 16}
NUM_CLASSES = 5


def make_g(resolution=16, channels=3, c_dim=0, seed=0, **kwargs):
    torch.manual_seed(seed)
    return build_generator("stylegan2", resolution=resolution, channels=channels, c_dim=c_dim,
                           **{**SMALL_G, **kwargs})


def make_d(resolution=16, channels=3, c_dim=0, seed=0, **kwargs):
    torch.manual_seed(seed)
    return build_discriminator("stylegan2", resolution=resolution, channels=channels, c_dim=c_dim,
                               **{**SMALL_D, **kwargs})


def latents(n, dim=16, seed=1):
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed))


def images(n, channels=3, resolution=16, seed=1):
    rng = torch.Generator().manual_seed(seed)
    return torch.rand(n, channels, resolution, resolution, generator=rng) * 2 - 1


@pytest.mark.parametrize("resolution", [8, 16, 32])
@pytest.mark.parametrize("c_dim", [0, NUM_CLASSES])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes(resolution, c_dim, channels):
    generator, discriminator = make_g(resolution, channels, c_dim), make_d(resolution, channels, c_dim)
    labels = torch.arange(4) % c_dim if c_dim else None
    ws = generator.mapping(latents(4), labels)
    assert ws.shape == (4, 2 * int(math.log2(resolution)) - 2, 16) and generator.num_ws == ws.shape[1]
    fakes = generator.synthesis(ws)
    assert fakes.shape == (4, channels, resolution, resolution)
    assert discriminator(fakes, labels).shape == (4,)
    assert len(discriminator.blocks) == int(math.log2(resolution)) - 2


@pytest.mark.parametrize("style_scale", [0.1, 1.0, 30.0])
def test_demodulation_gives_unit_output_std_whatever_the_style(style_scale):
    torch.manual_seed(0)
    weight = torch.randn(64, 32, 3, 3) / math.sqrt(32 * 9)
    x = torch.randn(8, 32, 32, 32)                                       # unit-variance input
    styles = (torch.rand(8, 32) + 0.5) * style_scale
    std = modulated_conv2d(x, weight, styles).std().item()
    assert abs(std - 1.0) < 0.1                                          # eq. 3: expected std 1
    plain = modulated_conv2d(x, weight, styles, demodulate=False).std().item()
    assert abs(plain - 1.0) > 0.2 or style_scale == 1.0                 # without it the scale leaks through


@pytest.mark.parametrize("demodulate", [True, False])
def test_fused_and_unfused_modulated_conv_agree(demodulate):
    torch.manual_seed(0)
    weight, x, styles = torch.randn(6, 4, 3, 3), torch.randn(3, 4, 8, 8), torch.randn(3, 4)
    fused = modulated_conv2d(x, weight, styles, demodulate, fused=True)
    unfused = modulated_conv2d(x, weight, styles, demodulate, fused=False)
    torch.testing.assert_close(fused, unfused, atol=1e-5, rtol=1e-4)
    swapped = modulated_conv2d(x, weight, styles.roll(1, 0), demodulate)        # per-sample styles
    assert not torch.allclose(fused[0], swapped[0])


def test_truncation_psi_zero_gives_w_avg_and_psi_one_is_identity():
    generator = make_g().train()
    with torch.no_grad():
        for _ in range(3):
            generator(latents(8, seed=5))                               # move w_avg away from 0
    generator.eval()
    z = latents(4)
    with torch.no_grad():
        ws = generator.mapping(z, psi=0.0)
        assert torch.allclose(ws, generator.w_avg.expand_as(ws))
        out = generator(z, psi=0.0)
        assert all(torch.equal(out[0], out[i]) for i in range(1, 4))
        assert torch.equal(generator(z, psi=1.0), generator(z))
        assert not torch.allclose(generator(z, psi=0.5), generator(z))


def test_w_avg_moves_in_train_mode_only():
    generator = make_g()
    assert not generator.w_avg.any()
    with torch.no_grad():
        generator.eval()(latents(4))
        assert not generator.w_avg.any()
        generator.train()(latents(4))
    moved = generator.w_avg.clone()
    assert moved.any()
    w = generator._map(latents(4), None).mean(0).detach()
    torch.testing.assert_close(moved, 0.005 * w)                        # lerp from 0 with beta 0.995


def test_const_noise_makes_eval_deterministic_and_random_noise_does_not():
    generator = make_g(mixing_prob=0.0)
    for layer in generator.layers:
        layer.noise.strength.data.fill_(0.5)
    z = latents(2)
    with torch.no_grad():
        generator.eval()
        assert torch.equal(generator(z), generator(z))
        generator.noise_mode = "random"
        assert not torch.equal(generator(z), generator(z))
        generator.noise_mode = "auto"
        generator.train()
        assert not torch.equal(generator(z), generator(z))              # auto: random while training


def test_generated_samples_each_get_their_own_noise_and_still_depend_on_their_seed_alone():
    """generate() draws every sample's noise maps from its seed: two samples no longer share the layers' fixed
    maps (which put the same speckles at the same place in every image), and an image is the same whatever other
    seeds are drawn with it. Outside generate(), eval keeps the fixed maps."""
    from duelo.io.images import to_uint8
    from duelo.nn.seeded_noise import per_sample_noise
    from duelo.sampling.generate import generate, latents_for_seeds

    generator = make_g(mixing_prob=0.0).eval()
    for layer in generator.layers:
        layer.noise.strength.data.fill_(0.5)
    z = latents(1).expand(3, -1)                                         # one latent three times
    with torch.no_grad():
        with per_sample_noise(generator, [7, 8, 7], "cpu"):
            out = generator(z)
        assert not torch.equal(out[0], out[1]) and torch.equal(out[0], out[2])
        assert all(layer.noise.given is None for layer in generator.layers)          # the fixed maps are back
        shared = generator(z)
        assert torch.equal(shared[0], shared[1])
    alone, together = generate(generator, [5]), generate(generator, [4, 3, 5], batch=3)
    assert torch.equal(alone[0], together[2]) and torch.equal(generate(generator, [5]), alone)
    with torch.no_grad():                                                # generate() does not use the fixed maps
        assert not torch.equal(alone[0], to_uint8(generator(latents_for_seeds(16, [5])))[0])
    with pytest.raises(RuntimeError), per_sample_noise(generator, [1, 2], "cpu"):
        raise RuntimeError("a failure inside")
    assert all(layer.noise.given is None for layer in generator.layers)
    generator.noise_mode = "const"                                       # trained with the fixed maps: kept
    with torch.no_grad():
        assert torch.equal(generate(generator, [5])[0], to_uint8(generator(latents_for_seeds(16, [5])))[0])


def test_style_mixing_only_in_training_and_reproducible():
    generator = make_g(mixing_prob=1.0).train()
    z = latents(8)
    with torch.no_grad():
        mixed = generator.mapping(z)
        assert torch.equal(mixed, generator.mapping(z))                 # hash of z: same z, same mixing
        assert not torch.equal(mixed, mixed[:, :1].expand_as(mixed))    # some layers got another w
        generator.eval()
        plain = generator.mapping(z)
    assert torch.equal(plain, plain[:, :1].expand_as(plain))
    torch.testing.assert_close(mixed[:, 0], plain[:, 0])                # layer 0 is never mixed


def test_labels_change_the_conditional_generator():
    generator = make_g(c_dim=NUM_CLASSES).eval()
    z = latents(1).expand(2, -1)
    with torch.no_grad():
        out = generator(z, torch.tensor([0, 3]))
    assert not torch.allclose(out[0], out[1])


def test_projection_term_uses_the_labels():
    discriminator = make_d(c_dim=NUM_CLASSES).eval()
    x = images(1).expand(2, -1, -1, -1)
    with torch.no_grad():
        logits = discriminator(x, torch.tensor([0, 3]))
    assert logits[0] != logits[1]


def test_minibatch_std_sees_the_other_samples():
    discriminator = make_d().eval()
    assert discriminator.mbstd is not None                              # on by default
    x = images(4)
    changed = x.clone()
    changed[3] = -changed[3]
    with torch.no_grad():
        assert not torch.allclose(discriminator(x)[:3], discriminator(changed)[:3])
        plain = make_d(mbstd_group=0).eval()
        torch.testing.assert_close(plain(x)[:3], plain(changed)[:3])


def test_equalised_lr_weights_are_unit_scale_with_runtime_gain():
    wide = {"channel_max": 64, "channel_base": 1024}
    generator, discriminator = make_g(**wide), make_d(**wide)
    layers = [m for net in (generator, discriminator) for m in net.modules()
              if isinstance(m, (EqualConv2d, ModulatedConv2d))
              or (isinstance(m, EqualLinear) and m.bias_gain == 1)]                # not the mapping network
    assert len(layers) > 10
    stored = torch.cat([m.weight.detach().flatten() for m in layers])
    assert abs(stored.std().item() - 1) < 0.05 and abs(stored.mean().item()) < 0.05
    for m in layers:
        fan_in = m.weight[0].numel()
        assert m.weight_gain == pytest.approx(1 / math.sqrt(fan_in))
    mapping = generator.mapping_net[0]                                   # lr multiplier 0.01
    assert abs(mapping.weight.std().item() - 100) < 10
    assert mapping.weight_gain == pytest.approx(0.01 / math.sqrt(mapping.weight.shape[1]))
    linear = EqualLinear(256, 64)
    x = torch.randn(512, 256)
    assert abs(linear(x).std().item() - 1) < 0.1                        # gain applied at run time


@pytest.mark.parametrize(("build", "kwargs", "field"), [
    (build_generator, {"resolution": 4}, "resolution"),
    (build_generator, {"resolution": 24}, "resolution"),
    (build_discriminator, {"resolution": 12}, "resolution"),
    (build_generator, {"z_dim": 0}, "z_dim"),
    (build_generator, {"w_dim": -1}, "w_dim"),
    (build_generator, {"mapping_layers": 0}, "mapping_layers"),
    (build_generator, {"channel_max": 0}, "channel_max"),
    (build_discriminator, {"channel_base": 0}, "channel_base"),
    (build_generator, {"width": 0}, "width"),
    (build_generator, {"w_avg_beta": 1.5}, "w_avg_beta"),
    (build_generator, {"mixing_prob": -0.1}, "mixing_prob"),
    (build_generator, {"noise_mode": "fixed"}, "noise_mode"),
    (build_discriminator, {"mbstd_group": -1}, "mbstd_group"),
    (build_discriminator, {"mbstd_channels": 3, "channel_max": 16}, "mbstd_channels"),
    (build_generator, {"chanel_max": 16}, "chanel_max"),
])
def test_bad_arguments_name_the_argument(build, kwargs, field):
    with pytest.raises(ConfigError, match=field):
        build("stylegan2", **{"resolution": 16, "channels": 3, **kwargs})


def test_width_is_an_alias_of_channel_max():
    generator = make_g(width=8, channel_max=64)
    assert generator.const.shape[0] == 8
    assert make_d(width=8).conv.weight.shape[0] == 8


def test_training_smoke_through_the_cli(tmp_path, monkeypatch):
    from duelo.cli.main import main

    monkeypatch.chdir(tmp_path)
    assert main(["train", "--dataset", "digits", "--resolution", "16", "--model", "stylegan2",
                 "--batch", "32",
                 "--kimg", "0.64", "--snapshot-kimg", "0.32", "--out", str(tmp_path / "sg"), "--name", "t",
                 "--conditional", "--z-dim", "16",
                 "--set", 'model.g_kwargs={"channel_base": 128, "channel_max": 16, "w_dim": 16, '
                          '"embed_dim": 8}',
                 "--set", 'model.d_kwargs={"channel_base": 128, "channel_max": 16}']) == 0
    assert (tmp_path / "sg" / "t" / "summary.json").exists()


def test_trains_and_truncates_under_bf16_autocast_and_mixing_stays_random():
    import torch
    from duelo.models import build_generator

    torch.manual_seed(0)
    G = build_generator("stylegan2", resolution=8, channels=1, c_dim=0, z_dim=16, w_dim=16, width=16,
                        mapping_layers=2).train()
    z = torch.randn(64, 16)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        images = G(z)                                               # updates w_avg in float32
        G.eval()
        truncated = G(z, psi=0.7)
        G.train()
        ws = G.mapping(z)
    assert images.shape == (64, 1, 8, 8) and truncated.shape == (64, 1, 8, 8)
    assert G.w_avg.dtype == torch.float32 and torch.isfinite(G.w_avg).all()
    # style mixing under autocast: some samples keep their own w in every layer, others switch at varied layers
    switched = (ws != ws[:, :1]).any(dim=2)                         # (N, num_ws): layer differs from layer 0
    first = torch.where(switched.any(1), switched.float().argmax(1), torch.full((64,), -1))
    assert len(set(first.tolist())) >= 2


def test_training_uses_the_unfused_form_and_eval_the_grouped_one(monkeypatch):
    """Same numbers either way; training takes the dense shared convolution (fast on cuDNN), eval the grouped."""
    from duelo.nn import modulated

    layer = modulated.ModulatedConv2d(6, 5, 3, w_dim=4, upsample=True)
    x, w = torch.randn(3, 6, 4, 4), torch.randn(3, 4)
    seen = []
    original = modulated.modulated_conv2d
    monkeypatch.setattr(modulated, "modulated_conv2d",
                        lambda *args, fused: seen.append(fused) or original(*args, fused=fused))
    train_out = layer.train()(x, w)
    eval_out = layer.eval()(x, w)
    assert seen == [False, True]
    assert train_out.shape == (3, 5, 8, 8)
    torch.testing.assert_close(train_out, eval_out, atol=1e-5, rtol=1e-4)


def test_linear_output_overshoots_in_training_and_is_clamped_in_eval():
    G = make_g(output="linear")
    with torch.no_grad():
        G.to_rgb[-1].bias.fill_(3.0)                          # push every pixel far above 1
        trained = G.train()(latents(4))
        shown = G.eval()(latents(4))
    assert trained.max() > 1.5                                # D sees the raw output, as in the paper
    assert shown.max() <= 1.0 and shown.min() >= -1.0
    tanh = make_g()                                           # the default
    with torch.no_grad():
        tanh.to_rgb[-1].bias.fill_(3.0)
        assert tanh.train()(latents(4)).max() < 1.0


def test_fir_and_box_discriminators_share_weights_but_not_outputs():
    fir, box = make_d(seed=3), make_d(seed=3, resample="box")
    assert fir.state_dict().keys() == box.state_dict().keys()
    box.load_state_dict(fir.state_dict())
    x = images(4)
    assert not torch.allclose(fir(x), box(x))


def test_models_saved_before_output_and_resample_existed_rebuild_as_they_were(tmp_path):
    import json

    from duelo.io.pretrained import load_pretrained, save_pretrained

    for model, key, old in ((make_g(output="tanh"), "output", "tanh"), (make_d(resample="box"), "resample", "box")):
        folder = save_pretrained(model, tmp_path / key)
        config = json.loads((folder / "config.json").read_text())
        assert config["kwargs"].pop(key) == old               # as duelo 0.1 wrote it: without the argument
        (folder / "config.json").write_text(json.dumps(config))
        assert getattr(load_pretrained(folder), key) == old


def test_the_preset_builds_a_generator_without_noise_inputs_and_the_papers_can_be_restored():
    from duelo.tasks.image_gan.parts import model_kwargs
    from duelo.tasks.presets import load_preset

    preset = load_preset("stylegan2")
    g_kwargs, _ = model_kwargs(preset, 16, 3, 0)
    G = build_generator("stylegan2", **{**g_kwargs, "channel_base": 64, "channel_max": 16})
    assert G.noise_mode == "none"
    z = torch.randn(2, G.z_dim)
    G.train()
    assert torch.equal(G(z), G(z))                                    # no random noise in training either
    restored = preset.with_overrides({"model.g_kwargs": {"noise_mode": "auto"}})
    assert model_kwargs(restored, 16, 3, 0)[0]["noise_mode"] == "auto"
