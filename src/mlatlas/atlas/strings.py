"""Every title, label and legend of the atlas's figures, in English and Chinese.

One table: ``key -> (English, Chinese)``.  Figures ask :func:`translator` for a
function ``t(key, **values)`` that returns the text in their language, formatted
with ``values`` (``str.format`` fields such as ``{k}`` or ``{accuracy:.3f}``; both
versions of a string take the same fields).  Library names (mlatlas, scikit-learn,
statsmodels, PyTorch), parameter names (``max_depth``) and formulas stay as they
are in both languages.  Chinese needs a CJK font; without one, :func:`translator`
returns the English text (see :func:`mlatlas.plots.effective_language`).
"""

from __future__ import annotations

from typing import Callable

__all__ = ["STRINGS", "translator", "text", "add_strings"]

STRINGS: dict[str, tuple[str, str]] = {}


def _section(strings: dict[str, tuple[str, str]]) -> None:
    for key, pair in strings.items():
        if key in STRINGS:
            raise ValueError(f"string {key!r} is defined twice.")
        STRINGS[key] = pair


def add_strings(strings: dict[str, tuple[str, str]]) -> None:
    """Add ``key -> (English, Chinese)`` pairs (a family module keeps its own strings with it).

    A key defined twice is a ValueError.
    """
    _section(strings)


def text(key: str, lang: str, **values) -> str:
    """The string ``key`` in ``lang`` (exactly, no font fallback), formatted with ``values``."""
    try:
        pair = STRINGS[key]
    except KeyError:
        raise KeyError(f"no string {key!r} in mlatlas.atlas.strings") from None
    template = pair[0] if lang == "en" else pair[1]
    return template.format(**values) if values else template


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **values)`` in ``lang``, or in English when Chinese has no font to draw it."""
    from .. import plots

    used = plots.effective_language(lang)

    def t(key: str, **values) -> str:
        return text(key, used, **values)

    return t


# ---------------------------------------------------------------------------- shared
_section({
    "model.ours": ("mlatlas", "mlatlas"),
    "model.sklearn": ("scikit-learn", "scikit-learn"),
    "axis.x1": ("x1", "x1"),
    "axis.x2": ("x2", "x2"),
    "axis.pc1": ("first principal component", "第一主成分"),
    "axis.pc2": ("second principal component", "第二主成分"),
    "axis.epoch": ("epoch", "轮次 (epoch)"),
    "axis.iteration": ("iteration", "迭代次数"),
    "axis.accuracy": ("accuracy", "准确率"),
    "axis.test_accuracy": ("test accuracy", "测试集准确率"),
    "axis.r2": ("R$^2$", "R$^2$"),
    "axis.test_r2": ("test R$^2$", "测试集 R$^2$"),
    "axis.predicted": ("predicted", "预测值"),
    "axis.observed": ("observed", "观测值"),
    "axis.true_target": ("true target", "真实目标值"),
    "axis.feature": ("feature", "特征"),
    "axis.predicted_class": ("predicted class", "预测类别"),
    "axis.true_class": ("true class", "真实类别"),
    "axis.importance": ("importance (share of the total impurity decrease)", "重要性（占不纯度总下降的比例）"),
    "legend.class": ("class", "类别"),
    "legend.cluster": ("cluster", "簇"),
    "legend.component": ("component", "分量"),
    "legend.train": ("train", "训练集"),
    "legend.test": ("test", "测试集"),
    "legend.train_ours": ("train (mlatlas)", "训练集 (mlatlas)"),
    "legend.test_ours": ("test (mlatlas)", "测试集 (mlatlas)"),
    "legend.test_sklearn": ("test (scikit-learn)", "测试集 (scikit-learn)"),
    "legend.support_vectors": ("support vectors", "支持向量"),
    "note.projected": (" (first two principal components)", "（前两个主成分）"),
})

# ---------------------------------------------------------------------------- neighbors
_section({
    "knn.class_name": ("class {name}", "类别 {name}"),
    "knn.axis_k": ("k (number of neighbours)", "k（近邻个数）"),
    "knn.boundary_panel": ("k = {k}: test accuracy {accuracy:.2f}", "k = {k}：测试集准确率 {accuracy:.2f}"),
    "knn.boundary_title": ("KNN on two moons ({weights} weights): small k follows the noise, large k blurs "
                           "the boundary",
                           "双月数据上的 KNN（{weights} 权重）：k 小则跟随噪声，k 大则边界模糊"),
    "knn.best_k": ("best test k = {k}", "测试集最佳 k = {k}"),
    "knn.accuracy_title": ("KNN accuracy against k on {dataset} ({weights} weights)",
                           "{dataset} 上 KNN 准确率随 k 的变化（{weights} 权重）"),
    "knn.r2_title": ("KNN regression on {dataset}: $R^2$ against k", "{dataset} 上的 KNN 回归：$R^2$ 随 k 的变化"),
    "knn.predictions_title": ("k = {k}: predictions on the test split", "k = {k}：测试集上的预测"),
})

# ---------------------------------------------------------------------------- linear
_section({
    "linear.test_set": ("test set, {n} features", "测试集，{n} 个特征"),
    "linear.residual": ("residual (observed - predicted)", "残差（观测值 − 预测值）"),
    "linear.residuals_title": ("residuals: sd {sd:.3g} (dotted: +-2 sd)", "残差：标准差 {sd:.3g}（点线：±2 倍标准差）"),
    "linear.coefficient": ("coefficient", "系数"),
    "linear.coefficients_title": ("coefficients (max rel. diff {diff:.1e})", "系数（最大相对差 {diff:.1e}）"),
    "linear.gd": ("gradient descent", "梯度下降"),
    "linear.lstsq": ("least squares (lstsq)", "最小二乘解 (lstsq)"),
    "linear.loss": ("loss = mean squared error / 2", "损失 = 均方误差 / 2"),
    "linear.first_epochs": ("the first {n} epochs", "前 {n} 轮"),
    "linear.gap": ("loss - optimum", "损失 − 最优值"),
    "linear.gap_title": ("gap to the optimum ({n} epochs, step 1/L)", "与最优值的差距（{n} 轮，步长 1/L）"),
    "logistic.source_run": ("run's training data", "本次运行的训练数据"),
    "logistic.source_moons": ("moons (standardized)", "双月数据（标准化）"),
    "logistic.boundary_title": ("decision boundary, {where}\naccuracy {accuracy:.3f}",
                                "决策边界，{where}\n准确率 {accuracy:.3f}"),
    "logistic.probability": ("P(y = {last} | x)", "P(y = {last} | x)"),
    "logistic.proba_title": ("P(y = {last} | x) = {formula}\nblack: P = 0.5", "P(y = {last} | x) = {formula}\n黑线：P = 0.5"),
    "logistic.cubic_title": ("same model on cubic features\naccuracy {accuracy:.3f}",
                             "同一模型用于三次多项式特征\n准确率 {accuracy:.3f}"),
    "logistic.solver_label": ("{solver} ({n} it.)", "{solver}（{n} 次迭代）"),
    "logistic.objective_gap": ("objective - best found", "目标函数 − 找到的最优值"),
    "logistic.objective_title": ("mean log-loss + ||W||^2 / (2 C n)", "平均对数损失 + ||W||^2 / (2 C n)"),
    "logistic.coef_sklearn": ("scikit-learn coefficient", "scikit-learn 的系数"),
    "logistic.coef_ours": ("mlatlas coefficient", "mlatlas 的系数"),
    "logistic.coef_title": ("coefficients, max |difference| {diff:.1e}", "系数，最大 |差| {diff:.1e}"),
})

# ---------------------------------------------------------------------------- trees
_section({
    "trees.best_depth": ("best test depth = {depth}", "测试集最佳深度 = {depth}"),
    "trees.depth_title": ("{dataset}: shallow trees underfit, deep trees overfit", "{dataset}：浅树欠拟合，深树过拟合"),
    "trees.yes": ("yes", "是"),
    "trees.no": ("no", "否"),
    "trees.class_prediction": ("class = {name} ({share:.2f})", "类别 = {name}（{share:.2f}）"),
    "trees.value_prediction": ("value = {value}", "取值 = {value}"),
    "trees.samples": ("samples = {n}", "样本数 = {n}"),
    "trees.collapsed": ("... {n} leaves below", "…… 下方共 {n} 个叶子"),
    "trees.leaf_colour": ("leaf colour: majority class", "叶子颜色：多数类"),
    "trees.first_levels": (" (first {shown} of {depth} levels)", "（共 {depth} 层，显示前 {shown} 层）"),
    "trees.tree_title": ("{entry} on {dataset}{shown}: go left when the test holds",
                         "{dataset} 上的 {entry}{shown}：条件成立时走左分支"),
    "trees.importances_title": ("{dataset}: feature importances", "{dataset}：特征重要性"),
})

# ---------------------------------------------------------------------------- ensembles
_section({
    "forest.importance": ("mean decrease in impurity (normalised)", "不纯度平均下降（归一化）"),
    "forest.importances_title": ("{entry}: feature importances on {dataset}", "{entry}：{dataset} 上的特征重要性"),
    "forest.top15": (" (top 15)", "（前 15 个）"),
    "forest.first_b": ("forest of the first b trees", "前 b 棵树组成的森林"),
    "forest.tree_alone": ("tree b alone", "单独的第 b 棵树"),
    "forest.mean_single": ("mean single tree", "单棵树的平均"),
    "forest.n_trees": ("number of trees b", "树的数量 b"),
    "forest.n_trees_title": ("averaging decorrelated trees ({dataset})", "对去相关的树取平均（{dataset}）"),
    "adaboost.error": (r"weighted error $\epsilon_t$", r"加权误差 $\epsilon_t$"),
    "adaboost.chance": ("chance 1 - 1/K = {value:.2f}", "随机猜测 1 - 1/K = {value:.2f}"),
    "adaboost.round": ("round t", "轮次 t"),
    "adaboost.rounds_title": ("each stump: its weighted error and its vote", "每个树桩：加权误差与投票权重"),
    "adaboost.ensemble_error": ("error of the ensemble", "集成模型的误差"),
    "adaboost.ensemble_title": ("ensemble error on {dataset}", "{dataset} 上集成模型的误差"),
    "adaboost.weights_panel": ("round {round}: eps={error:.2f}, alpha={alpha:.2f}",
                               "第 {round} 轮：eps={error:.2f}，alpha={alpha:.2f}"),
    "adaboost.weights_title": ("AdaBoost on moons: marker area = sample weight for that round's stump (dashed), "
                               "shading = ensemble after that round",
                               "双月数据上的 AdaBoost：点的面积 = 该轮树桩（虚线）所用的样本权重，底色 = 该轮之后的集成模型"),
})

# ---------------------------------------------------------------------------- svm
_section({
    "svm.classes_note": (", classes {first} vs {second}", "，类别 {first} 对 {second}"),
    "svm.margins_title": ("{dataset}{note}\nkernel={kernel}, C={C:g}: {n} support vectors; lines f = -1, 0, 1",
                          "{dataset}{note}\nkernel={kernel}，C={C:g}：{n} 个支持向量；线为 f = -1, 0, 1"),
    "svm.hard": ("hard margin (C = inf)", "硬间隔（C = inf）"),
    "svm.soft": ("soft margin, C = {C:g}", "软间隔，C = {C:g}"),
    "svm.hard_soft_panel": ("{kind}\nmargin 2/||w|| = {width:.2f}, {n} SVs", "{kind}\n间隔 2/||w|| = {width:.2f}，{n} 个支持向量"),
    "svm.hard_soft_title": ("One point near the other class: the hard margin bends to it, a small C lets it "
                            "violate the margin",
                            "一个点靠近另一类：硬间隔为它弯折，较小的 C 允许它违反间隔"),
    "svm.kernel_panel": ("{data}, {kernel}: train acc {accuracy:.2f}", "{data}，{kernel}：训练集准确率 {accuracy:.2f}"),
    "svm.pair": ("classes {first} vs {second}", "类别 {first} 对 {second}"),
    "svm.iteration": ("SMO iteration", "SMO 迭代次数"),
    "svm.dual": ("dual objective", "对偶目标函数"),
    "svm.dual_title": ("dual objective  e'a - a'Qa/2  (rises)", "对偶目标  e'a - a'Qa/2（上升）"),
    "svm.kkt": ("largest KKT violation", "最大 KKT 违反量"),
    "svm.kkt_title": ("largest KKT violation  m(a) - M(a)", "最大 KKT 违反量  m(a) - M(a)"),
})

# ---------------------------------------------------------------------------- clustering
_section({
    "clustering.cluster_name": ("cluster {j}", "簇 {j}"),
    "clustering.component_name": ("component {j}", "分量 {j}"),
    "clustering.true_groups": ("true number of groups", "真实的组数"),
    "kmeans.iteration_panel": ("iteration {n}: inertia {inertia:.4g}", "第 {n} 次迭代：惯性 {inertia:.4g}"),
    "kmeans.iterations_title": ("k-means (Lloyd) on {dataset}{note}, k={k}: assign, then move centres",
                                "{dataset}{note} 上的 k-means（Lloyd），k={k}：先分配，再移动中心"),
    "kmeans.best_inertia": ("inertia (best of starts)", "惯性（多次初始化中最好的）"),
    "kmeans.elbow_title": ("elbow: inertia against k", "肘部法则：惯性随 k 的变化"),
    "kmeans.excess": ("inertia above the best start (%)", "高于最佳初始化的惯性（%）"),
    "kmeans.starts_title": ("{n} random starts per k", "每个 k 做 {n} 次随机初始化"),
    "kmeans.elbow_suptitle": ("k-means on {dataset}: sensitive to k and to the start",
                              "{dataset} 上的 k-means：对 k 和初始值都敏感"),
    "gmm.ellipses_panel": ("{kind}: log-lik {loglik:.3f}", "{kind}：对数似然 {loglik:.3f}"),
    "gmm.ellipses_title": ("Gaussian mixture on {dataset}{note}, K={k}", "{dataset}{note} 上的高斯混合模型，K={k}"),
    "gmm.n_components": ("number of components K", "分量个数 K"),
    "gmm.bic": ("BIC (lower is better)", "BIC（越低越好）"),
    "gmm.bic_title": ("model selection by BIC", "用 BIC 选择模型"),
    "gmm.em_step": ("EM step", "EM 步数"),
    "gmm.mean_loglik": ("mean log-likelihood", "平均对数似然"),
    "gmm.em_title": ("EM log-likelihood per step (random start)", "每步 EM 的对数似然（随机初始化）"),
    "gmm.suptitle": ("Gaussian mixture on {dataset}", "{dataset} 上的高斯混合模型"),
})

# ---------------------------------------------------------------------------- id3
_section({
    "id3.gain": ("gain {gain:.3f}", "信息增益 {gain:.3f}"),
    "id3.tennis_title": ("ID3 on the play-tennis table", "打网球数据表上的 ID3"),
    "id3.play": ("play = {answer}", "打球 = {answer}"),
    "id3.root_feature": ("feature tested at the root", "根节点候选特征"),
    "id3.root_gain": ("information gain at the root (bits)", "根节点的信息增益（比特）"),
    "id3.root_title": ("root candidates: the largest gain wins", "根节点候选：增益最大者胜出"),
    "id3.dataset_title": ("ID3 (max_depth=2) on {dataset}, features cut into low/mid/high",
                          "{dataset} 上的 ID3（max_depth=2），特征切分为 low/mid/high"),
})

# ---------------------------------------------------------------------------- probability
_section({
    "mle.estimate": ("MLE ± 2 se", "MLE ± 2 倍标准误"),
    "mle.truth": ("truth", "真实值"),
    "mle.normal_title": ("normal log-likelihood (n={n})\nwhite: 95% likelihood region",
                         "正态分布对数似然（n={n}）\n白线：95% 似然区域"),
    "mle.shape": ("shape a", "形状参数 a"),
    "mle.scale": ("scale θ", "尺度参数 θ"),
    "mle.gamma_title": ("gamma log-likelihood on {dataset}\n(a ridge: a·θ ≈ mean is well determined)",
                        "{dataset} 上的伽马分布对数似然\n（一条山脊：a·θ ≈ 均值被很好地确定）"),
    "mle.normal_label": ("normal, l = {loglik:.1f}", "正态分布，l = {loglik:.1f}"),
    "mle.gamma_label": ("gamma, l = {loglik:.1f}", "伽马分布，l = {loglik:.1f}"),
    "mle.value": ("{dataset} value", "{dataset} 的取值"),
    "mle.density": ("density", "概率密度"),
    "mle.densities_title": ("normal vs gamma MLE fits to {dataset}", "{dataset} 上正态与伽马分布的 MLE 拟合"),
})

# ---------------------------------------------------------------------------- timeseries
_section({
    "ar.observed": ("observed", "观测值"),
    "ar.fitted": ("one-step fitted (ours)", "一步拟合值（mlatlas）"),
    "ar.forecast": ("forecast (ours)", "预测（mlatlas）"),
    "ar.interval": ("95% interval (ours)", "95% 区间（mlatlas）"),
    "ar.sm_forecast": ("statsmodels forecast", "statsmodels 的预测"),
    "ar.sm_interval": ("statsmodels 95% interval", "statsmodels 的 95% 区间"),
    "ar.forecast_title": ("AR({lags}), trend={trend!r} on {dataset}: fit and {steps}-step forecast",
                          "{dataset} 上的 AR({lags})，trend={trend!r}：拟合与 {steps} 步预测"),
    "ar.value": ("{dataset}", "{dataset}"),
    "ar.pacf_ours": ("ours (Durbin-Levinson)", "mlatlas（Durbin-Levinson）"),
    "ar.pacf_sm": ("statsmodels pacf", "statsmodels 的 pacf"),
    "ar.order": ("fitted order p={p}", "拟合阶数 p={p}"),
    "ar.lag": ("lag k", "滞后 k"),
    "ar.pacf": ("partial autocorrelation φ_kk", "偏自相关 φ_kk"),
    "ar.pacf_title": ("PACF of {dataset}", "{dataset} 的偏自相关函数"),
    "ar.unit_circle": ("unit circle", "单位圆"),
    "ar.roots": ("roots of φ(z)", "φ(z) 的根"),
    "ar.real": ("real part", "实部"),
    "ar.imaginary": ("imaginary part", "虚部"),
    "ar.stationary": ("stationary", "平稳"),
    "ar.not_stationary": ("NOT stationary", "不平稳"),
    "ar.roots_title": ("roots of 1 - Σ φ_i z^i: {state}", "1 - Σ φ_i z^i 的根：{state}"),
})

# ---------------------------------------------------------------------------- sparse coding
_section({
    "sparse.atoms_title": ("{name}: {k} atoms, most used first", "{name}：{k} 个原子，按使用次数排序"),
    "sparse.pixel_weight": ("pixel weight (centred digits)", "像素权重（中心化的数字图像）"),
    "sparse.ours": ("mlatlas (FISTA codes)", "mlatlas（FISTA 编码）"),
    "sparse.sklearn": ("scikit-learn (lasso_cd)", "scikit-learn（lasso_cd）"),
    "sparse.alternation": ("alternation", "交替优化轮次"),
    "sparse.objective": ("½‖X − CD‖² + α‖C‖₁ per sample", "每个样本的 ½‖X − CD‖² + α‖C‖₁"),
    "sparse.objective_title": ("objective, α = {alpha}", "目标函数，α = {alpha}"),
    "sparse.held_out_title": ("held-out digits (top) and C·D (bottom)\nnon-zero codes: {nonzeros}",
                              "留出的数字图像（上）与 C·D（下）\n非零编码个数：{nonzeros}"),
})

# ---------------------------------------------------------------------------- nn
_section({
    "worked.before": ("forward values (black) and gradients ∂L/∂· (red)", "前向计算的值（黑）与梯度 ∂L/∂·（红）"),
    "worked.after": ("after one step θ ← θ − {eta:g}·∂L/∂θ: L {before:.4f} → {after:.4f}",
                     "一步更新 θ ← θ − {eta:g}·∂L/∂θ 之后：L {before:.4f} → {after:.4f}"),
    "mlp.loss": ("training loss (data + L2 term)", "训练损失（数据项 + L2 项）"),
    "mlp.loss_title": ("{dataset}: hidden {hidden}, batch {batch}", "{dataset}：隐藏层 {hidden}，批大小 {batch}"),
    "mlp.regions_title": ("{name} (test acc {accuracy:.3f})", "{name}（测试集准确率 {accuracy:.3f}）"),
    "mlp.weights_title": ("first-layer weights of 16 hidden units", "16 个隐藏单元的第一层权重"),
    "mlp.confusion_digits": ("mlatlas test confusion (acc {ours:.3f}; sklearn {sklearn:.3f})",
                             "mlatlas 测试集混淆矩阵（准确率 {ours:.3f}；sklearn {sklearn:.3f}）"),
    "mlp.confusion": ("{name} test confusion (acc {accuracy:.3f})", "{name} 测试集混淆矩阵（准确率 {accuracy:.3f}）"),
    "mlp.test_set": ("test set", "测试集"),
    "concepts.mode_full": ("full batch ({steps} step / epoch)", "全批量（每轮 {steps} 步）"),
    "concepts.mode_minibatch": ("mini-batch 32 ({steps} steps / epoch)", "小批量 32（每轮 {steps} 步）"),
    "concepts.mode_stochastic": ("stochastic, batch 1 ({steps} steps / epoch)", "随机梯度，批大小 1（每轮 {steps} 步）"),
    "concepts.epoch_axis": ("epoch (passes over the {n} samples)", "轮次（遍历 {n} 个样本的次数）"),
    "concepts.updates": ("parameter updates", "参数更新次数"),
    "concepts.mean_loss": ("mean training loss over the epoch", "本轮的平均训练损失"),
    "concepts.batch_title": ("Adam, lr 1e-3: per epoch, smaller batches learn faster",
                             "Adam，lr 1e-3：按轮次看，批越小学得越快"),
    "concepts.updates_title": ("the same epochs against the number of parameter updates",
                               "同样的轮次，按参数更新次数来看"),
    "concepts.step": ("step", "步数"),
    "concepts.learning_rate": ("learning rate", "学习率"),
    "concepts.axis_n": ("N (samples)", "N（样本）"),
    "concepts.axis_c": ("C (channels)", "C（通道）"),
    "concepts.axis_hw": ("H·W (positions)", "H·W（位置）"),
    "concepts.norm_BatchNorm2d": ("BatchNorm: per channel,\nover (N, H, W)", "BatchNorm：每个通道，\n在 (N, H, W) 上"),
    "concepts.norm_LayerNorm": ("LayerNorm: per sample,\nover (C, H, W)", "LayerNorm：每个样本，\n在 (C, H, W) 上"),
    "concepts.norm_InstanceNorm2d": ("InstanceNorm: per sample and channel,\nover (H, W)",
                                     "InstanceNorm：每个样本和通道，\n在 (H, W) 上"),
    "concepts.norm_GroupNorm": ("GroupNorm (2 groups): per sample and\ngroup of 3 channels, over (C/G, H, W)",
                                "GroupNorm（2 组）：每个样本和\n每组 3 个通道，在 (C/G, H, W) 上"),
    "concepts.norm_check": ("mlatlas {name}: max |mean| over them {value:.0e}", "mlatlas {name}：其上的最大 |均值| {value:.0e}"),
    "concepts.tconv_input": ("input X (2x2)   kernel K\nK = {kernel}", "输入 X（2x2）   卷积核 K\nK = {kernel}"),
    "concepts.tconv_stamp": ("X[{i},{j}]={value:g} · K → window ({i}:{i2}, {j}:{j2})",
                             "X[{i},{j}]={value:g} · K → 窗口 ({i}:{i2}, {j}:{j2})"),
    "concepts.tconv_output": ("output (3x3): sum of the stamps\n= conv_transpose2d(X, K) (max diff {diff:.0e})",
                              "输出（3x3）：各印记之和\n= conv_transpose2d(X, K)（最大差 {diff:.0e}）"),
    "concepts.column": ("column", "列"),
    "concepts.row": ("row", "行"),
    "concepts.digit": ("digit, 8x8", "数字图像，8x8"),
    "concepts.up_nearest": ("nearest: copy the closest pixel, {h}x{w}", "最近邻：复制最近的像素，{h}x{w}"),
    "concepts.up_bilinear": ("bilinear: 2x2 weighted mean, {h}x{w}", "双线性：2x2 加权平均，{h}x{w}"),
    "concepts.up_bicubic": ("bicubic: 4x4 cubic weights\n(can overshoot [0, 1]), {h}x{w}",
                            "双三次：4x4 三次权重\n（可能超出 [0, 1]），{h}x{w}"),
    "concepts.up_transposed": ("transposed conv, stride 4,\nbilinear 8x8 kernel (zero-padded edges), {h}x{w}",
                               "转置卷积，步长 4，\n双线性 8x8 卷积核（边缘补零），{h}x{w}"),
})
