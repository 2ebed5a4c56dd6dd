"""Reusable layers shared by several architecture families (no architectures live here).

Import the submodule you need, e.g. `from duelo.nn.conditioning import LabelEmbedding`:
  conditioning  LabelEmbedding (class code for a generator), ClassProjection (projection discriminator)
  weight_init   dcgan_init_ (the N(0, 0.02) initialisation of Radford et al. 2015)
  minibatch_std MinibatchStd (batch statistics as an extra feature for D; Karras et al. 2018)
  spectral_norm apply_spectral_norm (every weight of a module normalised; Miyato et al. 2018)
"""
