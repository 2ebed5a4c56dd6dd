"""The pieces of the tabular GAN: condition sampling, the span activation, the WGAN-GP critic loss."""

import numpy as np
import pandas as pd
import pytest
import torch

from duelo.errors import DataError
from duelo.tabular import TabularTransformer
from duelo.tasks.tabular.conditioning import ConditionSampler, discrete_spans, resolve_condition
from duelo.tasks.tabular.networks import PacDiscriminator, ResidualGenerator, SpanActivation
from duelo.tasks.tabular.objective import critic_loss


def _frame(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "x": rng.normal(size=n),
        "colour": rng.choice(["red", "green", "blue"], size=n, p=[0.7, 0.25, 0.05]),
        "size": rng.choice(["S", "L"], size=n, p=[0.9, 0.1]),
    })


@pytest.fixture(scope="module")
def encoded():
    df = _frame()
    transformer = TabularTransformer(random_state=0).fit(df)
    return df, transformer, transformer.transform(df)


def test_spans_cover_the_categorical_columns(encoded):
    _, transformer, matrix = encoded
    spans = discrete_spans(transformer.column_specs_)
    assert [width for _, width in spans] == [3, 2]
    for start, width in spans:            # each span is a one-hot block of the matrix
        np.testing.assert_array_equal(matrix[:, start:start + width].sum(axis=1), 1.0)


def test_training_draws_favour_rare_categories_by_log_frequency(encoded):
    df, transformer, matrix = encoded
    sampler = ConditionSampler.from_encoded(matrix, transformer.column_specs_)
    generator = torch.Generator().manual_seed(0)
    draws = sampler.sample(200_000, training=True, generator=generator)
    counts = np.bincount(draws.index.numpy(), minlength=sampler.cond_dim) / 200_000
    colour_counts = df["colour"].value_counts()[["red", "green", "blue"]].to_numpy()
    expected = 0.5 * np.log1p(colour_counts) / np.log1p(colour_counts).sum()     # half the draws pick colour
    np.testing.assert_allclose(counts[:3], expected, atol=0.005)
    frequency = sampler.sample(200_000, training=False, generator=generator)
    counts = np.bincount(frequency.index.numpy(), minlength=sampler.cond_dim) / 200_000
    np.testing.assert_allclose(counts[:3], 0.5 * colour_counts / colour_counts.sum(), atol=0.005)
    one_hot = draws.vector.numpy()
    assert one_hot.shape == (200_000, sampler.cond_dim) and (one_hot.sum(axis=1) == 1).all()
    assert (one_hot.argmax(axis=1) == draws.index.numpy()).all()


def test_real_rows_have_the_conditioned_category(encoded):
    df, transformer, matrix = encoded
    sampler = ConditionSampler.from_encoded(matrix, transformer.column_specs_)
    draws = sampler.sample(5000, training=True, generator=torch.Generator().manual_seed(1))
    rows = sampler.real_rows(draws.index, generator=torch.Generator().manual_seed(2)).numpy()
    levels = {0: transformer.column_specs_[1].levels, 1: transformer.column_specs_[2].levels}
    names = {0: "colour", 1: "size"}
    for span, category, row in zip(draws.span.numpy(), draws.category.numpy(), rows):
        assert df[names[span]].iloc[row] == levels[span][category]
    assert len(np.unique(rows)) > 1000           # uniform among matching rows, not one row each


def test_resolve_condition_errors_name_the_problem(encoded):
    _, transformer, _ = encoded
    specs = transformer.column_specs_
    assert resolve_condition(specs, "size", "L") == (1, transformer.column_specs_[2].levels.index("L"), "L")
    with pytest.raises(DataError, match="'purple' was not seen in column 'colour'"):
        resolve_condition(specs, "colour", "purple")
    with pytest.raises(DataError, match="categorical columns only"):
        resolve_condition(specs, "x", 1.0)
    with pytest.raises(DataError, match="not fitted on"):
        resolve_condition(specs, "weight", 3)


def test_span_activation_matches_per_span_reference():
    info = [(1, "tanh"), (3, "softmax"), (1, "tanh"), (2, "softmax"), (4, "softmax")]
    activation = SpanActivation(info, discrete_spans=[(5, 2), (7, 4)], tau=1.0)
    raw = torch.randn(6, 11, dtype=torch.float64).float()
    torch.manual_seed(0)
    out, logits = activation(raw)
    torch.manual_seed(0)
    uniform = torch.rand(6, 3, 4).clamp_(1e-10, 1.0 - 1e-7)        # the same draws the activation made
    gumbel = -torch.log(-torch.log(uniform))
    expected = raw.clone()
    expected[:, [0, 4]] = torch.tanh(raw[:, [0, 4]])
    for s, (start, width) in enumerate([(1, 3), (5, 2), (7, 4)]):
        expected[:, start:start + width] = torch.softmax(raw[:, start:start + width] + gumbel[:, s, :width], dim=1)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-6)
    # conditional loss: cross-entropy of the conditioned span only
    span, category = torch.tensor([0, 1, 1, 0, 1, 0]), torch.tensor([1, 3, 0, 0, 2, 1])
    loss = activation.condition_loss(logits, span, category)
    reference = torch.stack([torch.nn.functional.cross_entropy(
        raw[b:b + 1, 5:7] if span[b] == 0 else raw[b:b + 1, 7:11], category[b:b + 1]) for b in range(6)]).mean()
    torch.testing.assert_close(loss, reference)


def test_critic_loss_has_the_analytic_gradient_penalty():
    torch.manual_seed(0)
    critic = PacDiscriminator(4, hidden=(), pac=2)                  # linear: D(pack) = w . pack + b
    real, fake = torch.randn(8, 4), torch.randn(8, 4)
    loss = critic_loss(critic, real, fake, pac=2, weight=10.0)
    w = critic.net[0].weight.detach().flatten()
    d = lambda x: x.reshape(4, 8) @ w + critic.net[0].bias.detach()   # noqa: E731
    expected = d(fake).mean() - d(real).mean() + 10.0 * (w.norm() - 1) ** 2
    torch.testing.assert_close(loss, expected)
    loss.backward()                                                  # the penalty is differentiable
    assert critic.net[0].weight.grad.abs().sum() > 0


def test_generator_and_critic_shapes():
    generator = ResidualGenerator(10, (16, 8), 7)
    assert generator(torch.randn(5, 10)).shape == (5, 7)
    critic = PacDiscriminator(7, (16,), pac=5)
    assert critic(torch.randn(20, 7)).shape == (4, 1)


def test_condition_values_match_across_types_and_spacing():
    df = pd.DataFrame({"year": [2020.0, 2021.0, np.nan] * 20, "flag": [True, False, True] * 20,
                       "sex": ["Female", "Male", "Male"] * 20})
    specs = TabularTransformer(discrete_columns=["year", "flag", "sex"], random_state=0).fit(df).column_specs_
    assert resolve_condition(specs, "year", "2020")[2] == 2020.0
    assert resolve_condition(specs, "year", 2021)[2] == 2021.0
    assert resolve_condition(specs, "flag", "true")[2] is True
    assert resolve_condition(specs, "flag", "False")[2] is False
    assert resolve_condition(specs, "sex", " Female ")[2] == "Female"
    with pytest.raises(DataError, match="missing values are not supported"):
        resolve_condition(specs, "year", None)
    with pytest.raises(DataError, match="'2022' was not seen"):
        resolve_condition(specs, "year", "2022")


def test_critic_dropout_draws_from_the_given_generator_only():
    critic = PacDiscriminator(7, (32, 32), pac=5).train()
    x = torch.randn(20, 7)
    first = critic(x, torch.Generator().manual_seed(3))
    torch.manual_seed(123)                                           # the global generator plays no part
    again = critic(x, torch.Generator().manual_seed(3))
    other = critic(x, torch.Generator().manual_seed(4))
    torch.testing.assert_close(first, again)
    assert not torch.allclose(first, other)                          # masks differ with the stream
    critic.eval()
    torch.testing.assert_close(critic(x), critic(x, torch.Generator().manual_seed(5)))   # no dropout at eval
