"""Report prose of the time-series entries."""

GROUP = "timeseries"

CONTENT = {
    "ar": {
        "source": "mlatlas/timeseries/ar.py",
        "what": ("An autoregressive model AR(p): each value is a linear combination of the p previous values "
                 "plus noise, fitted by least squares on the lagged series; forecasts run the recursion "
                 "forward with widening intervals.",
                 "自回归模型 AR(p)：每个值是前 p 个值的线性组合加上噪声，用滞后序列上的最小二乘拟合；"
                 "预测时把递推式向前推进，区间随步数变宽。"),
        "when": ("Stationary series with short memory; a baseline forecast; choosing p from the partial "
                 "autocorrelations.",
                 "短记忆的平稳序列；基线预测；根据偏自相关选择阶数 p。"),
        "strengths": [("Fast, interpretable coefficients and exact forecast intervals under Gaussian noise.",
                       "快速，系数可解释，在高斯噪声下预测区间是精确的。")],
        "weaknesses": [("Assumes stationarity (roots outside the unit circle) and linear dynamics.",
                        "假设平稳（特征根在单位圆外）且动态是线性的。"),
                       ("Long seasonal patterns need many lags.", "较长的季节性模式需要很多滞后项。")],
        "equations": [r"y_t = c + \sum_{i=1}^{p} \varphi_i y_{t-i} + \varepsilon_t, \quad "
                      r"\varepsilon_t \sim \mathcal{N}(0, \sigma^2)",
                      r"\varphi(z) = 1 - \sum_{i=1}^{p} \varphi_i z^i \ne 0 \text{ for } |z| \le 1",
                      r"\hat{y}_{t+h} = c + \sum_{i=1}^{p} \varphi_i \hat{y}_{t+h-i}"],
    },
}

#: Chinese titles of the entries (the registry's titles are English).
TITLES_ZH = {
    "ar": "用最小二乘（或 Yule-Walker）拟合的自回归模型 AR(p)，并给出预测",
}
