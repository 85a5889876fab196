"""Report prose of the generative models: autoencoders, VAE, GAN, Boltzmann machines, DDPM."""

GROUP = "generative"

#: Every torch model's record keeps its ``history_`` as ``history.<term>`` (one value per epoch).
_HISTORY = [{"series": [["history.*", None]], "x": "history.epoch", "xlabel": ("epoch", "轮次"), "each": True}]

CONTENT = {
    "ae": {
        "source": "mlatlas/generative/autoencoders.py",
        "what": ("An autoencoder: an encoder squeezes each image into a short code and a decoder rebuilds the "
                 "image from it; both are trained to make the rebuilt image match the input.",
                 "自编码器：编码器把每张图像压缩成一个短编码，解码器再由编码重建图像；两者一起训练，使重建结果与输入一致。"),
        "when": ("Non-linear dimensionality reduction, learned features, and as the base of the VAE.",
                 "非线性降维、学习特征，以及作为 VAE 的基础。"),
        "strengths": [("Non-linear codes that can beat PCA at the same size.", "非线性编码，在相同维度下可以优于 PCA。")],
        "weaknesses": [("Not a generative model by itself: its codes have no known distribution to sample.",
                        "本身不是生成模型：编码没有可采样的已知分布。"),
                       ("Can learn the identity if the code is too wide.", "编码太宽时可能学成恒等映射。")],
        "equations": [r"z = f_\theta(x), \quad \hat{x} = g_\phi(z)",
                      r"L = \frac{1}{n} \sum_i \lVert x_i - g_\phi(f_\theta(x_i)) \rVert^2"],
        "traces": _HISTORY,
        "frames": [],
    },
    "sparse-ae": {
        "source": "mlatlas/generative/autoencoders.py",
        "what": ("An autoencoder whose code units are pushed to be rarely active, by a KL penalty between "
                 "their mean activation and a small target rate (or an L1 penalty on the code).",
                 "一种自编码器：通过对编码单元平均激活与一个小目标激活率之间的 KL 惩罚（或对编码的 L1 惩罚），"
                 "使编码单元很少被激活。"),
        "when": ("Learning parts-like features with an over-complete code.", "用过完备编码学习类似“部件”的特征。"),
        "strengths": [("Each unit responds to a distinct pattern, even with many units.",
                       "即使单元很多，每个单元也对不同的模式响应。")],
        "weaknesses": [("Two more settings (target rate, penalty weight) to tune.", "多了两个需要调的参数（目标激活率和惩罚权重）。")],
        "equations": [r"L = \frac{1}{n} \sum_i \lVert x_i - \hat{x}_i \rVert^2 + \beta \sum_j "
                      r"\mathrm{KL}(\rho \,\Vert\, \hat{\rho}_j)",
                      r"\mathrm{KL}(\rho \,\Vert\, \hat{\rho}) = \rho \log \frac{\rho}{\hat{\rho}} + "
                      r"(1 - \rho) \log \frac{1 - \rho}{1 - \hat{\rho}}"],
        "traces": _HISTORY,
        "frames": [],
    },
    "denoising-ae": {
        "source": "mlatlas/generative/autoencoders.py",
        "what": ("An autoencoder trained to rebuild clean images from corrupted copies, so that it must learn "
                 "the structure of the data instead of copying pixels.",
                 "一种自编码器：训练它从损坏的副本中重建干净的图像，因而必须学到数据的结构，而不是照抄像素。"),
        "when": ("Denoising, and robust features that ignore small corruptions.", "去噪，以及对小扰动不敏感的稳健特征。"),
        "strengths": [("Robust codes even when the code is wide.", "即使编码较宽，也能得到稳健的编码。")],
        "weaknesses": [("The kind and level of noise is a modelling choice.", "噪声的类型和强度需要建模时选定。")],
        "equations": [r"\tilde{x} \sim q(\tilde{x} \mid x), \quad "
                      r"L = \frac{1}{n} \sum_i \lVert x_i - g_\phi(f_\theta(\tilde{x}_i)) \rVert^2"],
        "traces": _HISTORY,
        "frames": [],
    },
    "vae": {
        "thumbnail": "vae-samples",
        "source": "mlatlas/generative/vae.py",
        "what": ("A variational autoencoder: the encoder outputs a Gaussian over the code, a sample is drawn by "
                 "the reparameterisation z = μ + σ ⊙ ε, and training maximises the evidence lower bound (ELBO).",
                 "变分自编码器：编码器输出编码上的一个高斯分布，用重参数化 z = μ + σ ⊙ ε 采样，"
                 "训练时最大化证据下界（ELBO）。"),
        "when": ("A generative model with a smooth latent space to sample, interpolate and measure likelihood.",
                 "需要可采样、可插值、可计算似然的光滑隐空间的生成模型。"),
        "strengths": [("Samples and a likelihood bound; a regular, continuous latent space.",
                       "能采样并给出似然下界；隐空间规则且连续。")],
        "weaknesses": [("Samples are blurrier than a GAN's; the bound is not the likelihood itself.",
                        "样本比 GAN 的更模糊；下界并不等于似然本身。")],
        "equations": [r"\mathrm{ELBO} = \mathbb{E}_{q(z \mid x)}[\log p(x \mid z)] - "
                      r"\mathrm{KL}(q(z \mid x) \,\Vert\, p(z))",
                      r"z = \mu + \sigma \odot \varepsilon, \quad \varepsilon \sim \mathcal{N}(0, I)",
                      r"\mathrm{KL} = -\frac{1}{2} \sum_j \left(1 + \log \sigma_j^2 - \mu_j^2 - \sigma_j^2\right)"],
        "traces": _HISTORY,
        "frames": [],
    },
    "gan": {
        "thumbnail": "gan-samples",
        "source": "mlatlas/generative/gan.py",
        "what": ("A generative adversarial network: a generator maps noise to images and a discriminator tells "
                 "real from generated; they are trained against each other.",
                 "生成对抗网络：生成器把噪声映射成图像，判别器区分真实图像与生成图像，二者相互对抗地训练。"),
        "when": ("Sharp samples when a likelihood is not needed.", "不需要似然、但希望样本清晰时。"),
        "strengths": [("Sharp samples; no explicit density needed.", "样本清晰；不需要显式的密度。")],
        "weaknesses": [("Unstable training and mode collapse; no likelihood to compare models.",
                        "训练不稳定、可能模式坍塌；没有似然可用于比较模型。")],
        "equations": [r"\min_G \max_D \; \mathbb{E}_{x}[\log D(x)] + \mathbb{E}_{z}[\log(1 - D(G(z)))]",
                      r"L_G = -\mathbb{E}_z[\log D(G(z))]"],
        "traces": _HISTORY,
        "frames": [{"kind": "images", "range": [0, 1], "images": "snapshots.images", "steps": "snapshots.epochs",
                    "title": ("samples from one fixed noise during training", "训练过程中由同一组固定噪声生成的样本"),
                    "step_label": ("epoch", "轮次")}],
    },
    "rbm": {
        "source": "mlatlas/generative/boltzmann/rbm.py",
        "what": ("A restricted Boltzmann machine: binary visible and hidden units with an energy function and "
                 "no connections within a layer, trained by contrastive divergence (short Gibbs chains).",
                 "受限玻尔兹曼机：二值的可见单元与隐藏单元，由能量函数定义，层内没有连接；"
                 "用对比散度（短的吉布斯采样链）训练。"),
        "when": ("Learning binary features, pre-training deep belief networks, and understanding energy-based "
                 "models.",
                 "学习二值特征、预训练深度信念网络，以及理解基于能量的模型。"),
        "strengths": [("Exact conditionals: each layer is sampled in one step given the other.",
                       "条件分布精确：给定一层，另一层可以一步采样。"),
                      ("Its filters show what each hidden unit detects.", "它的滤波器显示每个隐藏单元检测什么。")],
        "weaknesses": [("The partition function is intractable: the likelihood needs estimates such as AIS.",
                        "配分函数难以计算：似然需要用 AIS 等方法估计。"),
                       ("Contrastive divergence is a biased gradient.", "对比散度给出的是有偏梯度。")],
        "equations": [r"E(v, h) = -b^\top v - c^\top h - v^\top W h",
                      r"P(h_j = 1 \mid v) = \sigma(c_j + v^\top W_{:j})",
                      r"\Delta W \propto \langle v h^\top \rangle_{\mathrm{data}} - "
                      r"\langle v h^\top \rangle_{\mathrm{model}}"],
        "traces": _HISTORY + [{"series": [["ais.estimate", ("AIS estimate of log Z", "log Z 的 AIS 估计")]],
                               "x": "ais.n_betas", "xlabel": ("intermediate distributions", "中间分布个数"),
                               "ylabel": ("log Z", "log Z"),
                               "title": ("AIS on a small RBM: the estimate against the number of temperatures",
                                         "小 RBM 上的 AIS：估计值随温度个数的变化")}],
        "frames": [{"kind": "images", "images": "snapshots.filters", "shape": [8, 8], "steps": "snapshots.epochs",
                    "title": ("filters over training: the first 16 rows of W as 8 x 8 images (each scaled to its "
                              "own range)", "训练过程中的滤波器：W 的前 16 行画成 8 × 8 图像（各自按自身范围缩放）"),
                    "step_label": ("epoch", "轮次")},
                   {"kind": "images", "range": [0, 1], "images": "chain.frames", "shape": [8, 8],
                    "title": ("Gibbs chains: p(v | h) of each chain, one frame every few Gibbs steps",
                              "吉布斯链：每条链的 p(v | h)，每隔若干吉布斯步一帧"),
                    "step_label": ("frame", "帧")}],
    },
    "dbn": {
        "source": "mlatlas/generative/boltzmann/dbn.py",
        "what": ("A deep belief network: RBMs stacked and trained greedily one layer at a time, each on the "
                 "hidden activities of the one below; samples come from Gibbs sampling at the top and a "
                 "downward pass.",
                 "深度信念网络：把多个 RBM 叠起来，逐层贪心训练，每层在下一层隐藏单元的激活上训练；"
                 "采样时在顶层做吉布斯采样，再向下传播。"),
        "when": ("Layer-wise feature learning and the history of deep learning's pre-training.",
                 "逐层特征学习，以及了解深度学习中预训练的历史。"),
        "strengths": [("Each layer is a simple RBM; depth adds more abstract features.", "每层都是简单的 RBM；层数越多特征越抽象。")],
        "weaknesses": [("Greedy training is not joint optimisation; likelihood is hard to evaluate.",
                        "贪心训练不是联合优化；似然难以评估。")],
        "equations": [r"p(v, h^1, \dots, h^L) = p(h^{L-1}, h^L) \prod_{l=0}^{L-2} p(h^l \mid h^{l+1})"],
        # the history runs layer after layer (its epoch column restarts at each layer)
        "traces": [{"series": [["history.*", None]], "xlabel": ("epoch, layer after layer", "轮次（逐层）"),
                    "each": True}],
    },
    "dbn-classifier": {
        "source": "mlatlas/generative/boltzmann/dbn.py",
        "what": ("A classifier built on a deep belief network: its RBM layers are pre-trained without labels, "
                 "then a softmax output is added and the whole network is fine-tuned by back-propagation.",
                 "建立在深度信念网络上的分类器：先在无标签数据上预训练各层 RBM，再加上 softmax 输出层，"
                 "用反向传播对整个网络进行微调。"),
        "when": ("Few labels but many unlabelled samples; to compare pre-training with training from scratch.",
                 "标签少而无标签样本多时；比较预训练与从零开始训练。"),
        "strengths": [("Pre-training gives a good start for the fine-tuning.", "预训练为微调提供了良好的起点。")],
        "weaknesses": [("Two training stages; modern initialisations often make pre-training unnecessary.",
                        "需要两个训练阶段；现代的初始化方法常常使预训练变得不必要。")],
        "equations": [r"h^{l} = \sigma(W_l^\top h^{l-1} + c_l), \quad "
                      r"P(y \mid x) = \operatorname{softmax}(V h^{L} + d)",
                      r"L = -\frac{1}{n} \sum_i \log P(y_i \mid x_i)"],
        "traces": [{"series": [["loss.pretrained", ("pre-trained", "预训练")], ["loss.scratch", ("from scratch", "从零训练")]],
                    "xlabel": ("epoch", "轮次"), "ylabel": ("fine-tuning loss", "微调损失"),
                    "title": ("fine-tuning: pre-trained against from scratch", "微调：预训练与从零训练的对比")}]
                  + _HISTORY,
    },
    "bm": {
        "source": "mlatlas/generative/boltzmann/bm.py",
        "what": ("A (fully connected) Boltzmann machine: binary units with symmetric weights between all "
                 "of them; learning matches the pairwise statistics of the data and of the model.",
                 "（全连接的）玻尔兹曼机：所有二值单元之间都有对称的权重；学习使数据与模型的两两统计量相匹配。"),
        "when": ("Small binary problems where exact enumeration is possible, to see energy-based learning "
                 "without approximations.",
                 "可以精确枚举的小型二值问题，用来观察不含近似的基于能量的学习。"),
        "strengths": [("The general energy-based model; the RBM is its restricted case.", "最一般的基于能量的模型；RBM 是它的受限情形。")],
        "weaknesses": [("Sampling and learning are slow: every unit depends on every other.",
                        "采样和学习都很慢：每个单元都依赖其他所有单元。")],
        "equations": [r"E(s) = -\frac{1}{2} s^\top W s - b^\top s, \quad P(s) = \frac{e^{-E(s)}}{Z}",
                      r"\Delta W_{ij} \propto \langle s_i s_j \rangle_{\mathrm{data}} - "
                      r"\langle s_i s_j \rangle_{\mathrm{model}}"],
        "traces": [{"series": [["curve.gibbs", ("Gibbs statistics", "吉布斯统计量")],
                               ["curve.exact", ("exact gradient", "精确梯度")]],
                    "xlabel": ("epoch", "轮次"), "ylabel": ("mean log-likelihood", "平均对数似然"),
                    "title": ("learning with Gibbs statistics and with the exact gradient", "用吉布斯统计量与用精确梯度学习")}]
                  + _HISTORY,
    },
    "ddpm": {
        "source": "mlatlas/generative/diffusion/ddpm.py",
        "what": ("A denoising diffusion model: a fixed forward chain adds Gaussian noise step by step, and a "
                 "U-Net learns to predict the noise, so that sampling runs the chain backwards from pure noise.",
                 "去噪扩散模型：一条固定的前向链逐步加入高斯噪声，U-Net 学习预测噪声，"
                 "采样时从纯噪声出发沿链反向运行。"),
        "when": ("High-quality image generation, with conditioning (class labels, text) and classifier-free "
                 "guidance.",
                 "高质量的图像生成，并可加入条件（类别标签、文本）和无分类器引导。"),
        "strengths": [("Stable training on a simple regression loss; sharp, diverse samples.",
                       "用简单的回归损失稳定训练；样本清晰且多样。")],
        "weaknesses": [("Sampling needs many network evaluations (DDIM takes fewer).", "采样需要多次网络计算（DDIM 所需步数更少）。")],
        "equations": [r"q(x_t \mid x_0) = \mathcal{N}(\sqrt{\bar{\alpha}_t} x_0, (1 - \bar{\alpha}_t) I), \quad "
                      r"\alpha_t = 1 - \beta_t, \; \bar{\alpha}_t = \prod_{s \le t} \alpha_s",
                      r"L = \mathbb{E}_{t, x_0, \varepsilon} \lVert \varepsilon - \varepsilon_\theta("
                      r"\sqrt{\bar{\alpha}_t} x_0 + \sqrt{1 - \bar{\alpha}_t} \varepsilon, t) \rVert^2",
                      r"\mu_\theta(x_t, t) = \frac{1}{\sqrt{\alpha_t}} \left(x_t - \frac{\beta_t}"
                      r"{\sqrt{1 - \bar{\alpha}_t}} \varepsilon_\theta(x_t, t)\right)",
                      r"\tilde{\beta}_t = \frac{1 - \bar{\alpha}_{t-1}}{1 - \bar{\alpha}_t} \beta_t"],
        "traces": _HISTORY + [{"series": [["ddim.fid", ("DDIM samples", "DDIM 样本")]], "x": "ddim.steps",
                               "xlabel": ("DDIM steps", "DDIM 步数"), "ylabel": ("digits_fid", "digits_fid"),
                               "title": ("sample quality against the number of DDIM steps",
                                         "样本质量随 DDIM 步数的变化")}],
        "frames": [{"kind": "images", "range": [0, 1], "images": "reverse.images", "steps": "reverse.t",
                    "title": ("the reverse trajectory: from noise to digits", "反向轨迹：从噪声到数字"),
                    "step_label": ("t", "t")},
                   {"kind": "images", "range": [0, 1], "images": "forward.images", "steps": "forward.t",
                    "title": ("the forward chain: one digit noised over t", "前向链：一个数字随 t 加噪"),
                    "step_label": ("t", "t")},
                   {"kind": "images", "range": [0, 1], "images": "guidance.images", "steps": "guidance.weights",
                    "title": ("one noise at several classifier-free guidance weights",
                              "同一噪声在不同无分类器引导权重下的结果"),
                    "step_label": ("guidance weight w", "引导权重 w")}],
    },
}

#: Chinese titles of the entries (the registry's titles are English).
TITLES_ZH = {
    "ae": "自编码器：数字图像的 MLP 编码，由解码器重建",
    "sparse-ae": "稀疏自编码器：用 KL（或 L1）惩罚保持稀疏的宽编码",
    "denoising-ae": "去噪自编码器：由损坏的数字重建干净的数字",
    "vae": "变分自编码器：ELBO、重参数化、IWAE 似然、样本与隐空间图",
    "gan": "生成对抗网络：非饱和损失，训练过程中的样本",
    "rbm": "受限玻尔兹曼机：PCD 训练、滤波器、吉布斯链、用 AIS 估计对数似然",
    "dbn": "深度信念网络：RBM 的贪心堆叠、样本、似然下界",
    "dbn-classifier": "DBN 分类器：RBM 预训练，再用反向传播微调",
    "bm": "玻尔兹曼机：钳制与自由的吉布斯统计量，10 个单元上的精确似然",
    "ddpm": "扩散模型（DDPM）：U-Net 噪声预测器、祖先采样与 DDIM 采样、无分类器引导",
}
