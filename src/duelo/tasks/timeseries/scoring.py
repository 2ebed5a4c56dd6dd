"""The scores of a time-series run: generated windows against the held-out real ones, with the real training
windows as the reference where a score needs one (duelo.evaluation.sequences has the definitions)."""

from __future__ import annotations

import torch

PROTOCOL_STEPS = {"discriminative": 2000, "predictive": 5000,     # Yoon et al. 2019, their evaluation code
                  "classifier": 1000,                               # duelo's, for labelled windows
                  "encoder": 300}                                   # duelo's context-FID embedding


def score_windows(data, fake: torch.Tensor, steps: int, seed: int, device: str,
                  fake_labels: torch.Tensor | None = None, fake_lengths: torch.Tensor | None = None,
                  training_reference: bool = True, discriminative_on: str = "heldout") -> dict:
    """data: the run's SeriesSplit (train, heldout); fake: (M, T, C) generated windows in [-1, 1]; steps: training
    steps of each post-hoc network, 0 = the TimeGAN protocol; fake_labels: the classes the windows were drawn
    for (a conditional model): then a classifier trained on them is tested on the held-out windows, beside one
    trained on the real training windows; fake_lengths: the generated windows' lengths (variable-length data),
    read with the real windows' own lengths. `training_reference` False: `data.train` is not what the model
    trained on (a private run's split of its evaluation windows: SeriesSplit.scored), so memorisation is not
    measured. `discriminative_on` "all": the discriminative scores read every real window (training and held-out)
    against as many generated ones, as TimeGAN's protocol does; more test windows, a less noisy score."""
    from duelo.evaluation import sequence_models as m
    from duelo.evaluation.window_classifier import classification_accuracy
    from duelo.evaluation import sequences as s

    real, train = data.heldout.windows.float(), data.train.windows.float()
    fake = fake.float()
    rl, tl, fl = data.heldout.lengths, data.train.lengths, fake_lengths
    rf = {"lengths_real": rl, "lengths_fake": fl}                    # real against generated
    rt = {"lengths_real": rl, "lengths_fake": tl}                    # real against the training windows
    disc_real, disc_lengths = real, rl
    if discriminative_on == "all":
        disc_real = torch.cat([real, train])
        disc_lengths = None if rl is None else torch.cat([rl, tl])
    disc, disc_conv = (m.discriminative_score(disc_real, fake, seed=seed, lengths_real=disc_lengths,
                                              lengths_fake=fl, steps=steps or PROTOCOL_STEPS["discriminative"],
                                              network=network, device=device) for network in ("gru", "conv"))
    predictive_steps = steps or PROTOCOL_STEPS["predictive"]
    tstr = m.predictive_score(real, fake, seed=seed, steps=predictive_steps, device=device, **rf)
    trtr = m.predictive_score(real, train, seed=seed, steps=predictive_steps, device=device, **rt)
    encoder = m.train_sequence_encoder(train, lengths=tl, seed=seed, steps=steps or PROTOCOL_STEPS["encoder"],
                                       device=device)
    memo = (s.memorisation_report(fake, train, real, lengths_fake=fl, lengths_train=tl, lengths_heldout=rl,
                                  device=device) if training_reference else
            {"skipped": "a private run: the training windows are read only by DP-SGD; `duelo audit RUN` measures "
                        "how close generated windows come to them"})
    usefulness = {}
    if fake_labels is not None and data.train.labels is not None:
        classes, classifier_steps = len(data.train.class_names), steps or PROTOCOL_STEPS["classifier"]
        accuracy = {name: classification_accuracy(windows, labels, real, data.heldout.labels, classes, seed=seed,
                                                    steps=classifier_steps, train_lengths=lengths,
                                                    test_lengths=rl, device=device)
                    for name, windows, labels, lengths in (("synthetic", fake, fake_labels, fl),
                                                           ("real", train, data.train.labels, tl))}
        usefulness = {"class_accuracy_synthetic": round(accuracy["synthetic"], 4),
                      "class_accuracy_real": round(accuracy["real"], 4),
                      "class_accuracy_ratio": round(accuracy["synthetic"] / max(accuracy["real"], 1e-9), 4)}
    return {
        "discriminative": round(float(disc["score"]), 4),
        "discriminative_conv": round(float(disc_conv["score"]), 4),
        "discriminative_test_windows": int(disc["test_n"]),
        "predictive_mae": round(float(tstr["mae"]), 4),
        "predictive_mae_real": round(float(trtr["mae"]), 4),
        "context_fid": round(float(m.context_fid(real, fake, encoder, **rf)), 4),
        "context_fid_real": round(float(m.context_fid(real, train, encoder, **rt)), 4),
        "autocorrelation": round(float(s.autocorrelation_distance(real, fake, **rf)), 4),
        "cross_correlation": round(float(s.cross_correlation_distance(real, fake, **rf)), 4),
        "marginal": round(float(s.marginal_distance(real, fake, **rf)), 4),
        "memorisation": memo,
        **usefulness,
        "real_windows": int(real.shape[0]), "generated_windows": int(fake.shape[0]),
        **({} if fl is None else {"mean_length": round(float(fl.double().mean()), 2),
                                  "mean_length_real": round(float(rl.double().mean()), 2)}),
        "note": "discriminative: |accuracy - 0.5| of a post-hoc GRU telling held-out (series.discriminative_on "
                "all: every) real window from generated ones (0 best; standard error ~0.5/sqrt(test windows); "
                "TimeGAN's protocol, whose GRU of C/2 units can fail to learn and then reads 0); discriminative_conv: "
                "the same with a convolutional classifier whose size does not depend on C; "
                "predictive_mae: train on generated, test on held-out real, next-step MAE (predictive_mae_real: "
                "train on real training windows); context_fid_real: training windows against held-out ones; "
                "class_accuracy_*: held-out accuracy of a classifier trained on generated (labelled) or real "
                "training windows" + ("" if training_reference else
                                      "; a private run: every 'training windows' above is one half of its "
                                      "evaluation split, the held-out windows the other half"),
    }
