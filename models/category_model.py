"""A category suggested from a complaint's text: a small model learned from Traffy Fondue's labelled texts.

Pure domain code (no Flask, LINE or database). Training data is a CSV with Traffy's columns `type`
(a set such as ``{ถนน,ทางเท้า}``; empty ``{}`` when the reporter gave none) and `comment` (the Thai
text). The model:

- splits a text into Thai words with pythainlp's newmm tokenizer, and also into character 2–4-grams
  within words (``char_wb``): these catch spellings and compounds the dictionary splits differently;
- weights both with TF-IDF (sublinear term frequency) and learns one linear SVM per Traffy type
  (one-vs-rest, as a complaint may have several types), C=0.5: picked among a few variants (word
  bigrams, other n-gram ranges, C, class weights, logistic regression) by 5-fold cross-validation on the
  training part (bench/category_bench.py prints the held-out figures);
- reads the first MAX_TEXT (500) characters of a text, in training and in suggesting;
- scores each type for a new text by its SVM margin, squashed into 0..1 by a logistic function: the
  scores order the types, they are not probabilities.

A model is saved as ONE file: a small header pickle (format name and version, the scikit-learn version,
the types it knows and how many rows it learned from), followed by the model's pickle. `load` reads the header
first and refuses, with a log line and None, a file of another format or another scikit-learn version
(scikit-learn does not promise that its pickles load across versions): retrain then.
The file is trusted like code (pickle): keep it where only the operator can write.

The held-out split (`split`) is fixed: rows without a type (or without a text: 18 of the Traffy sample's
1,188 typed rows have an empty comment) are dropped, the remaining rows' indices
0..n-1 are shuffled by ``random.Random(2570).shuffle``, and the first ``round(n * 0.2)`` indices of the
shuffled list are held out; the rest, in file order, are for training.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import os
import pickle
import random
import tempfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

FORMAT = "rongtook-category-model"
FORMAT_VERSION = 1
SPLIT_SEED = 2570
HELD_OUT = 0.2
REQUIRED_COLUMNS = ("type", "comment")
# Characters of a text looked at, in training and suggesting: what a complaint is about is said early, and
# Thai word segmentation grows faster than the text (a 1,400-character text takes ~10 ms, 500 about 2).
MAX_TEXT = 500


class CategoryDataError(ValueError):
    """The training CSV cannot be used; the message says why in words an operator can act on."""


@dataclass(frozen=True)
class LabelledText:
    text: str
    types: tuple[str, ...]  # Traffy's types of the complaint; empty when the reporter gave none


def parse_types(value: str) -> tuple[str, ...]:
    """Traffy's type column, ``{ถนน,ทางเท้า}`` (a PostgreSQL array as text), as names; ``{}`` → ()."""
    inner = value.strip().removeprefix("{").removesuffix("}")
    names = (part.strip().strip('"').strip() for part in inner.split(","))
    return tuple(dict.fromkeys(n for n in names if n))  # dict: unique, in order


def read_csv(path: Path | str) -> list[LabelledText]:
    """Every row of a Traffy-style CSV, labelled or not. Raises CategoryDataError on an unusable file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CategoryDataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CategoryDataError(f"{path}: is a directory, not a CSV file") from None
    except OSError as exc:
        raise CategoryDataError(f"{path}: cannot read it ({exc.strerror})") from None
    if not raw.strip():
        raise CategoryDataError(f"{path}: the file is empty")
    return parse_csv(raw, str(path))


def parse_csv(raw: bytes, name: str = "the CSV") -> list[LabelledText]:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CategoryDataError(f"{name}: the file is UTF-16; save it as UTF-8 (CSV UTF-8) and try again")
    try:
        text = raw.decode("utf-8-sig")  # -sig: Excel's "CSV UTF-8" starts with a byte-order mark
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CategoryDataError(
            f"{name}: not UTF-8 text (line {line}: byte 0x{raw[exc.start]:02x}); "
            "save it as UTF-8 (e.g. Excel's 'CSV UTF-8', or iconv -f TIS-620 -t UTF-8) and try again"
        ) from None
    if "\x00" in text:
        raise CategoryDataError(f"{name}: contains NUL characters; it is not a text CSV")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        columns = [c.strip() for c in reader.fieldnames or []]
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            found = ", ".join(columns) if columns else "none"
            raise CategoryDataError(
                f"{name}: missing column(s) {', '.join(missing)} "
                f"(needs {' and '.join(REQUIRED_COLUMNS)}; found: {found})"
            )
        reader.fieldnames = columns  # headers with stray spaces still count
        rows = [
            LabelledText(text=(row.get("comment") or "").strip(), types=parse_types(row.get("type") or ""))
            for row in reader
        ]
    except csv.Error as exc:
        raise CategoryDataError(f"{name}: not a readable CSV (line {reader.line_num}: {exc})") from None
    if not rows:
        raise CategoryDataError(f"{name}: has a header but no rows")
    return rows


def labelled(rows: Sequence[LabelledText]) -> list[LabelledText]:
    """The rows that can teach: with at least one type and some text."""
    return [r for r in rows if r.types and r.text]


def split(
    rows: Sequence[LabelledText], seed: int = SPLIT_SEED, held_out: float = HELD_OUT
) -> tuple[list[LabelledText], list[LabelledText]]:
    """(training, held out): rows without a type dropped, then the fixed shuffle of the module's docstring."""
    kept = labelled(rows)
    order = list(range(len(kept)))
    random.Random(seed).shuffle(order)
    cut = round(len(kept) * held_out)
    test = set(order[:cut])
    return [r for i, r in enumerate(kept) if i not in test], [kept[i] for i in order[:cut]]


def thai_words(text: str) -> list[str]:
    """The words of a text (pythainlp newmm), lower-cased, without whitespace tokens.

    A module-level function, so that the vectorizer holding it can be pickled.
    """
    from pythainlp.tokenize import word_tokenize

    return [w for w in word_tokenize(text.lower(), engine="newmm", keep_whitespace=False) if w.strip()]


@dataclass
class CategoryModel:
    features: Any  # the fitted sklearn FeatureUnion (words + character n-grams)
    classifier: Any  # the fitted OneVsRestClassifier, one column per type
    types: tuple[str, ...]  # the Traffy types it knows, in the classifier's column order
    trained_rows: int
    info: dict[str, Any] = field(default_factory=dict)

    def scores(self, text: str) -> dict[str, float]:
        """Every known type's score for the text (0..1, higher is likelier); {} for an empty text."""
        text = text.strip()[:MAX_TEXT]
        if not text:
            return {}
        margins = self._fast().margins(text)
        return {t: 1.0 / (1.0 + math.exp(-float(m))) for t, m in zip(self.types, margins, strict=True)}

    def margins_by_sklearn(self, text: str) -> np.ndarray:
        """The classifier's own decision_function: what `scores` computes faster (tests compare them)."""
        return np.ravel(self.classifier.decision_function(self.features.transform([text.strip()[:MAX_TEXT]])))

    def _fast(self) -> _Scorer:
        scorer = self.__dict__.get("_scorer")
        if scorer is None:
            scorer = self.__dict__["_scorer"] = _Scorer.of(self)
        return scorer

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_scorer"}  # rebuilt after loading

    def suggest(
        self, text: str, k: int = 3, allowed: Collection[str] | None = None
    ) -> list[tuple[str, float]]:
        """The k likeliest types for the text, best first, as (Thai name, score); only `allowed` names
        when given (the categories the app offers). [] for an empty text."""
        ranked = sorted(self.scores(text).items(), key=lambda pair: -pair[1])
        if allowed is not None:
            ranked = [pair for pair in ranked if pair[0] in allowed]
        return ranked[: max(0, k)]


@dataclass(frozen=True)
class _Part:
    analyzer: Any  # text -> tokens, the vectorizer's own (same preprocessing as in training)
    vocabulary: dict[str, int]
    idf: np.ndarray
    weights: np.ndarray  # (the part's features, types): the SVMs' coefficients for these features


@dataclass(frozen=True)
class _Scorer:
    """The fitted pipeline's arithmetic done directly: TF-IDF of the few tokens a text has, times the SVMs'
    weights. scikit-learn's transform and decision_function check and convert their input on every call
    and spend about 10 ms on one short text; this gives the same margins in well under a millisecond.
    """

    parts: tuple[_Part, ...]
    intercepts: np.ndarray

    @classmethod
    def of(cls, model: CategoryModel) -> _Scorer:
        coef = np.vstack([np.ravel(e.coef_) for e in model.classifier.estimators_]).T  # (features, types)
        intercepts = np.array([float(np.ravel(e.intercept_)[0]) for e in model.classifier.estimators_])
        parts, offset = [], 0
        for _name, vectorizer in model.features.transformer_list:
            size = len(vectorizer.vocabulary_)
            parts.append(
                _Part(
                    analyzer=vectorizer.build_analyzer(),
                    vocabulary=dict(vectorizer.vocabulary_),
                    idf=np.asarray(vectorizer.idf_, dtype=np.float64),
                    weights=np.ascontiguousarray(coef[offset : offset + size]),
                )
            )
            offset += size
        if offset != coef.shape[0]:
            raise ValueError("the features and the classifier do not match")
        return cls(parts=tuple(parts), intercepts=intercepts)

    def margins(self, text: str) -> np.ndarray:
        total = self.intercepts.copy()
        for part in self.parts:
            counts: dict[int, int] = {}
            for token in part.analyzer(text):
                column = part.vocabulary.get(token)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
            if not counts:
                continue
            columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            values = (1.0 + np.log(tf)) * part.idf[columns]  # sublinear_tf, then idf, as fitted
            values /= np.sqrt(values @ values)  # each vectorizer's rows are l2-normalised on their own
            total += values @ part.weights[columns]
        return total


def train(rows: Sequence[LabelledText]) -> CategoryModel:
    """Learn from the labelled rows (rows without a type or text are left out)."""
    # scikit-learn is imported here: the bot only unpickles a trained model and need not load it at start.
    import sklearn
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import FeatureUnion
    from sklearn.preprocessing import MultiLabelBinarizer
    from sklearn.svm import LinearSVC

    kept = labelled(rows)
    types = {t for r in kept for t in r.types}
    if len(kept) < 2 or len(types) < 2:
        raise CategoryDataError(
            f"too little to learn from: {len(kept)} row(s) with a type and a text, {len(types)} type(s); "
            "at least 2 of each are needed"
        )
    features = FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(tokenizer=thai_words, token_pattern=None, lowercase=False, sublinear_tf=True),
            ),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2)),
        ]
    )
    texts = [r.text[:MAX_TEXT] for r in kept]
    try:
        x = features.fit_transform(texts)
    except ValueError:  # e.g. a tiny file whose texts share no character n-gram twice (min_df=2)
        features.set_params(chars__min_df=1)
        x = features.fit_transform(texts)
    binarizer = MultiLabelBinarizer()
    y = binarizer.fit_transform([r.types for r in kept])
    classifier = OneVsRestClassifier(LinearSVC(C=0.5))
    classifier.fit(x, y)
    return CategoryModel(
        features=features,
        classifier=classifier,
        types=tuple(str(t) for t in binarizer.classes_),
        trained_rows=len(kept),
        info={"sklearn": sklearn.__version__},
    )


@dataclass(frozen=True)
class Accuracy:
    rows: int
    top1: float
    top3: float


def evaluate(suggest: Any, rows: Sequence[LabelledText], allowed: Collection[str] | None = None) -> Accuracy:
    """Top-1 and top-3 accuracy of `suggest(text, k, allowed)` on labelled rows: a suggestion is right
    when it is one of the row's types."""
    kept = labelled(rows)
    top1 = top3 = 0
    for row in kept:
        names = [name for name, _ in suggest(row.text, 3, allowed)]
        top1 += bool(names) and names[0] in row.types
        top3 += any(n in row.types for n in names)
    n = len(kept)
    return Accuracy(rows=n, top1=top1 / n if n else 0.0, top3=top3 / n if n else 0.0)


def _header(model: CategoryModel) -> dict[str, Any]:
    import sklearn

    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "sklearn": sklearn.__version__,
        "types": list(model.types),
        "trained_rows": model.trained_rows,
    }


def save(model: CategoryModel, path: Path | str) -> Path:
    """Write the model to `path` (its folder made if missing), atomically: a running bot never sees half a
    file, and one whose mtime changed reloads it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            pickle.dump(_header(model), out, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(model, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600: the bot may run as another user than the trainer
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load(path: Path | str) -> CategoryModel | None:
    """The model saved at `path`; None (and a log line saying why) when it is missing or unusable."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        import sklearn

        with path.open("rb") as src:
            header = pickle.load(src)
            if not isinstance(header, dict) or header.get("format") != FORMAT:
                log.warning("category model %s: not a Rongtook category model; keyword guess used", path)
                return None
            if header.get("version") != FORMAT_VERSION:
                log.warning(
                    "category model %s: format %s, this version reads %s; retrain it (rongtook category "
                    "train); keyword guess used",
                    path,
                    header.get("version"),
                    FORMAT_VERSION,
                )
                return None
            if header.get("sklearn") != sklearn.__version__:
                log.warning(
                    "category model %s: made with scikit-learn %s, installed is %s; retrain it (rongtook "
                    "category train); keyword guess used",
                    path,
                    header.get("sklearn"),
                    sklearn.__version__,
                )
                return None
            model = pickle.load(src)
        if not isinstance(model, CategoryModel):
            raise TypeError(f"holds a {type(model).__name__}")
        model.scores("ถนน")  # a model that cannot answer is no model
        return model
    except Exception as exc:  # a truncated or foreign file must never stop the bot
        log.warning("category model %s: cannot be loaded (%s); keyword guess used", path, exc)
        return None
