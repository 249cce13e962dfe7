"""A torch Dataset that renders recipes on the fly: (waveform, labels) per example."""

from __future__ import annotations

import numpy as np
import torch

from synth.triggerword.labels import label_matrix
from synth.triggerword.recipes import Recipes


class TriggerWordDataset(torch.utils.data.Dataset):
    """Example i of `recipes`, rendered by `renderer` (NumpyRenderer) and labelled from its recipe.

    DataLoader fetches whole batches through `__getitems__`, so a batch is rendered in one call.
    """

    def __init__(self, recipes: Recipes, renderer, clip_samples: int, ty: int, ones_after_end: int):
        self.recipes, self.renderer = recipes, renderer
        self.clip_samples, self.ty, self.ones_after_end = clip_samples, ty, ones_after_end

    def __len__(self) -> int:
        return len(self.recipes)

    def labels(self, batch: Recipes) -> np.ndarray:
        return label_matrix(
            batch.insert_start,
            batch.insert_length,
            batch.insert_positive,
            self.clip_samples,
            self.ty,
            self.ones_after_end,
        )

    def __getitems__(self, indices: list[int]) -> list[tuple[torch.Tensor, torch.Tensor]]:
        batch = self.recipes.take(np.asarray(indices))
        audio = torch.from_numpy(self.renderer.render(batch))
        labels = torch.from_numpy(self.labels(batch))
        return list(zip(audio, labels))

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.__getitems__([index])[0]


def epoch_batches(
    n_examples: int, per_epoch: int, batch_size: int, seed: int, epoch: int, rank: int = 0, world_size: int = 1
) -> list[np.ndarray]:
    """This rank's index batches for one epoch: a seeded draw of `per_epoch` examples (cycling
    through all of them across epochs), split round-robin over ranks, cut into batches."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xE9, epoch]))
    order = np.concatenate([rng.permutation(n_examples) for _ in range(-(-per_epoch // max(n_examples, 1)))])
    mine = order[:per_epoch][rank::world_size]
    return [mine[i : i + batch_size] for i in range(0, len(mine), batch_size)]


def cpu_loader(dataset: TriggerWordDataset, batches: list[np.ndarray], num_workers: int):
    """Batches rendered by `num_workers` processes (numpy renderer), in the given order."""
    return torch.utils.data.DataLoader(dataset, batch_sampler=[b.tolist() for b in batches], num_workers=num_workers)


def device_batches(dataset: TriggerWordDataset, torch_renderer, batches: list[np.ndarray]):
    """Batches rendered directly on the training device (e.g. CUDA) by a TorchRenderer."""
    device = torch_renderer.device
    for indices in batches:
        batch = dataset.recipes.take(indices)
        yield torch_renderer.render(batch), torch.from_numpy(dataset.labels(batch)).to(device)
