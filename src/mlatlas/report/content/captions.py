"""The captions under the entries' figures, in English and Chinese, keyed by figure stem.

A figure's stem is its file name without ``.png`` (or ``.zh.png``), as the registry's
figure functions name them (``kmeans-iterations``); figures of runs on other data sets
carry the data set in their name (``decision-tree-depth-iris``), matched here by the
part before it.  A figure with no caption is shown without one.
"""

from __future__ import annotations

__all__ = ["CAPTIONS", "caption_of"]

CAPTIONS: dict[str, tuple[str, str]] = {
    "adaboost-rounds": ("Each round's weighted error of its stump and the vote it earns.",
                        "每一轮树桩的加权误差及其获得的投票权重。"),
    "adaboost-weights": ("Sample weights after some rounds: misclassified points grow.",
                         "若干轮后的样本权重：分错的点权重变大。"),
    "ae-losses": ("Training loss per epoch.", "每轮的训练损失。"),
    "ae-reconstructions": ("Held-out digits, the autoencoder's reconstructions, and PCA's with as many components.",
                           "留出的数字、自编码器的重建，以及同样维数的 PCA 重建。"),
    "ar-forecast": ("The fitted series and a forecast with its 95% interval, ours beside statsmodels'.",
                    "拟合的序列与带 95% 区间的预测，本实现与 statsmodels 并列。"),
    "ar-pacf-roots": ("Partial autocorrelations that choose the order, and the roots of the fitted polynomial.",
                      "用于选阶的偏自相关，以及拟合多项式的根。"),
    "bm-states": ("Probabilities of the visible states: data, the exact model and the Gibbs sampler.",
                  "可见状态的概率：数据、精确模型与吉布斯采样器。"),
    "bm-training": ('The largest gap between clamped and free statistics per epoch, and the exact mean log-likelihood.',
        '每轮钳制统计量与自由统计量之间的最大差距，以及精确的平均对数似然。'),
    "dbn-classifier-accuracy": ('Test accuracy of ours with and without pre-training and of the references; the fine-tuning loss.',
        '本实现有无预训练时及参照模型的测试准确率；微调的损失。'),
    "dbn-classifier-filters": ("First-layer filters after fine-tuning.", "微调后的第一层滤波器。"),
    "dbn-filters": ("First-layer filters of the stack.", "堆叠网络的第一层滤波器。"),
    "dbn-nll": ("Held-out negative log-likelihood bound against the references.", "留出数据负对数似然上界与参照的对比。"),
    "dbn-samples": ("Samples drawn from the top RBM and passed down the stack.", "从顶层 RBM 采样并向下传递得到的样本。"),
    "dbn-training": ("Training curves, layer after layer.", "逐层的训练曲线。"),
    "ddpm-ddim-steps": ("Sample quality (FID) against the number of DDIM steps.", "样本质量（FID）随 DDIM 步数的变化。"),
    "ddpm-forward": ("One digit noised by the forward process over t.", "一个数字在前向过程中随 t 逐步加噪。"),
    "ddpm-guidance": ("One noise sampled at several classifier-free guidance weights.", "同一噪声在不同无分类器引导权重下的采样。"),
    "ddpm-loss": ("Training loss (noise-prediction error) per epoch.", "每轮的训练损失（噪声预测误差）。"),
    "ddpm-reverse": ("The reverse process: from pure noise to digits.", "反向过程：从纯噪声到数字。"),
    "ddpm-samples": ("Samples for each digit asked for.", "按所要求的每个数字生成的样本。"),
    "decision-tree-depth": ("Train and test score against the tree's depth.", "训练与测试得分随树深的变化。"),
    "decision-tree-importances": ("Feature importances, ours beside scikit-learn's.", "特征重要性，本实现与 scikit-learn 并列。"),
    "decision-tree-tree": ("The top of the fitted tree.", "拟合出的树的上部。"),
    "decision-tree-regressor-depth": ("Train and test score against the tree's depth.", "训练与测试得分随树深的变化。"),
    "decision-tree-regressor-importances": ("Feature importances, ours beside scikit-learn's.",
                                            "特征重要性，本实现与 scikit-learn 并列。"),
    "decision-tree-regressor-tree": ("The top of the fitted tree.", "拟合出的树的上部。"),
    "denoising-ae-losses": ("Training loss per epoch.", "每轮的训练损失。"),
    "denoising-ae-reconstructions": ("Held-out digits, their corrupted copies, the reconstructions and PCA's.",
                                     "留出的数字、损坏的副本、重建结果与 PCA 的重建。"),
    "gan-losses": ("Discriminator and generator losses per epoch.", "每轮的判别器与生成器损失。"),
    "gan-over-training": ("Samples from one fixed noise as training goes on.", "训练过程中由同一固定噪声生成的样本。"),
    "gan-samples": ("Samples of the trained generator.", "训练后生成器的样本。"),
    "gmm-bic": ("BIC against the number of components: the lowest is chosen.", "BIC 随分量数的变化：取最低者。"),
    "gmm-ellipses": ("The fitted Gaussians as ellipses over the data.", "拟合出的高斯分量画成数据上的椭圆。"),
    "id3-play-tennis": ("The tree ID3 grows on the play-tennis table.", "ID3 在打网球数据表上生成的树。"),
    "id3-tree": ("The tree ID3 grows on the data set.", "ID3 在该数据集上生成的树。"),
    "kmeans-elbow": ("Inertia against k: the elbow suggests a number of clusters.", "簇内平方和随 k 的变化：拐点提示簇数。"),
    "kmeans-iterations": ("Lloyd's iterations: assign the points, then move the centres.", "Lloyd 迭代：先分配点，再移动中心。"),
    "knn-accuracy-vs-k": ("Test accuracy against k.", "测试准确率随 k 的变化。"),
    "knn-boundaries": ("Decision regions for several k.", "不同 k 下的决策区域。"),
    "knn-regression-vs-k": ('Test R² against k for uniform and distance weights, and the predictions at one k.',
        '均匀权重与距离权重下测试 R² 随 k 的变化，以及某个 k 下的预测。'),
    "gradient-descent": ("Gradient descent's loss per epoch against least squares, and its gap to the optimum.",
        '梯度下降每轮的损失与最小二乘解的对比，以及与最优值的差距。'),
    "regression-line": ("Predicted against observed values on the test set.", "测试集上预测值与观测值的对比。"),
    "moons-boundary": ("The decision boundary on two moons.", "双月数据上的决策边界。"),
    "solvers": ("Each solver's gap to the best objective per iteration, and our coefficients against scikit-learn's.",
        '各求解器每次迭代与最优目标值的差距，以及本实现与 scikit-learn 的系数对比。'),
    "mle-likelihood-surfaces": ("Log-likelihood surfaces around the estimates, with ±2 standard errors.",
                                "估计值附近的对数似然曲面，附 ±2 个标准误。"),
    "mlp-regressor": ("Training loss beside scikit-learn's, and predicted against observed values on the test set.",
        '训练损失与 scikit-learn 的对比，以及测试集上预测值与观测值的对比。'),
    "mlp": ("Training loss beside scikit-learn's, first-layer weights of 16 hidden units, and the test confusion matrix.",
        '训练损失与 scikit-learn 的对比、16 个隐藏单元的第一层权重，以及测试集混淆矩阵。'),
    "batch-modes": ('Full batch, mini-batch and one-sample batches: loss per epoch and per parameter update.',
        '全批量、小批量与单样本批量：每轮和每次参数更新的损失。'),
    "norm-axes": ('The axes batch, layer, instance and group normalisation average over.',
        '批归一化、层归一化、实例归一化与组归一化所平均的维度。'),
    "schedules": ("Learning rate over the epochs for each scheduler.", "各学习率调度器随轮次的学习率。"),
    "transposed-conv": ("A transposed convolution: each input value stamps the kernel.", "转置卷积：每个输入值盖印一次卷积核。"),
    "upsampling": ("One image up-sampled by nearest, bilinear and bicubic interpolation.", "同一图像用最近邻、双线性与双三次插值上采样。"),
    "forest-importances": ("Feature importances, ours beside scikit-learn's.", "特征重要性，本实现与 scikit-learn 并列。"),
    "forest-n-trees": ('Test score of the forest of the first b trees against b, beside each tree alone and a single tree.',
        '由前 b 棵树组成的森林的测试得分随 b 的变化，并与单棵树对比。'),
    "rbm-ais": ("AIS estimates of log Z against the number of temperatures, and the exact value.",
                "对数配分函数的 AIS 估计随温度数的变化，以及精确值。"),
    "rbm-filters": ("Filters (rows of W) as 8 × 8 images, ours beside scikit-learn's.", "滤波器（W 的行）画成 8 × 8 图像，本实现与 scikit-learn 并列。"),
    "rbm-gibbs-chains": ('Gibbs chains: p(v | h) every 20 steps, a row per chain.',
        '吉布斯链：每 20 步的 p(v | h)，每行一条链。'),
    "rbm-nll": ("Held-out negative log-likelihood against the references.", "留出数据负对数似然与参照的对比。"),
    "rbm-training": ("Reconstruction error and pseudo-likelihood per epoch.", "每轮的重建误差与伪似然。"),
    "sparse-ae-losses": ("Training loss and sparsity penalty per epoch.", "每轮的训练损失与稀疏惩罚。"),
    "sparse-ae-reconstructions": ("Held-out digits, the reconstructions, and PCA's.", "留出的数字、重建结果与 PCA 的重建。"),
    "dictionary-atoms": ("The learned dictionary's atoms.", "学到的字典原子。"),
    "sparse-coding-objective": ("The objective per iteration.", "每次迭代的目标函数值。"),
    "svm-convergence": ("SMO's progress: the dual objective and the KKT violation.", "SMO 的进展：对偶目标与 KKT 违反量。"),
    "svm-hard-vs-soft": ("Hard and soft margins on overlapping classes.", "类别重叠时的硬间隔与软间隔。"),
    "svm-kernels": ("Decision boundaries of several kernels.", "不同核函数的决策边界。"),
    "svm-margins": ("The margin and the support vectors.", "间隔与支持向量。"),
    "vae-interpolation": ("Decoding codes on the line between two digits' codes.", "在两个数字的编码之间的线段上解码。"),
    "vae-latent": ("The codes of test digits on the latent plane, and decoded grid points.", "测试数字在隐平面上的编码，以及网格点的解码。"),
    "vae-losses": ("ELBO terms per epoch: reconstruction and KL.", "每轮的 ELBO 各项：重建项与 KL 项。"),
    "vae-reconstructions": ("Held-out digits and their reconstructions.", "留出的数字及其重建。"),
    "vae-samples": ("Samples from the prior, grouped by the label a digit classifier gives them.",
                    "从先验采样的数字，按数字分类器给出的标签分组。"),
    "worked-example": ("The worked example's network: forward values and gradients, then the values after one step.",
        '算例网络：前向数值与梯度，以及一步更新之后的数值。'),
}


def caption_of(stem: str) -> tuple[str, str] | None:
    """The caption of a figure, by its stem or, for a figure named after its data set, the stem's first parts."""
    parts = stem.split("-")
    for end in range(len(parts), 0, -1):
        found = CAPTIONS.get("-".join(parts[:end]))
        if found is not None:
            return found
    return None
