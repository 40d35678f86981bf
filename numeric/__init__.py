"""Numeric layer (torch, float64): population Gram matrix, λ*, finite-width DEQ, training."""

from numeric.data import Dataset, check_nonparallel, digits_data, load_data, sphere_data
from numeric.deq import DEQ, DEQParams, adjoint, equilibrium, equilibrium_autograd, init_params, ntk
from numeric.gram import GramResult, population_gram, population_gram_general
from numeric.ntk import ntk_infinite
from numeric.spectrum import Certificate, check_lambda_star, eigenvalues, hermite_certificate
from numeric.training import TrainingResult, check_lambda0, check_linear_rate, train
from numeric.width import GramSweep, WidthStudy, gram_sweep, width_study

__all__ = [
    "DEQ",
    "Certificate",
    "DEQParams",
    "Dataset",
    "GramResult",
    "GramSweep",
    "TrainingResult",
    "WidthStudy",
    "adjoint",
    "check_lambda0",
    "check_lambda_star",
    "check_linear_rate",
    "check_nonparallel",
    "digits_data",
    "eigenvalues",
    "equilibrium",
    "equilibrium_autograd",
    "gram_sweep",
    "hermite_certificate",
    "init_params",
    "load_data",
    "ntk",
    "ntk_infinite",
    "population_gram",
    "population_gram_general",
    "sphere_data",
    "train",
    "width_study",
]
