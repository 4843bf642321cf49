"""scikit-learn's HistGradientBoostingClassifier on the files bench/models-train.bench.ts writes (raw float32).

Usage: /usr/bin/python3 bench/sklearn-baseline.py DIR ROWS_TRAIN ROWS_TEST COLS ITER LR LEAVES MIN_LEAF MAX_BINS
Prints one JSON line: training seconds (wall and CPU of all threads), PR-AUC (average precision) on the test rows.
"""
import json
import os
import sys
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score

d, n_train, n_test, cols, it, lr, leaves, min_leaf, max_bins = sys.argv[1:10]
n_train, n_test, cols = int(n_train), int(n_test), int(cols)
load = lambda name, shape: np.fromfile(os.path.join(d, name), dtype=np.float32).reshape(shape)
x_train, y_train = load("x_train.f32", (n_train, cols)), load("y_train.f32", (n_train,))
x_test, y_test = load("x_test.f32", (n_test, cols)), load("y_test.f32", (n_test,))

model = HistGradientBoostingClassifier(
    max_iter=int(it), learning_rate=float(lr), max_leaf_nodes=int(leaves), min_samples_leaf=int(min_leaf),
    max_bins=int(max_bins), l2_regularization=0.0, early_stopping=False, random_state=0,
)
wall, cpu = time.perf_counter(), time.process_time()
model.fit(x_train, y_train)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
p = model.predict_proba(x_test)[:, 1]
ours = os.path.join(d, "ours.f32")
ours_ap = float(average_precision_score(y_test, np.fromfile(ours, dtype=np.float32))) if os.path.exists(ours) else None
print(json.dumps({
    "seconds": wall, "cpu_seconds": cpu, "pr_auc": float(average_precision_score(y_test, p)), "ours_pr_auc_by_sklearn": ours_ap,
    "threads": os.cpu_count(), "iterations": int(model.n_iter_),
}))
