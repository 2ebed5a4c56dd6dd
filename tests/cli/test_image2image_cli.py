"""`duelo translate`, `duelo inpaint` and `duelo restore` on tiny trained runs: outputs, sizes, provenance,
known pixels kept bit for bit by inpainting, and clear refusals (exit 2, naming the thing at fault)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from duelo.cli.main import cli, main
from duelo.io.images import read_png_text
from duelo.io.pretrained import model_sha256

SMALL = ["--resolution", "16", "--width", "8", "--batch", "8", "--kimg", "0.016", "--snapshot-kimg", "0.016",
         "--device", "cpu", "--set", 'model.d_kwargs={"n_layers": 2}', "--set", "image2image.eval_images=16"]
RUNS = {
    "translate": ["--task", "translate", "--dataset", "digits", "--degrade", "edges"],
    "inpaint": ["--task", "inpaint", "--dataset", "digits"],
    "denoise": ["--task", "denoise", "--dataset", "digits"],
    "superres": ["--task", "superres", "--dataset", "digits", "--set", 'image2image.degrade_kwargs={"scale": 2}'],
    "cyclegan": ["--task", "cyclegan", "--dataset", "digits", "--source", "mnist-5k"],
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, _private_cache):
    """Run folders of tiny trainings (16 images each; ~1 s together): every task and an image-gan run."""
    out = tmp_path_factory.mktemp("runs")
    for name, args in RUNS.items():
        assert main(["train", *args, *SMALL, "--out", str(out), "--name", name]) == 0, name
    assert main(["train", "--dataset", "digits", "--resolution", "16", "--kimg", "0.008", "--batch", "8",
                 "--width", "8", "--augment", "none", "--no-health", "--device", "cpu", "--out", str(out),
                 "--name", "gan"]) == 0
    return out


def _png(path, height, width, channels=1, seed=0):
    """A random image (not a multiple of the unet's 16 unless asked), saved as PNG; returns its pixels."""
    pixels = np.random.RandomState(seed).randint(0, 256, (height, width, channels), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels[:, :, 0] if channels == 1 else pixels).save(path)
    return pixels


def _pixels(path):
    return np.asarray(Image.open(path))


# --- help ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command, option", [("translate", "--reverse"), ("inpaint", "--generate-mask"),
                                             ("restore", "--degrade-first")])
def test_help_of_each_command(command, option):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert option in result.output and "Examples:" in result.output


# --- translate ----------------------------------------------------------------------------------------------

def test_translate_keeps_any_size_and_names_and_writes_provenance(runs, tmp_path, capsys):
    from duelo.sampling.image2image import load_translator, translate_images

    _png(tmp_path / "in" / "a.png", 13, 20)
    _png(tmp_path / "in" / "sub" / "b.png", 9, 7, channels=3, seed=1)          # colour into a grey model
    single = _png(tmp_path / "c.png", 5, 40, seed=2)
    out = tmp_path / "out"
    assert main(["translate", str(runs / "translate"), str(tmp_path / "in"), str(tmp_path / "c.png"),
                 "--out", str(out)]) == 0
    assert "translated 3 image(s)" in capsys.readouterr().out
    assert _pixels(out / "a.png").shape == (13, 20)
    assert _pixels(out / "sub" / "b.png").shape == (9, 7)                       # folder layout kept
    assert _pixels(out / "c.png").shape == (5, 40)
    text = read_png_text(out / "c.png")
    assert text["duelo:model_sha256"] == model_sha256(runs / "translate" / "model")
    assert text["duelo:task"] == "translate" and text["duelo:source"] == "c.png" and "duelo:version" in text
    G, task, model_dir = load_translator(runs / "translate")
    expected = translate_images(G, torch.from_numpy(single).permute(2, 0, 1)[None])[0, 0]
    assert np.array_equal(_pixels(out / "c.png"), expected.numpy())


def test_translate_refuses_to_overwrite_unless_forced(runs, tmp_path, capsys):
    _png(tmp_path / "a.png", 16, 16)
    args = ["translate", str(runs / "translate"), str(tmp_path / "a.png"), "--out", str(tmp_path / "out")]
    assert main(args) == 0
    (tmp_path / "out" / "a.png").write_bytes(b"keep")
    assert main(args) == 2
    assert "--force" in capsys.readouterr().err
    assert (tmp_path / "out" / "a.png").read_bytes() == b"keep"
    assert main(args + ["--force"]) == 0
    assert _pixels(tmp_path / "out" / "a.png").shape == (16, 16)


def test_translate_cyclegan_both_ways(runs, tmp_path):
    _png(tmp_path / "a.png", 12, 10)
    for flag, folder, direction in (([], "model", "a_to_b"), (["--reverse"], "model-reverse", "b_to_a")):
        out = tmp_path / direction
        assert main(["translate", str(runs / "cyclegan"), str(tmp_path / "a.png"), "--out", str(out), *flag]) == 0
        text = read_png_text(out / "a.png")
        assert text["duelo:direction"] == direction
        assert text["duelo:model_sha256"] == model_sha256(runs / "cyclegan" / folder)
        assert _pixels(out / "a.png").shape == (12, 10)
    # --reverse from a model folder means the other direction next to it
    assert main(["translate", str(runs / "cyclegan" / "model-reverse"), str(tmp_path / "a.png"), "--out",
                 str(tmp_path / "back"), "--reverse"]) == 0
    assert read_png_text(tmp_path / "back" / "a.png")["duelo:direction"] == "a_to_b"


# --- inpaint ------------------------------------------------------------------------------------------------

def test_inpaint_keeps_every_pixel_outside_a_user_mask_bit_for_bit(runs, tmp_path, capsys):
    from duelo.sampling.image2image import load_translator, run_padded

    image = _png(tmp_path / "photo.png", 13, 21)[:, :, 0]                      # not a multiple of 16
    mask = np.zeros((13, 21), np.uint8)
    mask[2:9, 5:14] = 200                                                       # > 127: holes
    mask[10:12, 1:3] = 100                                                      # <= 127: kept
    Image.fromarray(mask).save(tmp_path / "mask.png")
    out = tmp_path / "filled.png"
    assert main(["inpaint", str(runs / "inpaint"), str(tmp_path / "photo.png"), "--mask", str(tmp_path / "mask.png"),
                 "--out", str(out)]) == 0
    assert "filled 63 hole pixel(s)" in capsys.readouterr().out
    filled = _pixels(out)
    holes = mask > 127
    assert filled.shape == image.shape and filled.dtype == np.uint8
    assert np.array_equal(filled[~holes], image[~holes])                        # exactly, bit for bit
    assert read_png_text(out)["duelo:mask"] == "mask.png"
    # the model alone changes known pixels, so the equality above comes from the paste-back
    G, _, _ = load_translator(runs / "inpaint")
    x = torch.from_numpy(image).float().div(127.5).sub(1)[None, None]
    mask = torch.from_numpy(holes)[None, None]
    raw = run_padded(G, torch.cat([torch.where(mask, 0.0, x), mask.float()], 1))
    raw_uint8 = ((raw[0, 0] + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).numpy()
    assert not np.array_equal(raw_uint8[~holes], image[~holes])


@pytest.mark.parametrize("kind", ["boxes", "strokes"])
def test_inpaint_generated_mask_is_saved_and_known_pixels_kept(runs, tmp_path, kind):
    image = _png(tmp_path / "photo.png", 18, 30, seed=4)[:, :, 0]
    out = tmp_path / "out" / "filled.png"
    args = ["inpaint", str(runs / "inpaint"), str(tmp_path / "photo.png"), "--generate-mask", kind,
            "--seed", "3", "--area", "0.2,0.2"]
    assert main([*args, "--out", str(out)]) == 0
    mask = _pixels(tmp_path / "out" / "filled-mask.png")
    assert mask.shape == image.shape and set(np.unique(mask)) <= {0, 255}
    holes = mask == 255
    assert abs(holes.mean() - 0.2) < 0.02
    assert np.array_equal(_pixels(out)[~holes], image[~holes])
    assert main([*args, "--out", str(tmp_path / "again.png")]) == 0                 # same seed, same mask
    assert np.array_equal(_pixels(tmp_path / "again-mask.png"), mask)


# --- restore ------------------------------------------------------------------------------------------------

def test_restore_superres_output_is_scale_times_larger(runs, tmp_path, capsys):
    from duelo.sampling.image2image import load_translator, restore_images

    low = _png(tmp_path / "small.png", 7, 10)
    assert main(["restore", str(runs / "superres"), str(tmp_path / "small.png"), "--out", str(tmp_path / "out")]) == 0
    assert "restored 1 image(s)" in capsys.readouterr().out
    big = _pixels(tmp_path / "out" / "small.png")
    assert big.shape == (14, 20)                                                # scale 2
    G, task, _ = load_translator(runs / "superres")
    expected = restore_images(G, task, torch.from_numpy(low).permute(2, 0, 1)[None])[0, 0]
    assert np.array_equal(big, expected.numpy())


def test_restore_denoise_keeps_size_and_degrade_first_shows_three_panels(runs, tmp_path):
    _png(tmp_path / "a.png", 11, 19)
    assert main(["restore", str(runs / "denoise"), str(tmp_path / "a.png"), "--out", str(tmp_path / "plain")]) == 0
    assert _pixels(tmp_path / "plain" / "a.png").shape == (11, 19)
    for run, seed in (("denoise", "1"), ("translate", "0")):                      # noise; edge extraction
        out = tmp_path / run
        assert main(["restore", str(runs / run), str(tmp_path / "a.png"), "--out", str(out),
                     "--degrade-first", "--seed", seed]) == 0
        panels = _pixels(out / "a.png")
        assert panels.shape == (11, 3 * 19 + 2 * 2)                              # damaged | restored | original
        assert read_png_text(out / "a.png")["duelo:degrade_seed"] == seed
    assert np.array_equal(_pixels(tmp_path / "denoise" / "a.png")[:, -19:], _pixels(tmp_path / "a.png"))


def test_restore_superres_degrade_first_restores_to_the_cropped_size(runs, tmp_path):
    _png(tmp_path / "a.png", 11, 19)
    assert main(["restore", str(runs / "superres"), str(tmp_path / "a.png"), "--out", str(tmp_path / "out"),
                 "--degrade-first"]) == 0
    assert _pixels(tmp_path / "out" / "a.png").shape == (10, 3 * 18 + 4)       # cropped to a multiple of 2


# --- refusals -----------------------------------------------------------------------------------------------

def _no_task_json(runs, tmp_path):
    model = tmp_path / "bare"
    shutil.copytree(runs / "translate" / "model", model)
    (model / "task.json").unlink()
    return model


REFUSALS = [
    ("gan-translate", lambda r, t: ["translate", str(r / "gan"), str(t / "a.png"), "--out", str(t / "o")],
     "duelo sample"),
    ("gan-inpaint", lambda r, t: ["inpaint", str(r / "gan"), str(t / "a.png"), "--mask", str(t / "m.png"),
                                  "--out", str(t / "o.png")], "duelo sample"),
    ("gan-restore", lambda r, t: ["restore", str(r / "gan"), str(t / "a.png"), "--out", str(t / "o")],
     "duelo sample"),
    ("mask-size", lambda r, t: ["inpaint", str(r / "inpaint"), str(t / "a.png"), "--mask", str(t / "small.png"),
                                "--out", str(t / "o.png")], "small.png is 5x4 pixels"),
    ("reverse", lambda r, t: ["translate", str(r / "translate"), str(t / "a.png"), "--out", str(t / "o"),
                              "--reverse"], "--reverse is for cyclegan"),
    ("missing-image", lambda r, t: ["translate", str(r / "translate"), str(t / "nope.png"), "--out", str(t / "o")],
     "no such image file or folder: " + "{t}/nope.png"),
    ("missing-inpaint-image", lambda r, t: ["inpaint", str(r / "inpaint"), str(t / "nope.png"), "--mask",
                                            str(t / "m.png"), "--out", str(t / "o.png")], "nope.png"),
    ("inpaint-to-restore", lambda r, t: ["restore", str(r / "inpaint"), str(t / "a.png"), "--out", str(t / "o")],
     "duelo inpaint"),
    ("denoise-to-inpaint", lambda r, t: ["inpaint", str(r / "denoise"), str(t / "a.png"), "--mask", str(t / "m.png"),
                                         "--out", str(t / "o.png")], "use `duelo restore`"),
    ("denoise-to-translate", lambda r, t: ["translate", str(r / "denoise"), str(t / "a.png"), "--out", str(t / "o")],
     "use `duelo restore`"),
    ("cyclegan-to-restore", lambda r, t: ["restore", str(r / "cyclegan"), str(t / "a.png"), "--out", str(t / "o")],
     "use `duelo translate`"),
    ("no-task-json", lambda r, t: ["translate", str(_no_task_json(r, t)), str(t / "a.png"), "--out", str(t / "o")],
     "task.json is missing"),
    ("two-masks", lambda r, t: ["inpaint", str(r / "inpaint"), str(t / "a.png"), "--mask", str(t / "m.png"),
                                "--generate-mask", "boxes", "--out", str(t / "o.png")], "either --mask"),
    ("bad-image", lambda r, t: ["translate", str(r / "translate"), str(t / "junk.png"), "--out", str(t / "o")],
     "junk.png: not an image"),
]


@pytest.mark.parametrize("name, make_args, message", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals_exit_2_naming_the_thing(runs, tmp_path, capsys, name, make_args, message):
    _png(tmp_path / "a.png", 12, 12)
    Image.fromarray(np.full((12, 12), 255, np.uint8)).save(tmp_path / "m.png")
    _png(tmp_path / "small.png", 4, 5)
    (tmp_path / "junk.png").write_bytes(b"not a png")
    assert main(make_args(runs, tmp_path)) == 2
    assert message.format(t=tmp_path) in capsys.readouterr().err
    assert not (tmp_path / "o").exists() and not (tmp_path / "o.png").exists()


# --- the Python API -----------------------------------------------------------------------------------------

def test_api_pads_tiny_and_odd_sizes_and_loads_run_or_model_folder(runs):
    from duelo.sampling.image2image import load_translator, reflect_pad, translate_images

    G, task, model_dir = load_translator(runs / "translate")
    G2, _, model_dir2 = load_translator(runs / "translate" / "model")
    assert model_dir == model_dir2 and task["task"] == "translate" and G.size_multiple == 16
    for height, width in ((1, 1), (3, 40), (17, 2)):
        images = torch.randint(0, 256, (2, 3, height, width), dtype=torch.uint8)
        assert translate_images(G, images).shape == (2, 1, height, width)
    x = torch.arange(6.0).view(1, 1, 2, 3)
    padded = reflect_pad(x, 16, 16)
    assert padded.shape == (1, 1, 16, 16)
    assert torch.equal(padded[:, :, 7:9, 6:9], x)                               # centred, unchanged
    assert G.training is False


def test_no_image_to_image_command_writes_inside_a_run_even_with_force(runs, tmp_path, capsys):
    """The shared output policy (duelo.io.outputs): a run's own files are never an output, --force or not."""
    image = tmp_path / "in.png"
    _png(image, 16, 16)
    before = {p: p.read_bytes() for p in (runs / "inpaint").rglob("*") if p.is_file() and p.name != ".lock"}
    cases = [["translate", str(runs / "translate"), str(image), "--out", str(runs / "translate" / "model")],
             ["inpaint", str(runs / "inpaint"), str(image), "--generate-mask", "boxes", "--out",
              str(sorted((runs / "inpaint" / "samples").glob("*.png"))[-1])],            # a training grid
             ["restore", str(runs / "denoise"), str(image), "--out", str(runs / "denoise" / "samples")]]
    for argv in cases:
        for force in ([], ["--force"]):
            assert main(argv + force) == 2, argv
            err = capsys.readouterr().err
            assert "duelo manages" in err or "exist" in err, err
    assert before == {p: p.read_bytes() for p in before}
