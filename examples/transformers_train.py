"""Train a tiny BERT (built from a config: nothing is downloaded) with ``transformers.Trainer``.

One line connects lab-workbook to the Trainer: ``callbacks=[LabWorkbookCallback(...)]``.
``TrainingArguments`` go to ``training_args.json``, the model config to ``model_config.json``,
logged losses to ``train.csv``, evaluation metrics to ``eval.csv``, the final weights to
``model.pt``; the run is closed ``finished`` when ``train()`` ends.

A job that may be preempted passes a tag of its own and an output folder that outlives it:
run again after a kill, it restarts from the Trainer's last checkpoint and continues the same run.

    pip install transformers accelerate
    python examples/transformers_train.py [--prefix P] [--steps 20]
    python examples/transformers_train.py --tag "bert-$SLURM_JOB_ID" --output-dir ckpt --save-steps 4
"""

from __future__ import annotations

import argparse
import tempfile

from lab_workbook_writer.transformers import LabWorkbookCallback
import torch
import transformers
from transformers.trainer_utils import get_last_checkpoint


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


def build_trainer(
    output_dir: str, prefix: str | None, steps: int, tag: str | None = None, save_steps: int = 0
) -> transformers.Trainer:
    """The example's Trainer: with ``tag``, a requeued job's (it resumes the run and its checkpoints)."""
    training = transformers.TrainingArguments(
        output_dir=output_dir,
        max_steps=steps,
        per_device_train_batch_size=8,
        learning_rate=1e-3,
        logging_steps=2 if tag is None else 1,
        eval_strategy="steps",
        eval_steps=max(1, steps // 2),
        save_strategy="steps" if save_steps else "no",
        save_steps=save_steps or 500,
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
        seed=0,
    )
    callback = LabWorkbookCallback(
        prefix,
        description="transformers example",
        save_model=True,
        tag=tag,
        resume="auto" if tag else None,  # a new tag starts the run; a known one continues it
        save_checkpoints=bool(save_steps),
    )
    torch.manual_seed(0)
    return transformers.Trainer(
        model=transformers.BertForSequenceClassification(tiny_bert_config()),
        args=training,
        train_dataset=Synthetic(128, 0),
        eval_dataset=Synthetic(32, 1),
        callbacks=[callback],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", default=None, help="where experiments live (default: your configuration)")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--tag", default=None, help="a requeued job's tag (e.g. bert-$SLURM_JOB_ID): resume its run")
    parser.add_argument("--output-dir", default=None, help="the Trainer's checkpoints (with --tag: kept for a resume)")
    parser.add_argument("--save-steps", type=int, default=0, help="a Trainer checkpoint every N steps (0: none)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        output = args.output_dir or scratch
        trainer = build_trainer(output, args.prefix, args.steps, args.tag, args.save_steps)
        # A requeued job restarts from the Trainer's last checkpoint; the callback continues the same run.
        trainer.train(resume_from_checkpoint=get_last_checkpoint(output) is not None)


if __name__ == "__main__":
    main()
