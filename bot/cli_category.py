"""`rongtook category train`: learn the category model from labelled texts (issue 18 point 5).

Reads CATEGORY_TRAINING_CSV (or --csv; Traffy's columns `type` and `comment`), measures the model on the
fixed held-out 20 % (models/category_model.py `split`, seed 2570) after training on the other 80 %, then
trains on every labelled row and saves the model to CATEGORY_MODEL_PATH (or --out). The bot reads the new
file at its next category question, without a restart. A CSV that cannot be used is reported in one line,
with exit status 2 and nothing written.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import Any

from bot.settings import Settings
from models.categories import OTHER_CODE, SEED
from models.category_model import CategoryDataError, evaluate, read_csv, save, split, train

log = logging.getLogger(__name__)


def add_parser(sub: Any) -> None:
    category = sub.add_parser("category", help="the category model: suggests a category from the text")
    actions = category.add_subparsers(dest="action", required=True)
    tr = actions.add_parser("train", help="learn it from labelled texts and save it (CATEGORY_MODEL_PATH)")
    tr.add_argument("--csv", type=Path, default=None, help="labelled texts (default: CATEGORY_TRAINING_CSV)")
    tr.add_argument("--out", type=Path, default=None, help="where to save it (default: CATEGORY_MODEL_PATH)")


def offered_names() -> set[str]:
    """The categories of the starting list (not "other"): what the held-out figures count suggestions in."""
    return {s.name_th for s in SEED if s.code != OTHER_CODE}


def train_and_save(csv_path: Path, out: Path) -> str:
    """Train from `csv_path`, save to `out`; what was done, as lines to print. Raises CategoryDataError."""
    started = time.monotonic()
    rows = read_csv(csv_path)
    training, held_out = split(rows)
    lines = [f"read {csv_path}: {len(rows)} rows, {len(training) + len(held_out)} with a type and a text"]
    if held_out and len(training) >= 2:
        measured = train(training)
        acc = evaluate(measured.suggest, held_out, offered_names())
        lines.append(
            f"held out (20 %, seed 2570): {acc.rows} rows; top-1 {acc.top1:.1%}, top-3 {acc.top3:.1%} "
            f"(trained on the other {len(training)})"
        )
    else:
        lines.append("held out: too few rows to measure")
    model = train(rows)  # the saved model learns from every labelled row
    save(model, out)
    lines.append(f"categories learned: {len(model.types)} ({', '.join(model.types)})")
    lines.append(f"rows used: {model.trained_rows}; saved to {out} in {time.monotonic() - started:.1f} s")
    return "\n".join(lines)


def cmd_category(settings: Settings, args: argparse.Namespace) -> int:
    csv_path = (args.csv or settings.category_training_csv).resolve()
    out = (args.out or settings.category_model_path).resolve()
    if out.is_dir():
        print(f"rongtook: {out} is a folder; give a file path for the model", file=sys.stderr)
        return 2
    try:
        print(train_and_save(csv_path, out))
    except CategoryDataError as exc:
        print(f"rongtook: cannot train the category model: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"rongtook: cannot save the category model to {out}: {exc.strerror}", file=sys.stderr)
        return 2
    return 0


def ensure_model(settings: Settings) -> None:
    """At the sandbox's set-up: train the model when its file is missing (a few seconds); never fails."""
    out = settings.category_model_path
    if out.exists():
        return
    try:
        rows = read_csv(settings.category_training_csv)
        started = time.monotonic()
        model = train(rows)
        save(model, out)
    except (CategoryDataError, OSError) as exc:
        log.warning("category model not trained (%s); the category keywords are used", exc)
        return
    log.info(
        "category model trained from %d rows in %.1f s: %s",
        model.trained_rows,
        time.monotonic() - started,
        out,
    )
