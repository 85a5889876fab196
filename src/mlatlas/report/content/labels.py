"""Bilingual names of the run records' metrics and data sets, as the report shows them.

:data:`METRICS` maps a metric's key (as a run record writes it) to its English and
Chinese label and a one-line meaning in each language; a key ``family.term`` (the MLE
entry's ``normal.mu``) is labelled by its last part.  :data:`DATASETS` gives the data
sets' Chinese names.  A key with no entry is shown as it is.
"""

from __future__ import annotations

__all__ = ["METRICS", "DATASETS", "metric_label", "dataset_label"]

#: metric key -> (English label, Chinese label, English meaning, Chinese meaning)
METRICS: dict[str, tuple[str, str, str, str]] = {
    "accuracy": ("accuracy", "准确率", "share of test points classified correctly (higher is better)",
                 "测试集中分类正确的比例（越高越好）"),
    "f1_macro": ("macro F1", "宏平均 F1", "F1 score averaged over classes with equal weight (higher is better)",
                 "各类别等权平均的 F1 分数（越高越好）"),
    "mse": ("mean squared error", "均方误差", "mean of squared prediction errors on the test set (lower is better)",
            "测试集上预测误差平方的均值（越低越好）"),
    "mae": ("mean absolute error", "平均绝对误差", "mean of absolute prediction errors (lower is better)",
            "预测误差绝对值的均值（越低越好）"),
    "r2": ("R²", "决定系数 R²", "share of the target's variance explained; 1 is perfect",
           "目标方差中被解释的比例；1 为完美"),
    "oob_score": ("out-of-bag score", "袋外得分", "score on the points each tree did not see in its bootstrap",
                  "每棵树在其自助样本之外的点上的得分"),
    "n_support_vectors": ("support vectors", "支持向量数", "training points with a non-zero dual weight",
                          "对偶权重非零的训练点个数"),
    "n_iter": ("iterations", "迭代次数", "iterations until the stopping rule held", "满足停止条件前的迭代次数"),
    "final_error": ("final weighted error", "最终加权误差", "weighted training error of the last weak learner",
                    "最后一个弱学习器的加权训练误差"),
    "inertia": ("inertia", "簇内平方和", "sum of squared distances to the nearest centre (lower is tighter)",
                "各点到最近中心的距离平方和（越低越紧凑）"),
    "adjusted_rand": ("adjusted Rand index", "调整兰德指数", "agreement of the clusters with the true classes, "
                      "0 by chance, 1 perfect", "聚类与真实类别的一致程度，随机为 0，完全一致为 1"),
    "silhouette": ("silhouette", "轮廓系数", "how much closer points are to their own cluster than to the next "
                   "(-1 to 1)", "点与本簇相比与相邻簇的接近程度（-1 到 1）"),
    "log_likelihood": ("log-likelihood", "对数似然", "log-probability of the data under the fitted model "
                       "(higher is better)", "数据在拟合模型下的对数概率（越高越好）"),
    "mean_log_likelihood": ("mean log-likelihood", "平均对数似然", "log-likelihood per sample (higher is better)",
                            "每个样本的对数似然（越高越好）"),
    "loglik": ("log-likelihood", "对数似然", "log-likelihood of the data at the fitted parameters",
               "拟合参数下数据的对数似然"),
    "aic": ("AIC", "AIC", "Akaike's criterion: -2 log-likelihood + 2 parameters (lower is better)",
            "赤池信息量准则：-2 对数似然 + 2 × 参数个数（越低越好）"),
    "bic": ("BIC", "BIC", "Bayesian criterion: -2 log-likelihood + parameters × log n (lower is better)",
            "贝叶斯信息准则：-2 对数似然 + 参数个数 × log n（越低越好）"),
    "mu": ("mean μ", "均值 μ", "fitted mean", "拟合的均值"),
    "sigma": ("std σ", "标准差 σ", "fitted standard deviation", "拟合的标准差"),
    "sigma2": ("noise variance σ²", "噪声方差 σ²", "variance of the innovations", "新息（噪声）的方差"),
    "rate": ("rate λ", "速率 λ", "fitted rate", "拟合的速率"),
    "lam": ("rate λ", "强度 λ", "fitted Poisson mean", "拟合的泊松均值"),
    "p": ("probability p", "概率 p", "fitted success probability", "拟合的成功概率"),
    "shape": ("shape", "形状参数", "fitted shape parameter", "拟合的形状参数"),
    "scale": ("scale", "尺度参数", "fitted scale parameter", "拟合的尺度参数"),
    "a": ("a", "a", "fitted first shape parameter", "拟合的第一个形状参数"),
    "b": ("b", "b", "fitted second shape parameter", "拟合的第二个形状参数"),
    "rmse_test": ("test RMSE", "测试 RMSE", "root mean squared error of the forecasts (lower is better)",
                  "预测的均方根误差（越低越好）"),
    "rmse_one_step": ("one-step RMSE", "单步 RMSE", "RMSE of one-step-ahead forecasts (lower is better)",
                      "向前一步预测的均方根误差（越低越好）"),
    "stationary": ("stationary", "平稳", "1 when the fitted AR polynomial's roots lie outside the unit circle",
                   "拟合的 AR 多项式的根都在单位圆外时为 1"),
    "train_mse": ("train MSE", "训练 MSE", "mean squared reconstruction error on the training set",
                  "训练集上的均方重建误差"),
    "test_mse": ("test MSE", "测试 MSE", "mean squared reconstruction error on held-out images (lower is better)",
                 "留出图像上的均方重建误差（越低越好）"),
    "test_nll": ("test NLL (nats)", "测试负对数似然（奈特）", "negative log-likelihood per held-out image "
                 "(lower is better)", "每张留出图像的负对数似然（越低越好）"),
    "test_nll_bound": ("test NLL bound", "测试负对数似然上界", "an upper bound on the held-out NLL (lower is better)",
                       "留出数据负对数似然的上界（越低越好）"),
    "train_nll": ("train NLL", "训练负对数似然", "negative log-likelihood per training image",
                  "每张训练图像的负对数似然"),
    "test_neg_elbo": ("test −ELBO", "测试 −ELBO", "negative evidence lower bound on held-out images "
                      "(lower is better)", "留出图像上的负证据下界（越低越好）"),
    "test_reconstruction_error": ("test reconstruction error", "测试重建误差",
                                  "error of rebuilding held-out images (lower is better)",
                                  "重建留出图像的误差（越低越好）"),
    "test_pseudo_likelihood": ("test pseudo-likelihood", "测试伪似然", "sum of log p(x_i | rest) per image "
                               "(higher is better)", "每张图像的 log p(x_i | 其余) 之和（越高越好）"),
    "mean_code_activation": ("mean code activation", "编码平均激活", "average activation of the code units",
                             "编码单元的平均激活"),
    "nonzero_codes_per_sample": ("non-zero codes per sample", "每样本非零编码数",
                                 "how many code units are used per image", "每张图像用到的编码单元个数"),
    "objective_train_per_sample": ("train objective per sample", "每样本训练目标",
                                   "reconstruction plus sparsity penalty on the training set",
                                   "训练集上的重建误差加稀疏惩罚"),
    "objective_test_per_sample": ("test objective per sample", "每样本测试目标",
                                  "reconstruction plus sparsity penalty on held-out images (lower is better)",
                                  "留出图像上的重建误差加稀疏惩罚（越低越好）"),
    "digits_fid": ("digits FID", "数字 FID", "Fréchet distance between features of samples and of real digits "
                   "(lower is better)", "样本与真实数字特征之间的 Fréchet 距离（越低越好）"),
    "digits_fid_guided": ("digits FID (guided)", "数字 FID（引导）", "FID of class-guided samples",
                          "按类别引导采样的 FID"),
    "digits_fid_unconditional": ("digits FID (unguided)", "数字 FID（无引导）", "FID of unguided samples",
                                 "无引导采样的 FID"),
    "label_accuracy": ("label accuracy", "标签准确率", "share of guided samples a classifier reads as the asked "
                       "digit", "分类器把引导样本判为所要求数字的比例"),
    "label_accuracy_unguided": ("label accuracy (unguided)", "标签准确率（无引导）",
                                "the same for unguided samples (chance level)", "无引导样本的同一比例（随机水平）"),
    "final_d_real": ("final D(x)", "最终 D(x)", "discriminator's mean output on real digits at the end",
                     "训练结束时判别器对真实数字的平均输出"),
    "final_d_fake": ("final D(G(z))", "最终 D(G(z))", "discriminator's mean output on generated digits at the end",
                     "训练结束时判别器对生成数字的平均输出"),
    "log_Z": ("log Z", "log Z", "log partition function estimated by annealed importance sampling",
              "退火重要性采样估计的对数配分函数"),
    "log_Z_standard_error": ("log Z standard error", "log Z 标准误", "uncertainty of the log Z estimate",
                             "log Z 估计的不确定性"),
    "top_log_Z": ("top RBM log Z", "顶层 RBM 的 log Z", "log partition function of the top layer",
                  "顶层的对数配分函数"),
    "top_log_Z_standard_error": ("top log Z standard error", "顶层 log Z 标准误", "uncertainty of the top log Z",
                                 "顶层 log Z 估计的不确定性"),
    "sampler_total_variation": ("sampler total variation", "采样器总变差", "distance between the Gibbs sampler's "
                                "and the exact distribution (lower is better)",
                                "吉布斯采样分布与精确分布之间的距离（越低越好）"),
    "max_abs_difference": ("max |ours − torch|", "最大 |本实现 − torch|", "largest absolute difference from torch "
                           "(0 up to rounding is a match)", "与 torch 的最大绝对差（舍入误差内为 0 即一致）"),
}

#: data set name (as a record writes it) -> Chinese name
DATASETS: dict[str, str] = {
    "iris": "鸢尾花", "digits": "手写数字", "breast_cancer": "乳腺癌", "diabetes": "糖尿病",
    "blobs": "高斯团簇", "nile": "尼罗河流量", "sunspots": "太阳黑子", "bars (2x3)": "条纹图像（2×3）",
    "notes-02": "笔记第 2 章的算例", "digits (standard split, test half)": "手写数字（标准划分，测试一半）",
}


def metric_label(key: str) -> dict:
    """``{"key", "en", "zh", "en_note", "zh_note"}`` of a metric; an unknown key labels itself."""
    found = METRICS.get(key)
    prefix = ""
    if found is None and "." in key:
        prefix, _, last = key.rpartition(".")
        found = METRICS.get(last)
    if found is None:
        return {"key": key, "en": key, "zh": key, "en_note": "", "zh_note": ""}
    en, zh, en_note, zh_note = found
    if prefix:
        en, zh = f"{prefix}: {en}", f"{prefix}：{zh}"
    return {"key": key, "en": en, "zh": zh, "en_note": en_note, "zh_note": zh_note}


def dataset_label(name: str) -> tuple[str, str]:
    """A data set's name as (English, Chinese); one with no Chinese name is shown as it is."""
    return (name, DATASETS.get(name, name))
