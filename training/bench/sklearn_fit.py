"""Reference fit for bench/train.bench.ts: scikit-learn's RandomForestClassifier on a CSV with a
`split` column, timing only `fit` in-process. Prints one JSON object.

Run with Debian's interpreter (/usr/bin/python3, package python3-sklearn):
    /usr/bin/python3 sklearn_fit.py DATA.csv LABEL N_ESTIMATORS SEED
"""

import csv
import json
import sys
import time

import numpy as np
import sklearn
from sklearn.ensemble import RandomForestClassifier


def main() -> None:
    path, label, n_estimators, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    features = [name for name in rows[0] if name not in (label, "split")]
    x = np.array([[float(row[name]) for name in features] for row in rows])
    y = np.array([row[label] for row in rows])
    train = np.array([row["split"] == "train" for row in rows])

    model = RandomForestClassifier(n_estimators=n_estimators, n_jobs=1, random_state=seed)
    start = time.perf_counter()
    model.fit(x[train], y[train])
    fit_seconds = time.perf_counter() - start
    accuracy = float(np.mean(model.predict(x[~train]) == y[~train]))
    print(json.dumps({"version": sklearn.__version__, "accuracy": accuracy, "fit_ms": fit_seconds * 1000}))


if __name__ == "__main__":
    main()
