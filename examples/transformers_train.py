"""Train a tiny BERT (built from a config: nothing is downloaded) with ``transformers.Trainer``.

One line connects lab-workbook to the Trainer: ``callbacks=[LabWorkbookCallback(...)]``.
``TrainingArguments`` go to ``training_args.json``, the model config to ``model_config.json``,
logged losses to ``train.csv``, evaluation metrics to ``eval.csv``, the final weights to
``model.pt``; the run is closed ``finished`` at exit.

    pip install transformers accelerate
    python examples/transformers_train.py [--prefix P] [--steps 20]
"""

from __future__ import annotations

import argparse
import tempfile

from lab_workbook_writer.transformers import LabWorkbookCallback
import torch
import transformers


class Synthetic(torch.utils.data.Dataset):
    """Sequences of 8 tokens labelled by whether token 1 appears in them."""

    def __init__(self, size: int, seed: int) -> None:
        generator = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(2, 30, (size, 8), generator=generator)
        self.ids[::2, 3] = 1
        self.labels = (self.ids == 1).any(dim=1).long()

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {
            "input_ids": self.ids[index],
            "attention_mask": torch.ones(8, dtype=torch.long),
            "labels": self.labels[index],
        }


def tiny_bert_config(layers: int = 2) -> transformers.BertConfig:
    """A BERT small enough to train on a CPU in seconds; built from this config, nothing is downloaded."""
    return transformers.BertConfig(
        vocab_size=32,
        hidden_size=16,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=16,
        num_labels=2,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", default=None, help="where experiments live (default: your configuration)")
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as output:
        training = transformers.TrainingArguments(
            output_dir=output,
            max_steps=args.steps,
            per_device_train_batch_size=8,
            learning_rate=1e-3,
            logging_steps=2,
            eval_strategy="steps",
            eval_steps=max(1, args.steps // 2),
            save_strategy="no",
            report_to=[],
            use_cpu=True,
            disable_tqdm=True,
        )
        trainer = transformers.Trainer(
            model=transformers.BertForSequenceClassification(tiny_bert_config()),
            args=training,
            train_dataset=Synthetic(128, 0),
            eval_dataset=Synthetic(32, 1),
            callbacks=[LabWorkbookCallback(args.prefix, description="transformers example", save_model=True)],
        )
        trainer.train()


if __name__ == "__main__":
    main()
