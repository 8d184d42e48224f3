"""VoxelEngine: the one inference facade used by the GUI, the CLI and the self-test.

Why a facade: the GUI must not know about torch modules, devices, safetensors or
latent bookkeeping. It hands numpy arrays in and gets numpy arrays back, from
any single thread (the engine holds no Qt objects and no thread affinity; callers
serialise access, e.g. the GUI's one worker thread).

The engine can run with only one of its two networks (generator: ``gan.*``,
classifier: ``capsnet.*``) so a partial install still works; ``has_generator`` /
``has_classifier`` say which. Missing *all* weights, or corrupt weights, raise
:class:`WeightsError` with a message for the user.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from voxstudio import paths
from voxstudio.core.iou import batch_iou
from voxstudio.models.device import pick_device
from voxstudio.models.gan import (
    MIXTURE_BUFFERS,
    Encoder,
    GANConfig,
    Generator,
    build_encoder,
    build_generator,
)
from voxstudio.models.latent import compute_directions
from voxstudio.models.latent_diffusion import DIFFUSION_PREFIX, DiffusionPriorConfig, LatentDiffusionPrior
from voxstudio.models.sliders import SliderSet, sliders_for_weights
from voxstudio.models.weights import (  # the file-layout names are re-exported for existing importers
    CAPSNET_STEM,
    DIRECTIONS_KEY,
    ENCODER_PREFIX,
    GAN_STEM,
    SCALES_KEY,
    WeightsError,
    load_into,
    load_weights,
    weight_paths,
)

__all__ = [
    "ClassifyResult", "VoxelEngine", "WeightsError", "GAN_STEM", "CAPSNET_STEM", "DIRECTIONS_KEY", "SCALES_KEY",
    "ENCODER_PREFIX",
]

#: Slider directions shipped with random_init engines (tests / GUI development).
RANDOM_INIT_DIRECTIONS = 8

ProgressCallback = Callable[[int, int, float], None]
CancelCallback = Callable[[], bool]


@dataclass
class ClassifyResult:
    """Output of :meth:`VoxelEngine.classify`."""

    probabilities: np.ndarray  # (C,) float32, sums to 1 (averaged over the yaw votes)
    reconstruction: np.ndarray  # (R, R, R) float32 in [0, 1]
    predicted: int
    poses: np.ndarray  # (C, D) float32 class-capsule pose vectors
    presence: float = 1.0  # longest averaged class capsule: how strongly any class is there
    none_of_these: bool = False  # presence below the calibrated threshold: no class fits

    @property
    def confidence(self) -> float:
        """Confidence in the answer: the class's probability, or for "none of these" 1 - presence."""
        return 1.0 - self.presence if self.none_of_these else float(self.probabilities[self.predicted])


#: The procedural data set's classes (docs/architecture.md); used only if the data
#: package cannot be imported (e.g. a stripped-down install).
_CONTRACT_CLASSES = (
    "bathtub", "bed", "chair", "desk", "dresser", "monitor",
    "night_stand", "sofa", "table", "toilet", "wardrobe", "laptop",
)


def _default_classes() -> tuple[str, ...]:
    try:
        from voxstudio.data.procedural import CLASSES
    except ImportError:
        return _CONTRACT_CLASSES
    return tuple(CLASSES)


class VoxelEngine:
    """Generation, slider latents, classification and latent inversion on numpy arrays."""

    classes: list[str]
    resolution: int
    latent_dim: int
    device: torch.device
    directions: np.ndarray
    direction_scales: np.ndarray
    #: Named, calibrated per-class sliders (``weights/sliders.json``, models/sliders.py) for this
    #: generator, or None; ``named_sliders_problem`` then says why (missing, stale, corrupt).
    named_sliders: SliderSet | None = None
    named_sliders_problem: str | None = "this model has no named sliders"

    def __init__(
        self,
        classes: Sequence[str],
        resolution: int,
        device: torch.device,
        generator: Generator | None = None,
        directions: np.ndarray | None = None,
        direction_scales: np.ndarray | None = None,
        classifier: nn.Module | None = None,
        classifier_resolution: int | None = None,
        configs: dict[str, dict[str, Any]] | None = None,
        encoder: Encoder | None = None,
    ) -> None:
        if generator is None and classifier is None:
            raise WeightsError(None, "the engine needs at least a generator or a classifier")
        self.classes = list(classes)
        self.resolution = int(resolution)
        self.device = device
        self.configs = configs or {}
        self._generator = generator
        self._encoder = encoder if generator is not None else None
        self._classifier = classifier
        self._classifier_resolution = int(classifier_resolution or resolution)
        # The prior's answer for the last single latent generated: (latent bytes, class id, decoder latent).
        self._last_prior_answer: tuple[bytes, int, torch.Tensor] | None = None
        for net in (generator, self._encoder, classifier):
            if net is not None:
                net.to(device).eval()
                for p in net.parameters():
                    p.requires_grad_(False)
        self.latent_dim = generator.latent_dim if generator is not None else 0
        if generator is not None:
            if directions is None:
                raise WeightsError(None, "generator weights lack latent slider directions")
            directions = np.asarray(directions, dtype=np.float32)
            if directions.ndim != 2 or directions.shape[1] != self.latent_dim:
                raise WeightsError(None, f"latent directions have shape {directions.shape}, expected (K, {self.latent_dim})")
            self.directions = directions
            scales = np.ones(len(directions), np.float32) if direction_scales is None else direction_scales
            self.direction_scales = np.asarray(scales, dtype=np.float32).reshape(len(directions))
        else:
            self.directions = np.zeros((0, 0), np.float32)
            self.direction_scales = np.zeros((0,), np.float32)

    # ------------------------------------------------------------------ construction

    @property
    def has_generator(self) -> bool:
        return self._generator is not None

    @property
    def has_classifier(self) -> bool:
        return self._classifier is not None

    @classmethod
    def random_init(
        cls,
        classes: Sequence[str] | None = None,
        resolution: int = 32,
        seed: int = 0,
        device: str | torch.device = "cpu",
    ) -> VoxelEngine:
        """Untrained networks with the shipped architecture (tests, weight-less GUI work).

        Slider directions are computed from the random generator the same way as
        for trained weights (without scale calibration, which is meaningless here).
        """
        classes = list(classes) if classes is not None else list(_default_classes())
        dev = pick_device(device)
        torch.manual_seed(seed)
        config = GANConfig(num_classes=len(classes), resolution=resolution)
        generator = build_generator(config).to(dev)
        encoder = build_encoder(config).to(dev)
        directions, scales = compute_directions(
            generator, k=RANDOM_INIT_DIRECTIONS, num_samples=max(256, 2 * config.latent_dim), seed=seed, calibrate=False
        )
        classifier, caps_config = _random_classifier(classes, resolution)
        configs = {"gan": {"architecture": config.to_dict(), "classes": classes, "random_init": True}}
        if caps_config is not None:
            configs["capsnet"] = caps_config
        return cls(
            classes,
            resolution,
            dev,
            generator=generator,
            directions=directions,
            direction_scales=scales,
            classifier=classifier,
            configs=configs,
            encoder=encoder,
        )

    @classmethod
    def load(cls, weights_dir: str | Path | None = None, device: str | torch.device = "auto") -> VoxelEngine:
        """Load ``gan.*`` and/or ``capsnet.*`` from ``weights_dir`` (default: shipped weights).

        A network whose two files are both absent is skipped; a half-present pair,
        a corrupt file, or no network at all raises :class:`WeightsError`.
        """
        folder = Path(weights_dir) if weights_dir is not None else paths.weights_dir()
        dev = pick_device(device)
        if not folder.is_dir():
            raise WeightsError(folder, "weights folder not found")
        generator = directions = scales = encoder = None
        classifier = None
        classifier_resolution = None
        classes: list[str] | None = None
        resolution: int | None = None
        configs: dict[str, dict[str, Any]] = {}
        if _pair_present(folder / GAN_STEM):
            generator, encoder, directions, scales, gan_config = _load_generator(folder / GAN_STEM)
            classes = list(gan_config["classes"])
            resolution = generator.resolution
            configs["gan"] = gan_config
        if _pair_present(folder / CAPSNET_STEM):
            classifier, caps_classes, classifier_resolution, caps_config = _load_classifier(folder / CAPSNET_STEM)
            if classes is not None and list(caps_classes) != classes:
                raise WeightsError(
                    folder,
                    f"generator and classifier were trained on different classes ({classes} vs {list(caps_classes)})",
                )
            classes = list(caps_classes)
            resolution = resolution or classifier_resolution
            configs["capsnet"] = caps_config
        if classes is None or resolution is None:
            raise WeightsError(
                folder, f"no weights found (expected {GAN_STEM}.safetensors + {GAN_STEM}.json and/or "
                f"{CAPSNET_STEM}.safetensors + {CAPSNET_STEM}.json)"
            )
        engine = cls(
            classes,
            resolution,
            dev,
            generator=generator,
            directions=directions,
            direction_scales=scales,
            classifier=classifier,
            classifier_resolution=classifier_resolution,
            configs=configs,
            encoder=encoder,
        )
        if generator is not None:
            engine.named_sliders, engine.named_sliders_problem = sliders_for_weights(
                folder, configs.get("gan"), engine.latent_dim
            )
        return engine

    # ------------------------------------------------------------------ latents

    def named_slider_offset(self, class_id: int, values: Mapping[str, float]) -> np.ndarray:
        """The slider-frame move ``(latent_dim,)`` of named sliders ``{name: value}`` of class ``class_id``.

        Values are clamped to their ranges. ``KeyError`` (listing the valid names) for
        a name the class does not have; ``WeightsError`` when this model has no named
        sliders. Pass the move to :meth:`generate` as ``offset``.
        """
        self._require_generator()
        if self.named_sliders is None:
            raise WeightsError(None, self.named_sliders_problem or "this model has no named sliders")
        offset = self.named_sliders.offset(self.classes[int(class_id)], values)  # checks names, clamps values
        return np.asarray(offset, dtype=np.float32)

    def latent_for_seed(self, seed: int) -> np.ndarray:
        """The latent for an integer seed: same seed, same shape, on every machine."""
        self._require_generator()
        return np.random.default_rng(int(seed)).standard_normal(self.latent_dim).astype(np.float32)

    def slider_offset(self, slider_values: Sequence[float] | np.ndarray) -> np.ndarray:
        """The slider-frame move ``sum_k value_k * scale_k * direction_k`` -> ``(latent_dim,)``.

        Sliders move the decoder latent in the class's slider frame
        (``Generator.slider_step``); pass the move to :meth:`generate` as ``offset``.
        """
        self._require_generator()
        values = np.asarray(slider_values, dtype=np.float32).reshape(-1)
        if values.shape[0] != len(self.directions):
            raise ValueError(f"got {values.shape[0]} slider values, expected {len(self.directions)}")
        return ((values * self.direction_scales) @ self.directions).astype(np.float32)

    # ------------------------------------------------------------------ generation

    def generate(self, z: np.ndarray, class_id: int | np.ndarray, offset: np.ndarray | None = None) -> np.ndarray:
        """Occupancy probabilities: ``(R,R,R)`` for one latent, ``(B,R,R,R)`` for a batch.

        ``offset`` (``(latent_dim,)``, shared by a batch, or ``(B, latent_dim)``): a
        slider move from :meth:`slider_offset` / :meth:`named_slider_offset`.
        """
        generator = self._require_generator()
        z_arr = np.asarray(z, dtype=np.float32)
        single = z_arr.ndim == 1
        if z_arr.shape[-1] != self.latent_dim or z_arr.ndim not in (1, 2):
            raise ValueError(f"latent must be ({self.latent_dim},) or (B, {self.latent_dim}), got {z_arr.shape}")
        ids = np.asarray(class_id, dtype=np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self.classes)):
            raise ValueError(f"class id must be in 0..{len(self.classes) - 1}, got {class_id}")
        moved = None
        if offset is not None:
            offset_arr = np.asarray(offset, dtype=np.float32)
            if offset_arr.shape[-1] != self.latent_dim or offset_arr.ndim not in (1, 2):
                raise ValueError(f"offset must be ({self.latent_dim},) or (B, {self.latent_dim}), "
                                 f"got {offset_arr.shape}")
            if np.any(offset_arr):
                moved = torch.from_numpy(np.ascontiguousarray(offset_arr)).to(self.device)
        class_ids = torch.from_numpy(ids).to(self.device)
        if single and ids.ndim == 0:
            out = generator.sample_decoder_latent(self._prior_answer(z_arr, int(ids)), class_ids, offset=moved)
        else:
            out = generator.sample(torch.from_numpy(z_arr).to(self.device), class_ids, offset=moved)
        grids = out.cpu().numpy()
        return grids[0] if single else grids

    def _prior_answer(self, z: np.ndarray, class_id: int) -> torch.Tensor:
        """The decoder latent ``(1, D)`` the prior maps one input latent to, kept while it stays the same.

        A slider drag keeps the input latent and moves only the decoder latent, so
        each of its frames pays the decoder alone, however many ODE steps the prior
        takes (a refined student: 5 ms of a 20 ms frame on 2 cores).
        """
        key = z.tobytes()
        last = self._last_prior_answer
        if last is not None and last[0] == key and last[1] == class_id:
            return last[2]
        generator = self._require_generator()
        with torch.inference_mode():
            y = torch.full((1,), class_id, dtype=torch.long, device=self.device)
            answer = generator.decoder_latent(torch.from_numpy(z).to(self.device).unsqueeze(0), y)
        self._last_prior_answer = (key, class_id, answer)
        return answer

    # ------------------------------------------------------------------ classification

    @property
    def none_threshold(self) -> float | None:
        """Presence below which a shape is "none of these" (calibrated at training; None: never)."""
        value = self.configs.get("capsnet", {}).get("none_threshold")
        return None if value is None else float(value)

    def classify(self, grid: np.ndarray) -> ClassifyResult:
        """Class probabilities (voted over four yaws), capsule poses and reconstruction for one grid."""
        from voxstudio.models.voting import is_none_of_these, vote

        classifier = self._require_classifier()
        x = self._prepare_grid(grid).unsqueeze(0)
        with torch.inference_mode():
            votes = vote(classifier, x, reconstruct=True)
        probs = votes.probabilities[0].float().cpu().numpy().astype(np.float32)
        presence = float(votes.presence[0])
        assert votes.reconstruction is not None and votes.poses is not None
        return ClassifyResult(
            probabilities=probs,
            reconstruction=self._at_resolution(torch.sigmoid(votes.reconstruction[0]).float().cpu().numpy()),
            predicted=int(probs.argmax()),
            poses=votes.poses[0].float().cpu().numpy(),
            presence=presence,
            none_of_these=is_none_of_these(presence, self.none_threshold),
        )

    def classify_batch(self, grids: np.ndarray) -> np.ndarray:
        """Predicted class ids for ``(B, R', R', R')`` grids (metrics; no reconstructions kept)."""
        from voxstudio.models.voting import vote

        classifier = self._require_classifier()
        x = torch.stack([self._prepare_grid(g) for g in np.asarray(grids)])
        with torch.inference_mode():
            votes = vote(classifier, x)
        return votes.probabilities.argmax(dim=1).cpu().numpy()

    def presence(self, grids: np.ndarray) -> np.ndarray:
        """How strongly any class is present in each of ``(B, R', R', R')`` grids (pose search, calibration)."""
        from voxstudio.models.voting import vote

        classifier = self._require_classifier()
        x = torch.stack([self._prepare_grid(g) for g in np.asarray(grids)])
        with torch.inference_mode():
            return vote(classifier, x).presence.float().cpu().numpy()

    def decode_pose(self, pose: np.ndarray, class_id: int) -> np.ndarray:
        """The capsule decoder as a generator: one class-capsule pose -> ``(R,R,R)`` probabilities."""
        classifier = self._require_classifier()
        pose_t = torch.as_tensor(np.asarray(pose, dtype=np.float32), device=self.device).reshape(1, -1)
        if not 0 <= int(class_id) < len(self.classes):
            raise ValueError(f"class id must be in 0..{len(self.classes) - 1}, got {class_id}")
        with torch.inference_mode():
            grid = _decode_pose(classifier, pose_t, int(class_id), len(self.classes))
        return self._at_resolution(grid[0].float().cpu().numpy())

    # ------------------------------------------------------------------ inversion

    def warm_up_inversion(self) -> None:
        """Import what the first torch optimiser imports, ahead of the first inversion.

        Why: ``torch.optim``'s ``add_param_group`` imports ``torch._dynamo`` on first use
        (~1.2 s here). Left to the user's first "Open in generator" or Snap, that import
        delays the job and, holding the interpreter in long C calls, stalls the window
        for up to a second; the GUI's worker calls this between requests as soon as the
        user heads toward an inversion (a file is open, sculpt mode starts). Not from a
        thread of its own: the import races torch ops running beside it.
        """
        import torch._dynamo  # noqa: F401

    def invert(
        self,
        grid: np.ndarray,
        class_id: int,
        steps: int = 300,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCallback | None = None,
        restarts: int = 16,
        lr: float = 0.05,
        patience: int | None = 40,
        min_gain: float = 0.002,
    ) -> np.ndarray:
        """Find a latent whose generated shape matches ``grid``; returns ``(latent_dim,)``.

        Starts from the best of the encoder's estimate (when the weights include
        the VAE encoder) and ``restarts`` random latents (cheap, avoids poor
        basins), then Adam on ``z`` minimising BCE + soft-IoU loss with a weak
        prior keeping ``|z|`` near the latent shell. ``progress(step, steps, iou)``
        is called after each step with the hard IoU of the best latent so far;
        ``should_cancel()`` is polled each step and stops early (the best latent so
        far is returned). It also stops once the best IoU has not risen by
        ``min_gain`` for ``patience`` steps (``None``: always run ``steps``): with
        the encoder start, trained weights converge in ~100-200 steps, and the
        GUI waits for this call.
        """
        generator = self._require_generator()
        if not 0 <= int(class_id) < len(self.classes):
            raise ValueError(f"class id must be in 0..{len(self.classes) - 1}, got {class_id}")
        target = self._prepare_grid(grid, resolution=self.resolution).unsqueeze(0)
        target_occ = target > 0.5
        y = torch.tensor([int(class_id)], device=self.device)
        gen = torch.Generator().manual_seed(0)
        candidates = torch.randn(max(1, restarts), self.latent_dim, generator=gen).to(self.device)
        if self._encoder is not None:
            # The VAE encoder's posterior mean is usually the best start by far.
            with torch.no_grad():
                mu, _ = self._encoder(target, y)
                mu = _input_latent(generator, mu, y)
            candidates = torch.cat([mu, candidates])
        with torch.inference_mode():
            ious = batch_iou(generator(candidates, y.expand(len(candidates))) > 0.5, target_occ)
        best_iou, best_index = (float(v) for v in ious.max(dim=0))
        z = candidates[int(best_index)].clone().unsqueeze(0).requires_grad_(True)
        best_z = z.detach().clone()
        optimizer = torch.optim.Adam([z], lr=lr)
        reference, reference_step = best_iou, 0
        for step in range(1, steps + 1):
            if should_cancel is not None and should_cancel():
                break
            z_before = z.detach().clone()
            with torch.enable_grad():
                logits = generator.logits(z, y)
                probs = torch.sigmoid(logits)
                bce = F.binary_cross_entropy_with_logits(logits, target)
                inter = (probs * target).sum()
                soft_iou = inter / (probs.sum() + target.sum() - inter).clamp_min(1e-6)
                prior = (z.pow(2).mean() - 1.0).pow(2)
                loss = bce + (1.0 - soft_iou) + 0.1 * prior
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            # The IoU of the latent this step started from, read off the logits the
            # step computed anyway: a second forward pass per step cost ~40 % of the time.
            iou = float(batch_iou(probs.detach() > 0.5, target_occ)[0])
            if iou > best_iou:
                best_iou, best_z = iou, z_before
            if best_iou >= reference + min_gain:
                reference, reference_step = best_iou, step
            if progress is not None:
                progress(step, steps, best_iou)
            if patience is not None and step - reference_step >= patience:
                break
        return best_z[0].cpu().numpy().astype(np.float32)

    # ------------------------------------------------------------------ helpers

    def _require_generator(self) -> Generator:
        if self._generator is None:
            raise WeightsError(None, "no generator weights loaded (gan.safetensors missing)")
        return self._generator

    def _require_classifier(self) -> nn.Module:
        if self._classifier is None:
            raise WeightsError(None, "no classifier weights loaded (capsnet.safetensors missing)")
        return self._classifier

    def _at_resolution(self, grid: np.ndarray) -> np.ndarray:
        """Classifier-resolution output -> the engine resolution (no-op when they agree)."""
        from voxstudio.core.grid import resize

        if grid.shape[0] == self.resolution:
            return grid
        return resize(grid, self.resolution).astype(np.float32)

    def _prepare_grid(self, grid: np.ndarray, resolution: int | None = None) -> torch.Tensor:
        """Any ``(R',R',R')`` grid -> float tensor at the network resolution on the device."""
        from voxstudio.core.grid import resize

        arr = np.asarray(grid)
        if arr.ndim != 3:
            raise ValueError(f"expected a 3-D voxel grid, got shape {arr.shape}")
        size = resolution or self._classifier_resolution
        if arr.shape != (size,) * 3:
            arr = resize(arr, size)
        return torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32)).to(self.device)


def _input_latent(generator: Generator, decoder_latent: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
    """Invert the generator's latent prior (affine, per-class affine, mixture or diffusion): the input latent."""
    return generator.input_latent(decoder_latent, y)




def _pair_present(stem: Path) -> bool:
    tensors_path, config_path = weight_paths(stem)
    return tensors_path.exists() or config_path.exists()


def _load_generator(stem: Path) -> tuple[Generator, Encoder | None, np.ndarray, np.ndarray, dict[str, Any]]:
    """Rebuild the generator (and the encoder, when saved) from ``gan.json`` + ``gan.safetensors``."""
    state, config = load_weights(stem)
    tensors_path, config_path = weight_paths(stem)
    try:
        arch = GANConfig.from_dict(config["architecture"])
        classes = config["classes"]
        if len(classes) != arch.num_classes:
            raise ValueError(f"{len(classes)} class names for {arch.num_classes} classes")
    except (KeyError, TypeError, ValueError) as error:
        raise WeightsError(config_path, f"generator config is incomplete or invalid ({error})") from error
    if DIRECTIONS_KEY not in state:
        raise WeightsError(tensors_path, f"generator weights lack the {DIRECTIONS_KEY!r} tensor")
    directions = state.pop(DIRECTIONS_KEY).float().numpy()
    scales_t = state.pop(SCALES_KEY, None)
    scales = np.ones(len(directions), np.float32) if scales_t is None else scales_t.float().numpy()
    encoder_state = {k[len(ENCODER_PREFIX):]: state.pop(k) for k in list(state) if k.startswith(ENCODER_PREFIX)}
    generator = build_generator(arch)
    try:
        if "latent_mean" in state and "latent_transform" in state:
            generator.set_latent_affine(state["latent_mean"], state["latent_transform"])
        if all(name in state for name in MIXTURE_BUFFERS):
            generator.set_latent_mixture(*(state[name] for name in MIXTURE_BUFFERS))
        if any(name.startswith(DIFFUSION_PREFIX) for name in state):
            network = (config.get("latent_prior") or {}).get("network")
            if not isinstance(network, dict):
                raise ValueError("the weights hold a latent diffusion prior but gan.json lacks latent_prior.network")
            generator.set_latent_diffusion(LatentDiffusionPrior(DiffusionPriorConfig.from_dict(network)))
    except (RuntimeError, TypeError, ValueError) as error:
        raise WeightsError(tensors_path, f"the generator's latent prior is invalid ({error})") from error
    load_into(generator, state, tensors_path)
    encoder = None
    if encoder_state:
        encoder = build_encoder(arch)
        load_into(encoder, encoder_state, tensors_path)
    return generator, encoder, directions, scales, config


def _load_classifier(stem: Path) -> tuple[nn.Module, list[str], int, dict[str, Any]]:
    """The capsule classifier from ``capsnet.json`` + ``capsnet.safetensors``."""
    from voxstudio.models import load_classifier

    model, config = load_classifier(stem)
    config_path = weight_paths(stem)[1]
    try:
        classes = [str(c) for c in config["classes"]]
        resolution = int(config["resolution"])
    except (KeyError, TypeError, ValueError) as error:
        raise WeightsError(config_path, f"classifier config lacks classes / resolution ({error})") from error
    if not hasattr(model, "decode"):
        raise WeightsError(config_path, "the engine needs the capsule classifier (kind 'capsnet')")
    return model, classes, resolution, config


def _random_classifier(classes: Sequence[str], resolution: int) -> tuple[nn.Module | None, dict[str, Any] | None]:
    """An untrained CapsNet3D with the default (shipped) architecture."""
    from voxstudio.models import build_classifier

    model: Any = build_classifier("capsnet", num_classes=len(classes), resolution=resolution)
    return model, {"kind": "capsnet", "model": model.config(), "classes": list(classes), "random_init": True}


def _decode_pose(classifier: nn.Module, pose: torch.Tensor, class_id: int, num_classes: int) -> torch.Tensor:
    """Capsule decoder on one class-capsule pose placed in ``class_id``'s slot."""
    capsnet: Any = classifier  # a CapsNet3D (the engine loads only kind 'capsnet')
    return torch.sigmoid(capsnet.decode(pose, class_id))
