"""Report prose of the unsupervised entries: clustering, sparse coding, maximum likelihood."""

GROUP = "unsupervised"

CONTENT = {
    "kmeans": {
        "source": "mlatlas/unsupervised/kmeans.py",
        "what": ("Splits the data into k groups: Lloyd's algorithm alternates assigning each point to its "
                 "nearest centre and moving each centre to the mean of its points, from k-means++ starts.",
                 "把数据分成 k 组：Lloyd 算法从 k-means++ 初始化出发，交替地把每个点分配给最近的中心，"
                 "再把每个中心移到它所属点的均值。"),
        "when": ("Compact, roughly round clusters of similar size; vector quantisation; a fast first look.",
                 "紧凑、大致呈球形且大小相近的簇；向量量化；快速的初步观察。"),
        "strengths": [("Simple and fast; each iteration lowers the inertia.", "简单快速；每次迭代都会降低惯性。"),
                      ("Scales to large data.", "可以扩展到大规模数据。")],
        "weaknesses": [("k must be chosen; the result depends on the start (hence several starts).",
                        "必须指定 k；结果依赖初始化（因此要多次初始化）。"),
                       ("Assumes spherical clusters; sensitive to scale and outliers.", "假设簇是球形的；对尺度和离群点敏感。")],
        "equations": [r"J = \sum_{i=1}^{n} \min_j \lVert x_i - \mu_j \rVert^2",
                      r"c_i = \mathrm{arg\,min}_j \lVert x_i - \mu_j \rVert^2",
                      r"\mu_j = \frac{1}{|C_j|} \sum_{i \in C_j} x_i"],
        # lloyd.steps counts from 0; the figures (and the page) count iterations from 1
        "traces": [{"series": [["lloyd.inertia", ("inertia", "惯性")]], "x": "lloyd.steps", "offset": 1,
                    "xlabel": ("iteration", "迭代"), "ylabel": ("inertia J", "惯性 J"),
                    "title": ("inertia at the iterations shown", "所示各次迭代的惯性")}],
        "frames": [{"kind": "scatter", "points": "lloyd.X", "labels": "lloyd.labels", "steps": "lloyd.steps",
                    "offset": 1, "legend": ("cluster {n}", "簇 {n}"), "centres": "lloyd.trail",
                    "title": ("assign, then move the centres (crosses: centres, lines: their trails)",
                              "先分配，再移动中心（叉：中心，线：它们的轨迹）"),
                    "step_label": ("iteration", "迭代")}],
    },
    "gmm": {
        "source": "mlatlas/unsupervised/gmm.py",
        "what": ("A Gaussian mixture: the data as a weighted sum of K Gaussians, fitted by EM, which alternates "
                 "soft assignments (responsibilities) and weighted estimates of every weight, mean and "
                 "covariance.",
                 "高斯混合模型：把数据看作 K 个高斯分布的加权和，用 EM 拟合，交替计算软分配（责任度）"
                 "和每个分量的权重、均值与协方差的加权估计。"),
        "when": ("Clusters of different shapes and sizes, soft memberships, or a density estimate.",
                 "形状和大小各异的簇、需要软隶属度，或需要密度估计时。"),
        "strengths": [("Soft assignments and elliptical clusters; a likelihood to compare models (BIC).",
                       "软分配和椭圆形的簇；有似然可以比较模型（BIC）。")],
        "weaknesses": [("Local optima; K and the covariance type must be chosen.", "存在局部最优；需要选择 K 和协方差类型。"),
                       ("Full covariances need many samples per component.", "完整协方差需要每个分量有足够多的样本。")],
        "equations": [r"p(x) = \sum_{k=1}^{K} \pi_k \, \mathcal{N}(x \mid \mu_k, \Sigma_k)",
                      r"\gamma_{ik} = \frac{\pi_k \mathcal{N}(x_i \mid \mu_k, \Sigma_k)}"
                      r"{\sum_j \pi_j \mathcal{N}(x_i \mid \mu_j, \Sigma_j)}",
                      r"\pi_k = \frac{1}{n} \sum_i \gamma_{ik}, \quad "
                      r"\mu_k = \frac{\sum_i \gamma_{ik} x_i}{\sum_i \gamma_{ik}}"],
        "traces": [{"series": [["em.log_likelihood", ("mean log-likelihood", "平均对数似然")]],
                    "xlabel": ("EM step", "EM 步数"), "ylabel": ("mean log-likelihood", "平均对数似然"),
                    "title": ("EM from a random start: the likelihood never falls",
                              "随机初始化的 EM：似然从不下降")},
                   {"series": [["bic.*", None]], "x": "bic.k", "xlabel": ("number of components K", "分量个数 K"),
                    "ylabel": ("BIC (lower is better)", "BIC（越低越好）"),
                    "title": ("model selection by BIC, per covariance type", "按协方差类型用 BIC 选择模型")}],
    },
    "sparse-coding": {
        "source": "mlatlas/unsupervised/sparse_coding.py",
        "what": ("Dictionary learning: writes each sample as a sparse combination of learned atoms, "
                 "alternating lasso codes (FISTA) and a block-coordinate update of the atoms.",
                 "字典学习：把每个样本写成少数几个学到的原子的组合，交替进行 lasso 编码（FISTA）"
                 "和对原子的块坐标更新。"),
        "when": ("Finding parts-based features of images or signals, denoising, compression.",
                 "寻找图像或信号中基于部件的特征、去噪、压缩。"),
        "strengths": [("Interpretable atoms; sparse codes are cheap to store.", "原子可解释；稀疏编码存储成本低。")],
        "weaknesses": [("A non-convex problem: depends on the start.", "非凸问题：依赖初始化。"),
                       ("Encoding new data needs an optimisation per sample.", "编码新数据时每个样本都要做一次优化。")],
        "equations": [r"\min_{C, D} \frac{1}{2} \lVert X - C D \rVert_F^2 + \alpha \lVert C \rVert_1, "
                      r"\quad \lVert d_k \rVert_2 \le 1"],
        "traces": [{"series": [["objective.mlatlas", ("mlatlas (FISTA codes)", "mlatlas（FISTA 编码）")],
                               ["objective.reference", ("scikit-learn", "scikit-learn")]],
                    "xlabel": ("alternation", "交替优化轮次"), "ylabel": ("objective per sample", "每个样本的目标函数"),
                    "title": ("objective per alternation", "每轮交替的目标函数")}],
    },
    "mle": {
        "source": "mlatlas/probability/mle.py",
        "what": ("Maximum-likelihood estimation: the parameters under which the observed data are most "
                 "probable, in closed form where one exists and numerically otherwise, with standard errors "
                 "from the curvature of the log-likelihood.",
                 "极大似然估计：找出使观测数据出现概率最大的参数；有闭式解时用闭式解，否则数值求解，"
                 "并由对数似然的曲率给出标准误。"),
        "when": ("Fitting a distribution to data, comparing families by likelihood, and as the idea behind "
                 "most loss functions.",
                 "给数据拟合一个分布、用似然比较不同分布族，它也是大多数损失函数背后的思想。"),
        "strengths": [("Consistent and efficient for large samples; standard errors come with it.",
                       "大样本下相合且有效；同时得到标准误。")],
        "weaknesses": [("Biased in small samples (the normal variance divides by n).", "小样本下有偏（正态方差除以 n）。"),
                       ("Only as good as the assumed family.", "好坏取决于所假设的分布族。")],
        "equations": [r"\hat{\theta} = \mathrm{arg\,max}_\theta \sum_{i=1}^{n} \log p(x_i \mid \theta)",
                      r"\hat{\mu} = \bar{x}, \quad \hat{\sigma}^2 = \frac{1}{n} \sum_i (x_i - \bar{x})^2",
                      r"\mathrm{se}(\hat{\theta}) \approx "
                      r"\sqrt{\operatorname{diag}(-\nabla^2 \ell(\hat{\theta}))^{-1}}"],
    },
}

#: Chinese titles of the entries (the registry's titles are English).
TITLES_ZH = {
    "kmeans": "k-means 聚类（Lloyd 算法，k-means++ 或随机初始化）",
    "gmm": "用 EM 拟合的高斯混合模型（full、tied、diag 或 spherical 协方差）",
    "sparse-coding": "字典学习：用 ISTA/FISTA 求 lasso 编码，用块坐标下降更新原子",
    "mle": "极大似然估计，标准误来自观测信息矩阵",
}
