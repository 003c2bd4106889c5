"""Peers for bench/gbdt.bench.ts: scikit-learn's HistGradientBoostingClassifier and
GradientBoostingClassifier and XGBoost's XGBClassifier (tree_method="hist"), one thread each.

It answers one JSON line per command read from stdin, so the bench can interleave its own fits
with these and both meet the same machine load:

    versions               -> {"sklearn": ..., "xgboost": ...}
    demo NAME              -> {"wall_ms", "cpu_ms", "accuracy"} of one fit of NAME on the demo split
                              (NAME: hgb | gbc | xgb), timing only `fit`
    small                  -> the small held-out datasets, their cross-validation folds and the
                              peers' mean accuracy over the folds

Run with Debian's interpreter and one OpenMP thread (packages python3-sklearn, python3-xgboost):
    OMP_NUM_THREADS=1 /usr/bin/python3 gbdt_peers.py DATA.csv LABEL ROUNDS SEED
"""

import csv
import json
import sys
import time

import numpy as np
import sklearn
import xgboost
from sklearn.datasets import load_breast_cancer, load_iris, load_wine, make_classification
from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier
from sklearn.model_selection import RepeatedStratifiedKFold


def peer(name, rounds, seed):
    if name == "hgb":
        # early_stopping=False: "auto" would turn it on above 10,000 rows; the bench fits all rounds.
        return HistGradientBoostingClassifier(max_iter=rounds, early_stopping=False, random_state=seed)
    if name == "gbc":
        return GradientBoostingClassifier(n_estimators=rounds, random_state=seed)
    if name == "xgb":
        return xgboost.XGBClassifier(n_estimators=rounds, tree_method="hist", n_jobs=1, random_state=seed)
    raise ValueError(f"unknown peer {name!r}")


def read_demo(path, label):
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    features = [name for name in rows[0] if name not in (label, "split")]
    x = np.array([[float(row[name]) for name in features] for row in rows])
    # Class indexes in numeric order, as the bench's dataset loader assigns them.
    classes = sorted({row[label] for row in rows}, key=float)
    y = np.array([classes.index(row[label]) for row in rows])
    train = np.array([row["split"] == "train" for row in rows])
    return x[train], y[train], x[~train], y[~train]


def small_datasets(seed):
    """Tabular sets of 150 to 600 rows and 4 to 30 features, binary and multiclass."""
    sets = [("iris", *load_iris(return_X_y=True)), ("wine", *load_wine(return_X_y=True))]
    sets.append(("breast_cancer", *load_breast_cancer(return_X_y=True)))
    x, y = make_classification(n_samples=400, n_features=10, n_informative=5, flip_y=0.05, random_state=seed)
    sets.append(("synthetic binary 400x10", x, y))
    x, y = make_classification(
        n_samples=600, n_features=8, n_informative=6, n_classes=4, n_clusters_per_class=1, random_state=seed
    )
    sets.append(("synthetic 4-class 600x8", x, y))
    return sets


def cross_validate(x, y, folds, rounds, seed):
    scores = {}
    for name in ("gbc", "hgb", "xgb"):
        accuracies = []
        for train, test in folds:
            model = peer(name, rounds, seed).fit(x[train], y[train])
            accuracies.append(float(np.mean(model.predict(x[test]) == y[test])))
        scores[name] = float(np.mean(accuracies))
    return scores


def main():
    path, label, rounds, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    x_train, y_train, x_test, y_test = read_demo(path, label)
    for line in sys.stdin:
        command = line.split()
        if command == ["versions"]:
            answer = {"sklearn": sklearn.__version__, "xgboost": xgboost.__version__}
        elif command[0] == "demo":
            model = peer(command[1], rounds, seed)
            wall, cpu = time.perf_counter(), time.process_time()
            model.fit(x_train, y_train)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            accuracy = float(np.mean(model.predict(x_test) == y_test))
            answer = {"wall_ms": wall * 1000, "cpu_ms": cpu * 1000, "accuracy": accuracy}
        elif command == ["small"]:
            answer = []
            splitter = RepeatedStratifiedKFold(n_splits=5, n_repeats=2, random_state=seed)
            for name, x, y in small_datasets(seed):
                folds = list(splitter.split(x, y))
                answer.append(
                    {
                        "name": name,
                        "x": x.tolist(),
                        "y": y.tolist(),
                        "folds": [test.tolist() for _, test in folds],
                        "peers": cross_validate(x, y, folds, rounds, seed),
                    }
                )
        else:
            raise ValueError(f"unknown command {line!r}")
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
