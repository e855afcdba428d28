"""Typical mistakes in the affine and ReLU layers, the losses, and dropout."""

from functools import partial

from autograder.catalog.variants import Bug, Edit

layers = partial(Edit, "layers.py")

AFFINE = (
    Bug(
        "affine.dx_not_reshaped",
        "dx is returned flattened, (N, D), instead of in x's shape",
        "The forward pass flattened each example before the product; the gradient must be handed back "
        "in the shape x came in, whatever its number of dimensions.",
        (layers("    dx = (dout @ w.T).reshape(x.shape)\n", "    dx = dout @ w.T\n"),),
        public=True,
    ),
    Bug(
        "affine.forward_not_flattened",
        "the forward pass multiplies x by w without flattening each example",
        "x may have more than two dimensions: each example is a block of d_1 * ... * d_k numbers that "
        "has to be laid out as one row of length D before it meets w.",
        (layers("    out = x.reshape(x.shape[0], -1) @ w + b\n", "    out = x @ w + b\n"),),
        public=True,
    ),
    Bug(
        "affine.dw_not_flattened",
        "dw is computed from x in its original shape",
        "w met the flattened x in the forward pass, so its gradient pairs dout with that same (N, D) "
        "view of x.",
        (layers("    dw = x.reshape(x.shape[0], -1).T @ dout\n", "    dw = x.T @ dout\n"),),
        public=True,
    ),
    Bug(
        "affine.bias_missing",
        "the forward pass leaves out the bias",
        "An affine map is a product plus a shift: every output row gets b added.",
        (layers("    out = x.reshape(x.shape[0], -1) @ w + b\n", "    out = x.reshape(x.shape[0], -1) @ w\n"),),
        public=True,
    ),
    Bug(
        "affine.db_averaged",
        "db averages dout over the batch instead of summing it",
        "b is added to every example's output, so every example's upstream gradient reaches b in full: "
        "the contributions add up.",
        (layers("    db = dout.sum(axis=0)\n    ### END SOLUTION\n    return dx, dw, db\n\n\ndef relu_forward",
                "    db = dout.mean(axis=0)\n    ### END SOLUTION\n    return dx, dw, db\n\n\ndef relu_forward"),),
        public=True,
    ),
    Bug(
        "affine.db_wrong_axis",
        "db sums dout over the outputs instead of over the examples",
        "db has one entry per output unit (shape (M,)): add up over the axis of the examples.",
        (layers("    db = dout.sum(axis=0)\n    ### END SOLUTION\n    return dx, dw, db\n\n\ndef relu_forward",
                "    db = dout.sum(axis=1)\n    ### END SOLUTION\n    return dx, dw, db\n\n\ndef relu_forward"),),
        public=True,
    ),
)

RELU = (
    Bug(
        "relu.backward_passes_dout",
        "the backward pass returns dout unchanged",
        "ReLU lets the gradient through only where its input was positive; elsewhere the output did "
        "not depend on the input at all.",
        (layers("    dx = dout * (x > 0)\n", "    dx = dout\n"),),
        public=True,
    ),
    Bug(
        "relu.backward_masks_by_dout",
        "the backward pass keeps the positive entries of dout instead of those where x > 0",
        "Which gradients pass is decided by the forward input (kept in the cache), not by the sign of "
        "the upstream gradient.",
        (layers("    dx = dout * (x > 0)\n", "    dx = dout * (dout > 0)\n"),),
        public=True,
    ),
    Bug(
        "relu.backward_forgets_dout",
        "the backward pass returns the local derivative (x > 0) without multiplying by dout",
        "The chain rule: the local derivative of ReLU is multiplied by the upstream gradient.",
        (layers("    dx = dout * (x > 0)\n", "    dx = (x > 0).astype(dout.dtype)\n"),),
        public=True,
    ),
    Bug(
        "relu.forward_in_place",
        "the forward pass zeroes the negative entries of x in place",
        "Writing into x changes the caller's array (and the cache). Build the output as a new array.",
        (layers("    out = np.maximum(0, x)\n", "    x[x < 0] = 0\n    out = x\n"),),
        public=True,
    ),
    Bug(
        "relu.forward_leaky",
        "the forward pass is a leaky ReLU (slope 0.01 for negative inputs)",
        "ReLU outputs exactly 0 for every negative input.",
        (layers("    out = np.maximum(0, x)\n", "    out = np.maximum(0.01 * x, x)\n"),),
    ),
)

LOSS = (
    Bug(
        "loss.softmax_not_shifted",
        "softmax exponentiates the raw scores (no shift by the row maximum)",
        "exp overflows for scores around 1000 and underflows for scores around -1000. Shifting each "
        "row by a constant leaves the probabilities unchanged and keeps the exponentials in range.",
        (layers("    shifted = x - x.max(axis=1, keepdims=True)\n", "    shifted = x\n"),),
        public=True,
    ),
    Bug(
        "loss.softmax_shift_in_place",
        "softmax shifts the scores in place, changing the caller's array",
        "Subtracting the row maximum is right, but doing it in place rewrites the scores the caller "
        "passed in. Compute the shifted scores as a new array.",
        (layers("    shifted = x - x.max(axis=1, keepdims=True)\n",
                "    x -= x.max(axis=1, keepdims=True)\n    shifted = x\n"),),
    ),
    Bug(
        "loss.softmax_summed",
        "the softmax loss is summed over the examples instead of averaged",
        "The loss is the average over the N examples, so that it does not grow with the batch size.",
        (layers("    loss = -log_probs[np.arange(n), y].mean()\n", "    loss = -log_probs[np.arange(n), y].sum()\n"),),
        public=True,
    ),
    Bug(
        "loss.softmax_dx_not_averaged",
        "the softmax gradient is not divided by N",
        "The loss averages over the examples, so its gradient carries the same 1/N.",
        (layers("    dx[np.arange(n), y] -= 1\n    dx /= n\n", "    dx[np.arange(n), y] -= 1\n"),),
        public=True,
    ),
    Bug(
        "loss.softmax_dx_no_onehot",
        "the softmax gradient is the probabilities alone (the correct class is not subtracted)",
        "The derivative of -log p_y with respect to the scores is the probabilities minus the one-hot "
        "vector of the correct class.",
        (layers("    dx[np.arange(n), y] -= 1\n", ""),),
        public=True,
    ),
    Bug(
        "loss.svm_counts_correct_class",
        "the SVM loss includes the correct class's own margin (which is always 1)",
        "The hinge sum runs over the wrong classes only (j != y_n); the correct class compared with "
        "itself would add the margin 1 to every example.",
        (layers("    margins[rows, y] = 0\n", ""),),
        public=True,
    ),
    Bug(
        "loss.svm_no_margin",
        "the SVM hinge has no margin (delta = 0 instead of 1)",
        "A wrong class costs something as soon as its score comes within 1 of the correct class's score.",
        (layers("    margins = np.maximum(0, x - x[rows, y][:, None] + 1)\n",
                "    margins = np.maximum(0, x - x[rows, y][:, None])\n"),),
        public=True,
    ),
    Bug(
        "loss.svm_correct_class_grad_minus_one",
        "the SVM gradient of the correct class is -1/N instead of minus the number of violated margins over N",
        "The correct class's score appears in every margin of its row, so it collects one -1 per "
        "margin that is violated.",
        (layers("    dx[rows, y] = -dx.sum(axis=1)", "    dx[rows, y] = -1"),),
    ),
)

DROPOUT = (
    Bug(
        "dropout.p_is_drop_probability",
        "p is used as the probability of DROPPING a unit",
        "In this API, p is the probability of KEEPING a unit: about a fraction p of the units survive, "
        "each scaled by 1/p.",
        (layers("        mask = (np.random.rand(*x.shape) < p) / p\n",
                "        mask = (np.random.rand(*x.shape) < 1 - p) / (1 - p)\n"),),
        public=True,
    ),
    Bug(
        "dropout.not_inverted",
        "kept units are not scaled by 1/p at train time",
        "Inverted dropout divides the kept units by p during training, so that the expected activation "
        "is unchanged and test time needs no rescaling.",
        (layers("        mask = (np.random.rand(*x.shape) < p) / p\n",
                "        mask = np.random.rand(*x.shape) < p\n"),),
        public=True,
    ),
    Bug(
        "dropout.scales_at_test",
        "test mode multiplies the input by p",
        "With inverted dropout, all the scaling happens at train time: test mode is the identity.",
        (layers('    elif mode == "test":\n        ### BEGIN SOLUTION\n        out = x\n',
                '    elif mode == "test":\n        ### BEGIN SOLUTION\n        out = x * p\n'),),
        public=True,
    ),
    Bug(
        "dropout.backward_unscaled",
        "the backward pass uses the 0/1 mask without the 1/p scaling",
        "The forward pass multiplied x by mask / p; the gradient goes back through the same factor.",
        (layers("        dx = dout * mask\n", "        dx = dout * (mask > 0)\n"),),
        public=True,
    ),
    Bug(
        "dropout.backward_new_mask",
        "the backward pass draws a new random mask",
        "The gradient must flow exactly through the units the forward pass kept: reuse the mask from "
        "the cache.",
        (layers("        dx = dout * mask\n",
                '        keep = dropout_param["p"]\n'
                "        dx = dout * (np.random.rand(*dout.shape) < keep) / keep\n"),),
    ),
    Bug(
        "dropout.mask_two_dimensional",
        "the mask is drawn for (N, D) inputs only",
        "Dropout takes inputs of any shape (4-D after a convolution): draw one mask entry per entry of x.",
        (layers("        mask = (np.random.rand(*x.shape) < p) / p\n",
                "        mask = (np.random.rand(x.shape[0], x.shape[1]) < p) / p\n"),),
    ),
    Bug(
        "dropout.forward_in_place",
        "the forward pass multiplies x by the mask in place",
        "Writing into x changes the caller's array. Build the output as a new array.",
        (layers("        out = x * mask\n", "        x *= mask\n        out = x\n"),),
    ),
)

BUGS = AFFINE + RELU + LOSS + DROPOUT
