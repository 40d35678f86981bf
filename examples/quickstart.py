# %% [markdown]
# # deq-verify quickstart
#
# The five most common uses, each one call. Runs as a script (`python examples/quickstart.py`,
# under a minute on 2 cores) or as a notebook (Jupytext/VS Code percent cells). The mathematics
# behind every number is in `docs/theory.md`.

# %%
import torch

import verify

# %% [markdown]
# ## 1. Verify an activation: hypotheses, λ* with its certificate, a trained network
# The same run as `python -m verify activation tanh --n 12 --width 256 --steps 80`.

# %%
r = verify.check("tanh", n=12, width=256, steps=80, width_sweep=False)
print(repr(r))
print("λ* =", r.gram.lambda_star, "certified in", r.gram.enclosure)
print("measured rate per step:", r.training.rate.rate, "bound:", r.training.rate_bound)

# %% [markdown]
# ## 2. Hermite coefficients μ_n(q), 30 digits (parity zeros are exact zeros)
# The activation may be a name, a formula, a sympy expression or a library function: torch's
# GELU module is read as its exact formula x·Φ(x), the registry's "gelu".

# %%
h = verify.hermite(torch.nn.GELU(), 6, q=0.5)
print(h)
print("zero by parity:", h.zeros)

# %% [markdown]
# ## 3. The population Gram matrix G* for your own inputs

# %%
gen = torch.Generator().manual_seed(0)
x = torch.randn(10, 5, generator=gen, dtype=torch.float64)
x = x / x.norm(dim=1, keepdim=True)
g = verify.population_gram("sin", x, 1 / 16)
print(g)
print("eigenvalues of G*:", g.eigenvalues[:3])

# %% [markdown]
# ## 4. λ* with a proof: an enclosure in ball arithmetic

# %%
lam = verify.lambda_star("sin", x, 1 / 16)
print(lam, "positive, proved:", lam.certified_positive)

# %% [markdown]
# ## 5. Train a DEQ by gradient descent with exact implicit gradients

# %%
y = 0.1 * torch.randn(10, generator=gen, dtype=torch.float64)
t = verify.train("tanh", x, y, width=256, steps=60)
print(f"loss {t.initial_loss:.3e} → {t.final_loss:.3e}; rate {t.rate.rate:.5f} per step")
