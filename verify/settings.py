"""Typed settings of one verification run; the CLI parses strings into this at the boundary."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from numeric.data import DEFAULT_LABEL_SCALE


@dataclass(frozen=True)
class Settings:
    """Every option of a run. ``sigma_w2=None`` means the default 1/(16 L²) (1/16 if L = ∞)."""

    activation: str = "sin"
    n: int = 20
    d: int = 10
    data: str | None = None  # None: sphere; "digits"; or a .npy/.csv path
    label_scale: float = DEFAULT_LABEL_SCALE
    width: int = 512
    sigma_w2: float | None = None
    steps: int = 200
    lr: float | None = None
    seed: int = 0
    dps: int = 30
    hermite_terms: int = 16
    device: str = "cpu"
    train: bool = True
    width_sweep: bool = True
    width_study: tuple[int, ...] = ()  # widths for the empirical width study (empty: none)
    study_seeds: int = 3
    confidence_t: float = 0.01  # t in the theory's scale n²/λ*² · log(n²/t)
    tol: float = 1e-12
    solver: str = "picard"
    # SPEC's reconstructed constants (exposed, defaults from SPEC §3 and §5):
    a_scale: float = 1.0  # a_j ~ N(0, a_scale/m)
    init_margin: float = 0.05  # redraw W until L‖W‖₂ <= 1 - init_margin
    rate_constant: float = 0.5  # linear-rate bound 1 - rate_constant·η·λ_0

    def to_dict(self) -> dict:
        return asdict(self)
