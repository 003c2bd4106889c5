"""Writes src/fixtures/metrics.json: classification metrics computed by scikit-learn on seeded
random cases, the reference for src/metrics.test.ts.

Run with Debian's interpreter (/usr/bin/python3, package python3-sklearn), from training/:
    /usr/bin/python3 bench/metrics_fixtures.py > src/fixtures/metrics.json
"""

import json

import numpy as np
import sklearn
from sklearn import metrics


def case(name, rng, n, k, normalized=True, argmax=True, drop_pred_class=None):
    y_true = rng.integers(0, k, n)
    y_true[:k] = np.arange(k)  # every class present, as roc_auc_score's one-vs-rest needs
    # Scores on a 0.1 grid so that ties occur and must be ranked on average.
    raw = np.round(rng.random((n, k)), 1) + 0.05
    proba = raw / raw.sum(axis=1, keepdims=True) if normalized else np.round(raw * 0.9, 6)
    y_pred = proba.argmax(axis=1) if argmax else rng.integers(0, k, n)
    if drop_pred_class is not None:
        y_pred[y_pred == drop_pred_class] = (drop_pred_class + 1) % k
    average = "binary" if k == 2 else "macro"
    if k == 2:
        auc = metrics.roc_auc_score(y_true, proba[:, 1])
    elif normalized:
        auc = metrics.roc_auc_score(y_true, proba, multi_class="ovr", average="macro")
    else:
        # roc_auc_score's one-vs-rest insists on rows summing to 1; otherwise it is the macro
        # mean of the per-class binary AUCs.
        auc = float(np.mean([metrics.roc_auc_score(y_true == j, proba[:, j]) for j in range(k)]))
    onehot = np.eye(k)[y_true]
    brier = float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))
    if k == 2 and normalized:
        # The multiclass form is twice scikit-learn's binary brier_score_loss.
        assert np.isclose(brier, 2 * metrics.brier_score_loss(y_true, proba[:, 1]))
    return {
        "name": name,
        "nClasses": k,
        "yTrue": y_true.tolist(),
        "yPred": y_pred.tolist(),
        "probabilities": proba.ravel().tolist(),
        "expected": {
            "accuracy": metrics.accuracy_score(y_true, y_pred),
            "balancedAccuracy": metrics.balanced_accuracy_score(y_true, y_pred),
            "precision": metrics.precision_score(y_true, y_pred, average=average, zero_division=0),
            "recall": metrics.recall_score(y_true, y_pred, average=average, zero_division=0),
            "f1": metrics.f1_score(y_true, y_pred, average=average, zero_division=0),
            "rocAuc": auc,
            "logLoss": metrics.log_loss(y_true, proba, labels=list(range(k))),
            "brier": brier,
            "confusionMatrix": metrics.confusion_matrix(y_true, y_pred, labels=list(range(k))).tolist(),
        },
    }


def main():
    rng = np.random.default_rng(20240601)
    cases = [
        case("binary", rng, 60, 2),
        case("binary, predictions not the argmax", rng, 40, 2, argmax=False),
        case("binary, unnormalized probabilities", rng, 50, 2, normalized=False),
        case("three classes", rng, 90, 3),
        case("four classes, one never predicted", rng, 80, 4, argmax=False, drop_pred_class=2),
        case("five classes, unnormalized", rng, 70, 5, normalized=False, argmax=False),
    ]
    print(json.dumps({"sklearn": sklearn.__version__, "cases": cases}, indent=1))


if __name__ == "__main__":
    main()
