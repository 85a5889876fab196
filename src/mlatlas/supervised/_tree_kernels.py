"""Compiled kernels for CART trees: the depth-first builder and the leaf lookup.

This private module holds the two loops of :mod:`mlatlas.supervised.tree` that cannot
be vectorised: growing a tree node by node (the split search walks every feature's
sorted values, a sequential scan with running sums) and routing samples to their
leaves.  Everything here works on plain NumPy arrays; validation, class encoding, the
public API and the readable version of the same algorithm (``build_tree_readable``,
which the tests check grows the same trees) live in ``tree.py``.

Layout of the data the builder works on
---------------------------------------
``order[f, start:end]`` holds the samples of the node being split, sorted by feature
``f`` (one row per feature, all rows holding the same set of samples).  The rows are
sorted once, before the tree is grown ("presorting"); after a node is split, every row
is partitioned stably into the left child's samples followed by the right child's, so
each row stays sorted inside both children.  A split search is then one linear scan
per feature and no node ever sorts again.

Numerical conventions (the same as scikit-learn's, so that the trees agree)
----------------------------------------------------------------------------
* features are float32; thresholds are float64 midpoints of two consecutive distinct
  float32 values, ``x_a / 2 + x_b / 2``;
* two values closer than ``FEATURE_THRESHOLD = 1e-7`` (in float32 arithmetic) are
  treated as equal: no threshold between them;
* the best split maximises a proxy of the impurity decrease (the terms that do not
  depend on the split dropped), compared with a strict ``>`` so that, among equal
  proxies, the first feature (lowest index when all features are searched) and the
  first position win;
* a node is a leaf when its depth reached ``max_depth``, it has fewer than
  ``min_samples_split`` samples or fewer than ``2 * min_samples_leaf``, its impurity
  is at most machine epsilon, no valid split exists, or the best split's weighted
  impurity decrease plus epsilon is below ``min_impurity_decrease``.

Small helpers called once per candidate split or per node are compiled with
``inline="always"``: a plain call that passes arrays pays reference counting, which
made the split scan 1.5 times slower.
"""

from __future__ import annotations

import numpy as np
from numba import njit

GINI = 0
ENTROPY = 1
SQUARED_ERROR = 2

TREE_LEAF = -1
TREE_UNDEFINED = -2

FEATURE_THRESHOLD = np.float32(1e-7)
EPSILON = np.finfo(np.float64).eps
LN2 = np.log(2.0)
INF = np.inf


# --------------------------------------------------------------------------- random


@njit(cache=True, nogil=True)
def _next_random(state):
    """SplitMix64: advance the 64-bit state in ``state[0]`` and return a random uint64."""
    state[0] += np.uint64(0x9E3779B97F4A7C15)
    z = state[0]
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True, nogil=True)
def _random_below(state, n):
    """A random integer in ``[0, n)``."""
    return np.int64(_next_random(state) % np.uint64(n))


# ----------------------------------------------------------------------- impurities


@njit(cache=True, nogil=True)
def _class_impurity(counts, weight, criterion):
    """Impurity of a node from its weighted class counts.

    Gini: G = 1 - sum_k p_k^2 ; entropy: H = -sum_k p_k log2 p_k ; p_k = counts_k / weight.
    """
    if criterion == GINI:
        sq = 0.0
        for c in range(counts.shape[0]):
            sq += counts[c] * counts[c]
        # G = 1 - sum_k counts_k^2 / weight^2
        return 1.0 - sq / (weight * weight)
    entropy = 0.0
    for c in range(counts.shape[0]):
        if counts[c] > 0.0:
            p = counts[c] / weight
            # H -= p_k log2 p_k
            entropy -= p * (np.log(p) / LN2)
    return entropy


@njit(cache=True, nogil=True)
def _sq_impurity(sum_wy, sum_wyy, weight):
    """Squared error of a node: the weighted variance sum(w y^2)/W - (sum(w y)/W)^2."""
    impurity = sum_wyy / weight
    impurity -= (sum_wy / weight) ** 2.0
    return impurity


# --------------------------------------------------------------------- split search


@njit(cache=True, nogil=True, inline="always")
def _move_to(seg, pos, new_pos, n, y, w, left, total, wl, w_node, classif):
    """Bring the left-child sums from position ``pos`` to ``new_pos`` of the segment.

    Like scikit-learn, the sums are updated from whichever end is closer: either by
    adding ``seg[pos:new_pos]`` or by restarting from the node totals and removing
    ``seg[new_pos:n]``.  (With integer weights both give the same numbers; with real
    weights this keeps the rounding identical to the reference.)  Returns the new
    left weight; ``left`` is updated in place (class counts, or [sum w y] for regression).
    """
    if new_pos - pos <= n - new_pos:
        for q in range(pos, new_pos):
            s = seg[q]
            ws = w[s]
            if classif:
                left[np.int64(y[s])] += ws
            else:
                left[0] += ws * y[s]
            wl += ws
    else:
        for c in range(left.shape[0]):
            left[c] = total[c]
        wl = w_node
        for q in range(n - 1, new_pos - 1, -1):
            s = seg[q]
            ws = w[s]
            if classif:
                left[np.int64(y[s])] -= ws
            else:
                left[0] -= ws * y[s]
            wl -= ws
    return wl


@njit(cache=True, nogil=True, inline="always")
def _split_proxy(left, total, wl, wr, criterion):
    """The proxy of the impurity decrease of one split (larger is better).

    * Gini / entropy: -(W_L I_L + W_R I_R), the children's weighted impurities
      (I = 1 - sum_k c_k^2 / W^2 or -sum_k p_k log2 p_k, c_R = c_node - c_L);
    * squared error: S_L^2 / W_L + S_R^2 / W_R with S = sum(w y) (the parent terms and
      sum(w y^2) do not depend on the split).
    """
    if criterion == GINI:
        sq_l = 0.0
        sq_r = 0.0
        for c in range(left.shape[0]):
            cl = left[c]
            cr = total[c] - cl
            sq_l += cl * cl
            sq_r += cr * cr
        # proxy = -W_R G_R - W_L G_L,  G = 1 - sum_k c_k^2 / W^2
        return -wr * (1.0 - sq_r / (wr * wr)) - wl * (1.0 - sq_l / (wl * wl))
    if criterion == ENTROPY:
        h_l = 0.0
        h_r = 0.0
        for c in range(left.shape[0]):
            cl = left[c]
            cr = total[c] - cl
            if cl > 0.0:
                pl = cl / wl
                h_l -= pl * (np.log(pl) / LN2)
            if cr > 0.0:
                pr = cr / wr
                h_r -= pr * (np.log(pr) / LN2)
        # proxy = -W_R H_R - W_L H_L
        return -wr * h_r - wl * h_l
    s_l = left[0]
    s_r = total[0] - s_l
    # proxy = S_L^2 / W_L + S_R^2 / W_R
    return s_l * s_l / wl + s_r * s_r / wr


@njit(cache=True, nogil=True)
def _scan_feature(xcol, seg, y, w, total, w_node, criterion, min_samples_leaf, left,
                  best_proxy):
    """Best threshold of one feature over the node's samples ``seg`` (sorted by it).

    Walks the sorted values once; at every boundary between two distinct values that
    leaves at least ``min_samples_leaf`` samples on each side, evaluates
    :func:`_split_proxy` from running sums of the left side.

    Returns ``(proxy, position, threshold)`` of the first split beating ``best_proxy``
    strictly, or ``(best_proxy, -1, 0.0)`` when none does.
    """
    n = seg.shape[0]
    classif = criterion != SQUARED_ERROR
    for c in range(left.shape[0]):
        left[c] = 0.0
    wl = 0.0
    pos = 0
    best_pos = -1
    best_threshold = 0.0
    p = 0
    while p < n:
        # next candidate: skip values within FEATURE_THRESHOLD of their predecessor
        p += 1
        while p < n and xcol[seg[p]] <= xcol[seg[p - 1]] + FEATURE_THRESHOLD:
            p += 1
        if p >= n or n - p < min_samples_leaf:
            break
        if p < min_samples_leaf:
            continue
        if p - pos <= n - p:
            # the usual case: add the samples between the last position and this one.
            # (This is _move_to's first branch, written out: calling _move_to here made
            # the 50k-sample trees twice as slow, even inlined.)
            for q in range(pos, p):
                s = seg[q]
                ws = w[s]
                if classif:
                    left[np.int64(y[s])] += ws
                else:
                    left[0] += ws * y[s]
                wl += ws
        else:
            wl = _move_to(seg, pos, p, n, y, w, left, total, wl, w_node, classif)
        pos = p
        proxy = _split_proxy(left, total, wl, w_node - wl, criterion)
        if proxy > best_proxy:
            best_proxy = proxy
            best_pos = p
            # midpoint of the two float32 values, computed in float64
            best_threshold = np.float64(xcol[seg[p - 1]]) / 2.0 + np.float64(xcol[seg[p]]) / 2.0
    return best_proxy, best_pos, best_threshold


@njit(cache=True, nogil=True)
def _children_impurity(seg, pos, y, w, total, w_node, sum_wyy, criterion, left):
    """Weights and impurities of both children of the split at ``pos``.

    Recomputes the left sums from scratch (as the reference does once the best split is
    known) and returns ``(w_left, w_right, impurity_left, impurity_right)``.
    """
    n = seg.shape[0]
    classif = criterion != SQUARED_ERROR
    for c in range(left.shape[0]):
        left[c] = 0.0
    zero = np.int64(0)
    wl = _move_to(seg, zero, pos, n, y, w, left, total, 0.0, w_node, classif)
    wr = w_node - wl
    if classif:
        right = total - left
        return wl, wr, _class_impurity(left, wl, criterion), _class_impurity(right, wr, criterion)
    sq_l = 0.0
    for q in range(pos):
        s = seg[q]
        sq_l += w[s] * y[s] * y[s]
    sq_r = sum_wyy - sq_l
    return wl, wr, _sq_impurity(left[0], sq_l, wl), _sq_impurity(total[0] - left[0], sq_r, wr)


@njit(cache=True, nogil=True, inline="always")
def _may_split(n_node, depth, impurity, max_depth, min_samples_split, min_samples_leaf):
    """The stopping rules known before the split search: depth, sizes, purity."""
    return not (depth >= max_depth or n_node < min_samples_split
                or n_node < 2 * min_samples_leaf or impurity <= EPSILON)


@njit(cache=True, nogil=True, inline="always")
def _partition(order, f, start, end, goes_left, buffer):
    """Stable partition of ``order[f, start:end]``: the left child's samples first.

    Branch-free (the side is unpredictable): every sample is written to both places
    and only the counter of its side advances.
    """
    row = order[f]
    n_l = start
    n_r = 0
    for q in range(start, end):
        s = row[q]
        g = np.int64(goes_left[s])
        row[n_l] = s
        buffer[n_r] = s
        n_l += g
        n_r += 1 - g
    for q in range(n_r):
        row[n_l + q] = buffer[q]


# ---------------------------------------------------------------------- tree growth


@njit(cache=True, nogil=True)
def _grow(a, size):
    """A copy of the 1-D array ``a`` with room for ``size`` entries."""
    out = np.empty(size, dtype=a.dtype)
    out[: a.shape[0]] = a
    return out


@njit(cache=True, nogil=True)
def _grow_value(a, size):
    out = np.empty((size, a.shape[1]), dtype=a.dtype)
    out[: a.shape[0]] = a
    return out


# the columns of the builder's stack of nodes still to grow
_START, _END, _DEPTH, _PARENT, _IS_LEFT, _ROW = 0, 1, 2, 3, 4, 5


@njit(cache=True, nogil=True, inline="always")
def _push(stack, stack_impurity, sp, start, end, depth, parent, is_left, row, impurity):
    """Push a node to grow onto the stack; return the new stack size."""
    stack[sp, _START] = start
    stack[sp, _END] = end
    stack[sp, _DEPTH] = depth
    stack[sp, _PARENT] = parent
    stack[sp, _IS_LEFT] = is_left
    stack[sp, _ROW] = row
    stack_impurity[sp] = impurity
    return sp + 1


@njit(cache=True, nogil=True)
def build_tree(XT, y, w, order, n_outputs, criterion, max_depth, min_samples_split,
               min_samples_leaf, max_features, min_impurity_decrease, seed):
    """Grow a CART tree depth first; return its nodes as parallel arrays.

    Parameters
    ----------
    XT : float32 array (n_features, n_samples), C order
        The features, transposed so that each feature's values are contiguous.
    y : float64 array (n_samples,)
        Class index (as a float) for classification, the target for regression.
    w : float64 array (n_samples,)
        Sample weights; samples with weight 0 are absent from ``order``.
    order : int32 array (n_features, m)
        Row ``f`` holds the ``m`` samples of positive weight sorted by feature ``f``.
        Modified in place.
    n_outputs : int
        Number of classes (classification) or 1 (regression): the width of ``value``.
    criterion : int
        GINI, ENTROPY or SQUARED_ERROR.
    max_depth, min_samples_split, min_samples_leaf : int
    max_features : int
        Features drawn at random per node; ``n_features`` searches all of them in
        index order (no randomness).
    min_impurity_decrease : float
    seed : int
        Seed of the feature-drawing generator.

    Returns
    -------
    children_left, children_right, feature, threshold, value, impurity,
    n_node_samples, weighted_n_node_samples, depth
        Nodes are numbered in depth-first pre-order (a node, then its left subtree,
        then its right subtree).  Leaves have children -1, feature -2, threshold -2.
    """
    n_features, m = order.shape
    n_samples = XT.shape[1]
    classif = criterion != SQUARED_ERROR
    K = n_outputs

    # node arrays, grown by doubling
    capacity = 2 * m - 1
    if capacity > 2047:
        capacity = 2047
    if max_depth <= 10 and (1 << (max_depth + 1)) - 1 < capacity:
        capacity = (1 << (max_depth + 1)) - 1
    children_left = np.empty(capacity, dtype=np.int64)
    children_right = np.empty(capacity, dtype=np.int64)
    feature = np.empty(capacity, dtype=np.int64)
    threshold = np.empty(capacity, dtype=np.float64)
    value = np.empty((capacity, K), dtype=np.float64)
    impurity = np.empty(capacity, dtype=np.float64)
    n_node_samples = np.empty(capacity, dtype=np.int64)
    weighted_n_node_samples = np.empty(capacity, dtype=np.float64)
    node_count = 0

    # explicit stack of nodes still to grow (one row per node, the columns _START...
    # _ROW, ``row`` being a row of ``order`` sorted within the node); a pop pushes at
    # most two, so depth + 2 rows suffice
    stack = np.empty((m + 2, 6), dtype=np.int64)
    stack_impurity = np.empty(m + 2, dtype=np.float64)
    sp = _push(stack, stack_impurity, 0, 0, m, 0, TREE_UNDEFINED, 0, 0, INF)

    total = np.zeros(K, dtype=np.float64)
    left = np.zeros(K, dtype=np.float64)
    goes_left = np.zeros(n_samples, dtype=np.int8)
    buffer = np.empty(m, dtype=np.int32)
    features = np.arange(n_features)
    rng = np.empty(1, dtype=np.uint64)
    rng[0] = np.uint64(seed)
    search_all = max_features >= n_features

    depth_seen = 0
    w_root = 0.0
    while sp > 0:
        sp -= 1
        start = stack[sp, _START]
        end = stack[sp, _END]
        depth = stack[sp, _DEPTH]
        parent = stack[sp, _PARENT]
        node_impurity = stack_impurity[sp]
        stats_row = order[stack[sp, _ROW]]
        n_node = end - start

        # node statistics: weighted class counts or sum(w y), sum(w y^2)
        for c in range(K):
            total[c] = 0.0
        w_node = 0.0
        sum_wyy = 0.0
        for q in range(start, end):
            s = stats_row[q]
            ws = w[s]
            if classif:
                total[np.int64(y[s])] += ws
            else:
                total[0] += ws * y[s]
                sum_wyy += ws * y[s] * y[s]
            w_node += ws
        if parent == TREE_UNDEFINED:  # the root
            if classif:
                node_impurity = _class_impurity(total, w_node, criterion)
            else:
                node_impurity = _sq_impurity(total[0], sum_wyy, w_node)
            w_root = w_node
        is_leaf = not _may_split(n_node, depth, node_impurity, max_depth, min_samples_split,
                                 min_samples_leaf)

        best_feature = -1
        best_pos = -1
        best_threshold = 0.0
        imp_left = 0.0
        imp_right = 0.0
        wl = 0.0
        wr = 0.0
        if not is_leaf:
            best_proxy = -INF
            # all features in index order, or features drawn without replacement
            # (Fisher-Yates) until max_features have been visited and at least one of
            # them was not constant
            remaining = n_features
            n_visited = 0
            found_varying = False
            while remaining > 0 and (search_all or n_visited < max_features or not found_varying):
                if search_all:
                    f = n_features - remaining
                    remaining -= 1
                else:
                    j = _random_below(rng, remaining)
                    remaining -= 1
                    f = features[j]
                    features[j] = features[remaining]
                    features[remaining] = f
                n_visited += 1
                seg = order[f, start:end]
                xcol = XT[f]
                # constant feature in this node: nothing to split
                if xcol[seg[n_node - 1]] <= xcol[seg[0]] + FEATURE_THRESHOLD:
                    continue
                found_varying = True
                proxy, pos, thr = _scan_feature(xcol, seg, y, w, total, w_node, criterion,
                                                min_samples_leaf, left, best_proxy)
                if pos >= 0:
                    best_proxy = proxy
                    best_feature = f
                    best_pos = pos
                    best_threshold = thr
            if best_pos < 0:
                is_leaf = True
            else:
                seg = order[best_feature, start:end]
                wl, wr, imp_left, imp_right = _children_impurity(
                    seg, best_pos, y, w, total, w_node, sum_wyy, criterion, left)
                # weighted impurity decrease:
                # (W_t / W) * (I_t - W_R / W_t * I_R - W_L / W_t * I_L)
                improvement = (w_node / w_root) * (
                    node_impurity - wr / w_node * imp_right - wl / w_node * imp_left)
                if improvement + EPSILON < min_impurity_decrease:
                    is_leaf = True

        # store the node
        if node_count >= capacity:
            capacity *= 2
            children_left = _grow(children_left, capacity)
            children_right = _grow(children_right, capacity)
            feature = _grow(feature, capacity)
            threshold = _grow(threshold, capacity)
            value = _grow_value(value, capacity)
            impurity = _grow(impurity, capacity)
            n_node_samples = _grow(n_node_samples, capacity)
            weighted_n_node_samples = _grow(weighted_n_node_samples, capacity)
        node = node_count
        node_count += 1
        if parent >= 0:
            if stack[sp, _IS_LEFT]:
                children_left[parent] = node
            else:
                children_right[parent] = node
        for c in range(K):
            # class fractions, or the weighted mean of y
            value[node, c] = total[c] / w_node
        impurity[node] = node_impurity
        n_node_samples[node] = n_node
        weighted_n_node_samples[node] = w_node
        children_left[node] = TREE_LEAF
        children_right[node] = TREE_LEAF
        feature[node] = TREE_UNDEFINED
        threshold[node] = TREE_UNDEFINED
        if depth > depth_seen:
            depth_seen = depth

        if not is_leaf:
            feature[node] = best_feature
            threshold[node] = best_threshold
            split = start + best_pos
            # would a child be split again? (the same rules as above, known in advance)
            if (_may_split(best_pos, depth + 1, imp_left, max_depth, min_samples_split,
                           min_samples_leaf)
                    or _may_split(n_node - best_pos, depth + 1, imp_right, max_depth,
                                  min_samples_split, min_samples_leaf)):
                # mark the left child's samples, then partition every other feature's
                # row (the split feature's row is already in place).  Skipped when both
                # children are leaves, and for features constant in this node: they stay
                # constant below, where the constancy test gives the same answer on any
                # of its samples.
                seg = order[best_feature, start:end]
                for q in range(best_pos):
                    goes_left[seg[q]] = 1
                for f in range(n_features):
                    xcol = XT[f]
                    if f != best_feature and xcol[order[f, end - 1]] > xcol[order[f, start]] + FEATURE_THRESHOLD:
                        _partition(order, f, start, end, goes_left, buffer)
                for q in range(best_pos):
                    goes_left[seg[q]] = 0
            # right child first so that the left one is grown (and numbered) first
            sp = _push(stack, stack_impurity, sp, split, end, depth + 1, node, 0, best_feature,
                       imp_right)
            sp = _push(stack, stack_impurity, sp, start, split, depth + 1, node, 1, best_feature,
                       imp_left)

    return (children_left[:node_count].copy(), children_right[:node_count].copy(),
            feature[:node_count].copy(), threshold[:node_count].copy(),
            value[:node_count].copy(), impurity[:node_count].copy(),
            n_node_samples[:node_count].copy(), weighted_n_node_samples[:node_count].copy(),
            depth_seen)


@njit(cache=True, nogil=True)
def keep_samples(order, keep):
    """The rows of ``order`` restricted to the samples with ``keep[s] == 1`` (order kept)."""
    n_features, n = order.shape
    m = 0
    for s in range(keep.shape[0]):
        m += keep[s]
    out = np.empty((n_features, m), dtype=np.int32)
    buf = np.empty(n, dtype=np.int32)
    for f in range(n_features):
        j = 0
        for q in range(n):
            # branch-free: write every sample, advance only past the kept ones
            s = order[f, q]
            buf[j] = s
            j += keep[s]
        out[f, :] = buf[:m]
    return out


# ------------------------------------------------------------------------- predict


@njit(cache=True, nogil=True)
def apply_tree(X, children_left, children_right, feature, threshold):
    """Leaf index of every row of ``X`` (float32, (n_samples, n_features)).

    From the root, go left when ``x[feature] <= threshold`` and right otherwise,
    until a leaf (``children_left == -1``).
    """
    n = X.shape[0]
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        node = 0
        while children_left[node] != TREE_LEAF:
            if X[i, feature[node]] <= threshold[node]:
                node = children_left[node]
            else:
                node = children_right[node]
        out[i] = node
    return out


@njit(cache=True, nogil=True)
def decision_paths(X, children_left, children_right, feature, threshold):
    """The nodes each row of ``X`` visits, root to leaf, in CSR form ``(indptr, indices)``."""
    n = X.shape[0]
    indptr = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):  # first pass: path lengths
        node = 0
        length = 1
        while children_left[node] != TREE_LEAF:
            if X[i, feature[node]] <= threshold[node]:
                node = children_left[node]
            else:
                node = children_right[node]
            length += 1
        indptr[i + 1] = indptr[i] + length
    indices = np.empty(indptr[n], dtype=np.int64)
    for i in range(n):  # second pass: the node ids
        node = 0
        k = indptr[i]
        indices[k] = 0
        while children_left[node] != TREE_LEAF:
            if X[i, feature[node]] <= threshold[node]:
                node = children_left[node]
            else:
                node = children_right[node]
            k += 1
            indices[k] = node
    return indptr, indices
