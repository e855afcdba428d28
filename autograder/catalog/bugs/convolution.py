"""Typical mistakes in the naive convolution and max pooling."""

from functools import partial

from autograder.catalog.variants import Bug, Edit

layers = partial(Edit, "layers.py")

CONV_PAD = (
    "    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))\n"
    "    w_rows = w.reshape(num_filters, -1)  # (F, C * HH * WW)\n"
    "    out = np.zeros("
)
CONV_FIELD = (
    "            top, left = i * stride, j * stride\n"
    "            field = x_pad[:, :, top : top + filter_height, left : left + filter_width]\n"
)
CONV_BACK_FIELD = "            top, left = i * stride, j * stride\n            rows = slice(top, top + filter_height)\n"
CONV_OUT_WIDTH = "    out_width = 1 + (width + 2 * pad - filter_width) // stride\n"

CONV = (
    Bug(
        "conv.pad_ignored",
        "the forward pass convolves x without padding it",
        "pad zeros are added on each side of the height and width before sliding the filters; the "
        "output size formula already counts them.",
        (layers(CONV_PAD, CONV_PAD.replace("np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))", "x")),),
        public=True,
    ),
    Bug(
        "conv.stride_ignored",
        "the forward pass moves the receptive field one pixel at a time whatever the stride",
        "Output position (i, j) looks at the field whose top-left corner is stride times further along.",
        (layers(CONV_FIELD, CONV_FIELD.replace("i * stride, j * stride", "i, j")),),
        public=True,
    ),
    Bug(
        "conv.output_size_single_pad",
        "the output size counts the padding once instead of on both sides",
        "H' = 1 + (H + 2 * pad - HH) / stride: pad zeros are added above and below (and left and right).",
        (layers("    out_height = 1 + (height + 2 * pad - filter_height) // stride\n",
                "    out_height = 1 + (height + pad - filter_height) // stride\n"),),
    ),
    Bug(
        "conv.bias_missing",
        "the forward pass leaves out the filters' biases",
        "Each filter f adds its bias b[f] to every one of its outputs.",
        (layers("            out[:, :, i, j] = field.reshape(n, -1) @ w_rows.T + b\n",
                "            out[:, :, i, j] = field.reshape(n, -1) @ w_rows.T\n"),),
        public=True,
    ),
    Bug(
        "conv.filter_flipped",
        "the forward pass flips the filters (true convolution instead of cross-correlation)",
        "As in CS231n, the layer computes a cross-correlation: w[f, c, k, l] meets the input at offset "
        "(k, l) of the field, with no flipping.",
        (layers(CONV_PAD, CONV_PAD.replace("w_rows = w.reshape(", "w_rows = w[:, :, ::-1, ::-1].reshape(")),),
        public=True,
    ),
    Bug(
        "conv.square_filter_assumed",
        "the forward pass uses the filter height for the width too",
        "Filters may be non-square: HH and WW are separate, in the output size and in the field's extent.",
        (
            layers(CONV_OUT_WIDTH, CONV_OUT_WIDTH.replace("filter_width", "filter_height")),
            layers(CONV_FIELD, CONV_FIELD.replace("left + filter_width", "left + filter_height")),
        ),
    ),
    Bug(
        "conv.dx_crop_minus_pad",
        "dx crops the padding with a negative end index, which is empty when pad is 0",
        "Slicing pad:-pad keeps nothing when pad is 0 (the end -0 is 0). Crop with an end index that "
        "counts from the start.",
        (layers("    dx = dx_pad[:, :, pad : pad + height, pad : pad + width]\n",
                "    dx = dx_pad[:, :, pad:-pad, pad:-pad]\n"),),
        public=True,
    ),
    Bug(
        "conv.dx_keeps_padding",
        "dx is returned with the padding still around it",
        "The gradient accumulated on the padded input has to be cropped back to x's shape: the padding "
        "zeros are not inputs.",
        (layers("    dx = dx_pad[:, :, pad : pad + height, pad : pad + width]\n", "    dx = dx_pad\n"),),
        public=True,
    ),
    Bug(
        "conv.db_averaged_over_batch",
        "db sums over the output positions but averages over the examples",
        "b[f] is added to every output of filter f, in every example: every contribution adds up.",
        (layers("    db = dout.sum(axis=(0, 2, 3))\n", "    db = dout.sum(axis=(2, 3)).mean(axis=0)\n"),),
    ),
    Bug(
        "conv.backward_stride_ignored",
        "the backward pass moves the receptive field one pixel at a time whatever the stride",
        "The backward pass must visit exactly the fields the forward pass used: corners stride apart.",
        (layers(CONV_BACK_FIELD, CONV_BACK_FIELD.replace("i * stride, j * stride", "i, j")),),
    ),
    Bug(
        "conv.dw_not_accumulated",
        "dw keeps only the last output position's contribution",
        "The same filter is used at every output position, so its gradient is the sum of the "
        "contributions of all positions: accumulate.",
        (layers("            dw_rows += grad.T @ x_pad[:, :, rows, cols].reshape(n, -1)\n",
                "            dw_rows = grad.T @ x_pad[:, :, rows, cols].reshape(n, -1)\n"),),
        public=True,
    ),
    Bug(
        "conv.dx_not_accumulated",
        "dx is assigned, not added, for each receptive field",
        "Neighbouring receptive fields overlap when the stride is smaller than the filter: an input "
        "that feeds several outputs collects a gradient from each of them.",
        (layers("            dx_pad[:, :, rows, cols] += (grad @ w_rows).reshape(field_shape)\n",
                "            dx_pad[:, :, rows, cols] = (grad @ w_rows).reshape(field_shape)\n"),),
        public=True,
    ),
)

POOL_WINDOW = (
    "            top, left = i * stride, j * stride\n"
    "            window = x[:, :, top : top + pool_height, left : left + pool_width]\n"
)
POOL_SIZE = (
    "    out_height = 1 + (height - pool_height) // stride\n"
    "    out_width = 1 + (width - pool_width) // stride\n"
)

POOL = (
    Bug(
        "pool.stride_is_pool_size",
        "windows are placed pool size apart instead of stride apart",
        "The window of output (i, j) starts stride rows and columns further along; the stride may be "
        "smaller (overlapping windows) or larger than the window.",
        (layers(POOL_WINDOW, POOL_WINDOW.replace("i * stride, j * stride", "i * pool_height, j * pool_width")),),
        public=True,
    ),
    Bug(
        "pool.output_size_from_pool",
        "the output size is H // pool_height, ignoring the stride",
        "H' = 1 + (H - pool_height) / stride: count how many window positions fit, stride apart.",
        (layers(POOL_SIZE, "    out_height = height // pool_height\n    out_width = width // pool_width\n"),),
    ),
    Bug(
        "pool.width_uses_height",
        "the window's width is taken from pool_height",
        "Pooling windows may be non-square: pool_height and pool_width are separate.",
        (
            layers(POOL_SIZE, POOL_SIZE.replace("(width - pool_width)", "(width - pool_height)")),
            layers(POOL_WINDOW, POOL_WINDOW.replace("left + pool_width", "left + pool_height")),
        ),
    ),
    Bug(
        "pool.average",
        "the forward pass averages each window instead of taking its maximum",
        "Max pooling keeps the largest value of each window.",
        (layers("            out[:, :, i, j] = window.max(axis=(2, 3))\n",
                "            out[:, :, i, j] = window.mean(axis=(2, 3))\n"),),
        public=True,
    ),
    Bug(
        "pool.gradient_to_whole_window",
        "the backward pass sends each window's gradient to every entry of the window",
        "Only the entry that was the maximum influenced the output; the others get no gradient from "
        "that window.",
        (layers("            routed = is_max * dout[:, :, i, j][:, :, None]\n",
                "            routed = np.ones_like(window) * dout[:, :, i, j][:, :, None]\n"),),
        public=True,
    ),
    Bug(
        "pool.max_over_everything",
        "the backward pass compares each window with the maximum over all examples and channels",
        "Each (example, channel) window has its own maximum: take it along the window's own axes only.",
        (layers("            is_max = positions == window.argmax(axis=2)[:, :, None]  # (N, C, PH * PW) one-hot\n",
                "            is_max = window == window.max()\n"),),
    ),
    Bug(
        "pool.dx_assigned",
        "dx is assigned, not added, for each window",
        "When windows overlap, one input can be the maximum of several windows and collects the "
        "gradient of each of them.",
        (layers("            dx[:, :, rows, cols] += routed.reshape(n, channels, pool_height, pool_width)\n",
                "            dx[:, :, rows, cols] = routed.reshape(n, channels, pool_height, pool_width)\n"),),
        public=True,
    ),
)

BUGS = CONV + POOL
