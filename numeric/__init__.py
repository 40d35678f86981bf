"""Numeric layer (torch, float64): quadrature, the population Gram matrix and λ*, the
finite-width DEQ with exact implicit gradients, gradient descent, width sweeps."""

from __future__ import annotations

from symbolic.lazy import lazy_dir, lazy_getattr

#: Public name -> module; imported on first use, so that light modules (errors, settings) can be
#: imported without sympy and torch.
_LAZY = {
    "Dataset": "numeric.data",
    "load_dataset": "numeric.data",
    "max_correlation": "numeric.data",
    "DEQ": "numeric.deq",
    "DEQParams": "numeric.deq",
    "adjoint": "numeric.deq",
    "empirical_ntk": "numeric.deq",
    "equilibrium": "numeric.deq",
    "init_params": "numeric.deq",
    "Solution": "numeric.fixed_point",
    "GramResult": "numeric.gram",
    "population_gram_unit": "numeric.gram",
    "population_gram_general": "numeric.gram",
    "population_gram_variances": "numeric.gram_variances",
    "NormBound": "numeric.operator_norm",
    "spectral_norm_bound": "numeric.operator_norm",
    "ntk_infinite": "numeric.ntk",
    "hermite_float": "numeric.quadrature",
    "hermite_many": "numeric.quadrature",
    "Certificate": "numeric.spectrum",
    "Spectrum": "numeric.spectrum",
    "hermite_certificate": "numeric.spectrum",
    "spectral_bounds": "numeric.spectrum",
    "TrainingResult": "numeric.training",
    "train_deq": "numeric.training",
    "GramSweep": "numeric.width",
    "gram_sweep": "numeric.width",
    "theory_width_scale": "numeric.width",
}

__all__ = sorted(_LAZY)


__getattr__ = lazy_getattr(__name__, _LAZY)
__dir__ = lazy_dir(globals(), _LAZY)
