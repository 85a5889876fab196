"""Report prose of the NumPy neural-net core: the worked example, MLPs, the concepts of notes 02."""

GROUP = "nn"

#: The worked example's values as the notes print them (before the errata): only z1[0]
#: differs from the corrected values (-0.9 for -0.4), and L is rounded to 0.697.  The
#: notes stop at the update rule, so the values after the step have no printed column.
NOTES_PRINTED = {
    "z1[0]": -0.9, "z1[1]": 1.7, "a1[0]": 0.0, "a1[1]": 1.7, "z2": -0.18, "y_hat": -0.18, "L": 0.697,
    "dL/dy_hat": -1.18, "dL/dz2": -1.18, "dL/dW2[0]": 0.0, "dL/dW2[1]": -2.006, "dL/db2": -1.18,
    "dL/da1[0]": -0.236, "dL/da1[1]": 0.472, "dL/dz1[0]": 0.0, "dL/dz1[1]": 0.472,
    "dL/dW1[0,0]": 0.0, "dL/dW1[0,1]": 0.0, "dL/dW1[1,0]": 0.472, "dL/dW1[1,1]": 0.944,
    "dL/db1[0]": 0.0, "dL/db1[1]": 0.472,
}

CONTENT = {
    "worked-example": {
        "source": "mlatlas/nn/worked_example.py",
        "worked_example": True,
        "what": ("The two-layer ReLU network of notes 02 with its own numbers: the forward pass, every local "
                 "derivative of the backward pass, and one gradient step, computed by our modules, by "
                 "PyTorch's autograd and by hand.",
                 "笔记 02 中的两层 ReLU 网络，使用笔记自己的数字：前向传播、反向传播中的每个局部导数以及一步梯度下降，"
                 "分别由 mlatlas 的模块、PyTorch 的 autograd 和手算得到。"),
        "when": ("To see back-propagation as arithmetic, and to check a hand derivation line by line.",
                 "把反向传播当作算术来看，并逐行核对手推的结果。"),
        "strengths": [("Every intermediate value is shown next to the notes' value and the corrected one.",
                       "每个中间值都与笔记中的值和更正后的值并列显示。")],
        "weaknesses": [("A single example: it shows the mechanics, not training.", "只有一个样本：展示的是机制，而不是训练。"),
                       ("The notes print z1[0] = -0.9; the correct value is -0.4 (the ReLU hides the slip).",
                        "笔记写的是 z1[0] = -0.9，正确值是 -0.4（ReLU 把这个笔误掩盖了）。")],
        "equations": [r"z_1 = W_1 x + b_1, \quad a_1 = \max(0, z_1), \quad \hat{y} = W_2 a_1 + b_2",
                      r"L = \frac{1}{2} (\hat{y} - y)^2",
                      r"\frac{\partial L}{\partial W_1} = \left( W_2^\top \frac{\partial L}{\partial \hat{y}} "
                      r"\odot \mathbb{1}[z_1 > 0] \right) x^\top",
                      r"\theta \leftarrow \theta - \eta \frac{\partial L}{\partial \theta}"],
    },
    "mlp": {
        "source": "mlatlas/nn/mlp.py",
        "what": ("A multi-layer perceptron classifier on the NumPy core: linear layers with non-linear "
                 "activations, a softmax cross-entropy loss, back-propagation written by hand and Adam or SGD.",
                 "基于 NumPy 核心的多层感知机分类器：线性层加非线性激活、softmax 交叉熵损失、"
                 "手写的反向传播，以及 Adam 或 SGD 优化器。"),
        "when": ("Non-linear classification on dense features (digits, tabular data) of moderate size.",
                 "中等规模稠密特征上的非线性分类（如手写数字、表格数据）。"),
        "strengths": [("Learns any smooth boundary; mini-batches scale to large data.",
                       "可以学到任意光滑的边界；小批量训练可扩展到大数据。")],
        "weaknesses": [("Non-convex: depends on the seed, the learning rate and the scale of the features.",
                        "非凸：依赖随机种子、学习率和特征尺度。"),
                       ("Less readable than a linear model or a tree.", "不如线性模型或决策树可读。")],
        "equations": [r"h_{l} = \phi(W_l h_{l-1} + b_l)",
                      r"L = -\frac{1}{n} \sum_i \log \operatorname{softmax}(z_i)_{y_i} + "
                      r"\frac{\lambda}{2 n} \sum_l \lVert W_l \rVert^2",
                      r"\frac{\partial L}{\partial h_{l-1}} = W_l^\top \left( \frac{\partial L}{\partial h_l} "
                      r"\odot \phi'(z_l) \right)"],
        "traces": [{"series": [["loss.mlatlas", "mlatlas"], ["loss.sklearn", "scikit-learn"]],
                    "xlabel": ("epoch", "轮次"), "ylabel": ("training loss", "训练损失"),
                    "title": ("training loss per epoch", "每轮的训练损失")}],
    },
    "mlp-regressor": {
        "source": "mlatlas/nn/mlp.py",
        "what": ("A multi-layer perceptron for numeric targets: the same network with a linear output and the "
                 "squared error as its loss.",
                 "用于数值目标的多层感知机：同样的网络，输出层为线性，损失为平方误差。"),
        "when": ("Smooth non-linear regression on standardised features.", "标准化特征上的光滑非线性回归。"),
        "strengths": [("Flexible function fits; the same training loop as the classifier.",
                       "函数拟合灵活；与分类器使用同一个训练循环。")],
        "weaknesses": [("Needs scaled inputs and targets; can overfit small data.", "需要缩放输入和目标；小数据上容易过拟合。")],
        "equations": [r"L = \frac{1}{2 n} \sum_i (\hat{y}_i - y_i)^2 + \frac{\lambda}{2 n} \sum_l \lVert W_l \rVert^2"],
        "traces": [{"series": [["loss.mlatlas", "mlatlas"], ["loss.sklearn", "scikit-learn"]],
                    "xlabel": ("epoch", "轮次"), "ylabel": ("training loss", "训练损失"),
                    "title": ("training loss per epoch", "每轮的训练损失")}],
    },
    "nn-concepts": {
        "source": "mlatlas/nn/norms.py",
        "what": ("The building blocks of notes 02 checked against PyTorch: batch, layer, instance and group "
                 "normalisation, learning-rate schedules, upsampling and transposed convolution, and "
                 "full-batch against mini-batch training.",
                 "笔记 02 中的基本组件，并与 PyTorch 对照检查：批归一化、层归一化、实例归一化和组归一化，"
                 "学习率调度，上采样与转置卷积，以及全批量与小批量训练的对比。"),
        "when": ("To see which axes each norm averages over, what a schedule does to the learning rate, and "
                 "how a transposed convolution stamps its kernel.",
                 "想看清每种归一化在哪些维度上求平均、调度器如何改变学习率，以及转置卷积如何“盖印”卷积核时。"),
        "strengths": [("Each concept in one picture, with its largest difference from PyTorch.",
                       "每个概念一张图，并给出与 PyTorch 的最大差异。")],
        "weaknesses": [("Illustrations on small inputs, not benchmarks.", "是小输入上的示意，不是性能测试。")],
        "equations": [r"\hat{x} = \frac{x - \mu_{\mathcal{B}}}{\sqrt{\sigma^2_{\mathcal{B}} + \epsilon}}, "
                      r"\quad y = \gamma \hat{x} + \beta",
                      r"\eta_t = \eta_{\min} + \frac{1}{2} (\eta_0 - \eta_{\min}) "
                      r"\left(1 + \cos \frac{\pi t}{T}\right)",
                      r"Y[s i + a, s j + b] \mathrel{+}= X[i, j] \, K[a, b]"],
        "traces": [{"series": [["batch_modes.*.loss", None]], "xlabel": ("epoch", "轮次"),
                    "ylabel": ("mean training loss", "平均训练损失"),
                    "title": ("full batch, mini-batch and stochastic training", "全批量、小批量与随机梯度训练")}],
        "frames": [{"kind": "images", "images": "tconv.stamps",
                    "title": ("transposed convolution: each input value stamps the kernel",
                              "转置卷积：每个输入值盖印一次卷积核"),
                    "step_label": ("stamp", "印记")}],
    },
}

#: Chinese titles of the entries (the registry's titles are English).
TITLES_ZH = {
    "worked-example": "笔记中的两层 ReLU 网络：前向、反向和一步梯度下降，每一个值",
    "mlp": "多层感知机分类器（NumPy 模块，手写反向传播，Adam）",
    "mlp-regressor": "多层感知机回归（NumPy 模块，手写反向传播，Adam）",
    "nn-concepts": "笔记 02 的概念：批大小、学习率调度、归一化的维度、转置卷积、上采样（与 PyTorch 对照）",
}
