"""A torch Dataset that renders recipes on the fly: (waveform, labels) per example."""
from __future__ import annotations

import numpy as np
import torch

from synth.labels import label_matrix
from synth.recipes import Recipes


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
        return label_matrix(batch.insert_start, batch.insert_length, batch.insert_positive,
                            self.clip_samples, self.ty, self.ones_after_end)

    def __getitems__(self, indices: list[int]) -> list[tuple[torch.Tensor, torch.Tensor]]:
        batch = self.recipes.take(np.asarray(indices))
        audio = torch.from_numpy(self.renderer.render(batch))
        labels = torch.from_numpy(self.labels(batch))
        return list(zip(audio, labels))

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.__getitems__([index])[0]
