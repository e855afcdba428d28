"""Typical mistakes in batch, layer, spatial batch and spatial group normalization."""

from functools import partial

from autograder.catalog.variants import Bug, Edit

layers = partial(Edit, "layers.py")

BN_STATS = (
    "        sample_mean = x.mean(axis=0)\n"
    "        x_centered = x - sample_mean\n"
    "        sample_var = (x_centered**2).mean(axis=0)\n"
)
BN_RUNNING = (
    "        running_mean = momentum * running_mean + (1 - momentum) * sample_mean\n"
    "        running_var = momentum * running_var + (1 - momentum) * sample_var\n"
)
BN_TEST = "        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta\n"
BN_PARAM_GRADS = (
    "    # out = gamma * x_hat + beta\n"
    "    dbeta = dout.sum(axis=0)\n"
    "    dgamma = (dout * x_hat).sum(axis=0)\n"
)
BN_ALT_DX = "    dx = gamma / (n * std) * (n * dout - dbeta - x_hat * dgamma)\n"

BATCHNORM = (
    Bug(
        "batchnorm.unbiased_variance",
        "the batch variance divides by N - 1",
        "Batch normalization uses the batch's own (biased) variance, the mean of the squared deviations: "
        "divide by N.",
        (layers("        sample_var = (x_centered**2).mean(axis=0)\n",
                "        sample_var = (x_centered**2).sum(axis=0) / (x.shape[0] - 1)\n"),),
        public=True,
    ),
    Bug(
        "batchnorm.eps_outside_sqrt",
        "eps is added to the standard deviation instead of the variance",
        "The normalizer is sqrt(var + eps): eps goes under the square root.",
        (layers("        std = np.sqrt(sample_var + eps)\n", "        std = np.sqrt(sample_var) + eps\n"),),
        public=True,
    ),
    Bug(
        "batchnorm.stats_over_features",
        "the mean and variance are taken over each example's features (axis 1) instead of over the batch",
        "Batch normalization normalizes each feature (column) with statistics over the N examples of "
        "the batch; per-example statistics are layer normalization.",
        (layers(BN_STATS, BN_STATS.replace("axis=0)", "axis=1, keepdims=True)")),),
        public=True,
    ),
    Bug(
        "batchnorm.momentum_swapped",
        "the running averages give weight momentum to the new batch and 1 - momentum to the past",
        "The momentum weighs the past: each update keeps a fraction momentum of the running value and adds "
        "1 - momentum of the new batch statistic.",
        (layers(BN_RUNNING,
                "        running_mean = (1 - momentum) * running_mean + momentum * sample_mean\n"
                "        running_var = (1 - momentum) * running_var + momentum * sample_var\n"),),
        public=True,
    ),
    Bug(
        "batchnorm.running_stats_overwritten",
        "the running averages are written into bn_param directly, and the provided code then overwrites them",
        "The lines after your code store the local variables running_mean and running_var in bn_param; "
        "update those variables, or your updates are lost.",
        (layers(BN_RUNNING,
                '        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * sample_mean\n'
                '        bn_param["running_var"] = momentum * running_var + (1 - momentum) * sample_var\n'),),
    ),
    Bug(
        "batchnorm.running_var_from_std",
        "the running variance averages the standard deviation instead of the variance",
        "Test mode divides by the square root of running_var plus eps, so running_var must track the "
        "batch variance itself, not its square root.",
        (layers("        running_var = momentum * running_var + (1 - momentum) * sample_var\n",
                "        running_var = momentum * running_var + (1 - momentum) * std\n"),),
    ),
    Bug(
        "batchnorm.test_uses_batch_stats",
        "test mode normalizes with the statistics of the test batch",
        "At test time, the running averages gathered during training stand in for the batch statistics: "
        "a prediction must not depend on the other examples of its batch.",
        (layers(BN_TEST, "        out = gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta\n"),),
        public=True,
    ),
    Bug(
        "batchnorm.test_forgets_scale_and_shift",
        "test mode normalizes but does not apply gamma and beta",
        "Test mode computes the same function as train mode with the running statistics: normalize, then "
        "scale by gamma and shift by beta.",
        (layers(BN_TEST, "        out = (x - running_mean) / np.sqrt(running_var + eps)\n"),),
    ),
    Bug(
        "batchnorm.backward_no_mean_path",
        "the backward pass ignores that the mean depends on x",
        "Every x[n] also moves the batch mean, which every output depends on: the mean's branch of the "
        "graph sends gradient back to x too.",
        (layers("    dx = dx_centered - dx_centered.mean(axis=0)\n", "    dx = dx_centered\n"),),
        public=True,
    ),
    Bug(
        "batchnorm.backward_no_variance_path",
        "the backward pass ignores that the variance depends on x",
        "Every x[n] also moves the batch variance, and through it the normalizer of every output: that "
        "branch of the graph adds its own term to the gradient of x.",
        (layers("    dx_centered += 2 * x_centered * dvar / n\n", ""),),
    ),
    Bug(
        "batchnorm.backward_variance_not_averaged",
        "the variance's gradient misses the 1/N of the mean that defines it",
        "var is a mean of N squared deviations: its derivative with respect to one deviation carries 1/N.",
        (layers("    dx_centered += 2 * x_centered * dvar / n\n", "    dx_centered += 2 * x_centered * dvar\n"),),
    ),
    Bug(
        "batchnorm.dgamma_without_x_hat",
        "dgamma sums dout alone, like dbeta",
        "gamma multiplies the normalized input, so each dout is weighed by its x_hat before summing.",
        (layers(BN_PARAM_GRADS, BN_PARAM_GRADS.replace("(dout * x_hat).sum(axis=0)", "dout.sum(axis=0)")),),
        public=True,
    ),
    Bug(
        "batchnorm.alt_missing_x_hat_term",
        "the closed-form backward pass drops the term from the variance",
        "Work the simplified formula out again: three terms survive, one from the direct path, one from "
        "the mean, and one from the variance (the one with x_hat).",
        (layers(BN_ALT_DX, "    dx = gamma / (n * std) * (n * dout - dbeta)\n"),),
    ),
    Bug(
        "batchnorm.alt_missing_gamma",
        "the closed-form backward pass leaves gamma out of dx",
        "The output is gamma times the normalized input, so every path from the output to x passes "
        "through gamma.",
        (layers(BN_ALT_DX, "    dx = 1 / (n * std) * (n * dout - dbeta - x_hat * dgamma)\n"),),
    ),
)

LN_STATS = (
    "    x_centered = x - x.mean(axis=1, keepdims=True)\n"
    "    std = np.sqrt((x_centered**2).mean(axis=1, keepdims=True) + eps)\n"
)
LN_DX = (
    "        - dx_hat.sum(axis=1, keepdims=True)\n"
    "        - x_hat * (dx_hat * x_hat).sum(axis=1, keepdims=True)\n"
)
LN_PARAM_GRADS = "    d = dout.shape[1]\n    dbeta = dout.sum(axis=0)\n    dgamma = (dout * x_hat).sum(axis=0)\n"

LAYERNORM = (
    Bug(
        "layernorm.stats_over_batch",
        "the statistics are taken over the batch (axis 0), as in batch normalization",
        "Layer normalization normalizes each example (row) with the mean and variance of its own D features.",
        (layers(LN_STATS, LN_STATS.replace("axis=1", "axis=0")),),
        public=True,
    ),
    Bug(
        "layernorm.no_keepdims",
        "the per-example statistics lose their axis, so they broadcast against the wrong dimension",
        "A statistic per example has shape (N,); to subtract it from an (N, D) array it must line up "
        "with the rows, as an (N, 1) column.",
        (layers(LN_STATS, LN_STATS.replace("axis=1, keepdims=True", "axis=1")),),
        public=True,
    ),
    Bug(
        "layernorm.backward_sums_over_batch",
        "the backward pass sums over the batch instead of over each example's features",
        "Each example's mean and variance involve only its own features, so the sums in dx run over axis 1.",
        (layers(LN_DX, LN_DX.replace("axis=1", "axis=0")),),
    ),
    Bug(
        "layernorm.param_grads_per_example",
        "dgamma and dbeta are summed over the features instead of over the examples",
        "gamma and beta have one entry per feature (shape (D,)) and are shared by the N examples: their "
        "gradients add up over the examples.",
        (layers(LN_PARAM_GRADS, LN_PARAM_GRADS.replace("axis=0", "axis=1")),),
        public=True,
    ),
    Bug(
        "layernorm.backward_counts_examples",
        "the backward pass divides by N (examples) where the statistics averaged over D (features)",
        "Each example's statistics are means over its D features; their derivatives carry 1/D.",
        (layers("    d = dout.shape[1]\n", "    d = dout.shape[0]\n"),),
    ),
)

SPATIAL_BATCHNORM = (
    Bug(
        "spatial_batchnorm.reshape_without_transpose",
        "x is reshaped to (N * H * W, C) without moving the channels last first",
        "A reshape only regroups the numbers in memory order; to make each column one channel, the "
        "channel axis has to become the last axis before flattening.",
        (layers("    x_rows = x.transpose(0, 2, 3, 1).reshape(-1, channels)\n",
                "    x_rows = x.reshape(-1, channels)\n"),),
        public=True,
    ),
    Bug(
        "spatial_batchnorm.output_not_transposed_back",
        "the output rows are reshaped straight to (N, C, H, W)",
        "Undo the steps in reverse order: the rows are (N, H, W, C) flattened, so unflatten them to that "
        "shape and then move the channels back to axis 1.",
        (layers("    out = out_rows.reshape(n, height, width, channels).transpose(0, 3, 1, 2)\n",
                "    out = out_rows.reshape(n, channels, height, width)\n"),),
        public=True,
    ),
    Bug(
        "spatial_batchnorm.backward_without_transpose",
        "dout is reshaped to (N * H * W, C) without moving the channels last first",
        "The backward pass has to lay dout out exactly as the forward pass laid out x.",
        (layers("    dout_rows = dout.transpose(0, 2, 3, 1).reshape(-1, channels)\n",
                "    dout_rows = dout.reshape(-1, channels)\n"),),
    ),
    Bug(
        "spatial_batchnorm.dx_not_transposed_back",
        "dx is reshaped straight to (N, C, H, W)",
        "dx comes back as rows of (N, H, W, C): unflatten to that shape, then move the channels back to axis 1.",
        (layers("    dx = dx_rows.reshape(n, height, width, channels).transpose(0, 3, 1, 2)\n",
                "    dx = dx_rows.reshape(n, channels, height, width)\n"),),
    ),
    Bug(
        "spatial_batchnorm.bn_param_copied",
        "batch normalization is handed a copy of bn_param, so the running averages are lost",
        "The running statistics live in the bn_param dict the caller passed in; the layer must update "
        "that very dict.",
        (layers("    out_rows, cache = batchnorm_forward(x_rows, gamma, beta, bn_param)\n",
                "    out_rows, cache = batchnorm_forward(x_rows, gamma, beta, dict(bn_param))\n"),),
    ),
)

GN_STATS = (
    "    centered = groups - groups.mean(axis=2, keepdims=True)\n"
    "    std = np.sqrt((centered**2).mean(axis=2, keepdims=True) + eps)  # (N, G, 1)\n"
)
GN_PARAM_GRADS = (
    "    dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)\n"
    "    dgamma = (dout * x_hat).sum(axis=(0, 2, 3), keepdims=True)\n"
)

SPATIAL_GROUPNORM = (
    Bug(
        "spatial_groupnorm.param_grads_flat",
        "dgamma and dbeta come back with shape (C,) instead of (1, C, 1, 1)",
        "Here gamma and beta have shape (1, C, 1, 1); each gradient has the shape of its parameter.",
        (layers(GN_PARAM_GRADS, GN_PARAM_GRADS.replace(", keepdims=True", "")),),
        public=True,
    ),
    Bug(
        "spatial_groupnorm.stats_across_groups",
        "the statistics are taken across the groups instead of within each group",
        "Each example's group of C / G channels gets its own mean and variance, over that group's "
        "C / G * H * W values.",
        (layers(GN_STATS, GN_STATS.replace("axis=2", "axis=1")),),
        public=True,
    ),
    Bug(
        "spatial_groupnorm.backward_counts_whole_example",
        "the backward pass divides by C * H * W (the whole example) instead of the group's size",
        "Each mean and variance averages the C / G * H * W values of one group; their derivatives carry "
        "one over that count.",
        (layers("    m = dx_hat.shape[2]\n", "    m = dx_hat.shape[2] * G\n"),),
    ),
    Bug(
        "spatial_groupnorm.backward_no_variance_term",
        "the backward pass drops the term from the variance",
        "As in layer normalization, within each group three terms survive: the direct path, the mean's "
        "and the variance's (the one weighed by x_hat).",
        (layers("        - x_hat_groups * (dx_hat * x_hat_groups).sum(axis=2, keepdims=True)\n", ""),),
    ),
    Bug(
        "spatial_groupnorm.eps_hard_coded",
        "eps is written as 1e-5 instead of read from gn_param",
        "gn_param may set its own eps; the variable the provided code reads from it is the one to use.",
        (layers(GN_STATS, GN_STATS.replace("+ eps)", "+ 1e-5)")),),
    ),
)

BUGS = BATCHNORM + LAYERNORM + SPATIAL_BATCHNORM + SPATIAL_GROUPNORM
