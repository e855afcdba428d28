"""Typical mistakes in the classifiers: TwoLayerNet, FullyConnectedNet and ThreeLayerConvNet."""

from functools import partial

from autograder.catalog.variants import Bug, Edit

fc_net = partial(Edit, "classifiers/fc_net.py")
cnn = partial(Edit, "classifiers/cnn.py")

TWO_LAYER_REG = (
    '        for name in ("W1", "W2"):\n'
    "            weights = self.params[name]\n"
    "            loss += 0.5 * self.reg * np.sum(weights * weights)\n"
    "            grads[name] += self.reg * weights\n"
)
FC_REG = (
    "        for i in range(1, self.num_layers + 1):\n"
    '            weights = self.params[f"W{i}"]\n'
    "            loss += 0.5 * self.reg * np.sum(weights * weights)\n"
)
FC_SCORES = '        scores, scores_cache = affine_forward(out, self.params[f"W{last}"], self.params[f"b{last}"])\n'
FC_SCORES_BACK = '        dout, grads[f"W{last}"], grads[f"b{last}"] = affine_backward(dscores, scores_cache)\n'

TWO_LAYER_NET = (
    Bug(
        "two_layer_net.reg_without_half",
        "the L2 penalty is reg * sum(W^2), without the factor 0.5",
        "The penalty is 0.5 * reg * sum(W^2), whose gradient is reg * W: the loss and its gradient must "
        "agree.",
        (fc_net(TWO_LAYER_REG, TWO_LAYER_REG.replace("0.5 * self.reg", "self.reg")),),
        public=True,
    ),
    Bug(
        "two_layer_net.reg_missing_from_grads",
        "the L2 penalty is added to the loss but not to the weights' gradients",
        "Every term of the loss contributes to the gradient: the penalty adds reg * W to each weight's "
        "gradient.",
        (fc_net(TWO_LAYER_REG, TWO_LAYER_REG.replace("            grads[name] += self.reg * weights\n", "")),),
    ),
    Bug(
        "two_layer_net.reg_on_biases",
        "the biases are regularized too",
        "The L2 penalty applies to the weights only, not to the biases.",
        (fc_net(TWO_LAYER_REG, TWO_LAYER_REG.replace('("W1", "W2")', '("W1", "b1", "W2", "b2")')),),
    ),
    Bug(
        "two_layer_net.no_hidden_relu",
        "the hidden layer has no ReLU (the net is linear)",
        "The architecture is affine - relu - affine - softmax: the hidden layer's affine output goes "
        "through a ReLU, in the forward and the backward pass.",
        (
            fc_net('        hidden, hidden_cache = affine_relu_forward(X, self.params["W1"], self.params["b1"])\n',
                   '        hidden, hidden_cache = affine_forward(X, self.params["W1"], self.params["b1"])\n'),
            fc_net('        _, grads["W1"], grads["b1"] = affine_relu_backward(dhidden, hidden_cache)\n',
                   '        _, grads["W1"], grads["b1"] = affine_backward(dhidden, hidden_cache)\n'),
        ),
        public=True,
    ),
    Bug(
        "two_layer_net.random_biases",
        "the biases are initialized at random",
        "Biases start at zero; only the weights are drawn from N(0, weight_scale^2).",
        (fc_net('        self.params["b1"] = np.zeros(hidden_dim)\n',
                '        self.params["b1"] = np.random.normal(0.0, weight_scale, hidden_dim)\n'),),
    ),
    Bug(
        "two_layer_net.weight_scale_ignored",
        "the first layer's weights are standard normal, ignoring weight_scale",
        "weight_scale is the standard deviation of the initial weights.",
        (fc_net('        self.params["W1"] = np.random.normal(0.0, weight_scale, (input_dim, hidden_dim))\n',
                '        self.params["W1"] = np.random.randn(input_dim, hidden_dim)\n'),),
    ),
)

FC_NET = (
    Bug(
        "fc_net.relu_on_scores",
        "the last layer is followed by a ReLU",
        "The last affine layer's output goes straight to the softmax: the scores may be negative.",
        (
            fc_net(FC_SCORES, FC_SCORES.replace("affine_forward", "affine_relu_forward")),
            fc_net(FC_SCORES_BACK, FC_SCORES_BACK.replace("affine_backward", "affine_relu_backward")),
        ),
        public=True,
    ),
    Bug(
        "fc_net.norm_params_on_last_layer",
        "gamma and beta are created for the last layer too",
        "Normalization follows the hidden layers only: L - 1 gammas and betas for L affine layers.",
        (fc_net("            if normalization is not None and i < self.num_layers:\n",
                "            if normalization is not None:\n"),),
    ),
    Bug(
        "fc_net.reg_first_layer_only",
        "only the first layer's weights are regularized",
        "The L2 penalty covers the weights of every affine layer, the last one included.",
        (fc_net(FC_REG, FC_REG.replace("range(1, self.num_layers + 1)", "range(1, 2)")),),
    ),
    Bug(
        "fc_net.reg_without_half",
        "the L2 penalty is reg * sum(W^2), without the factor 0.5",
        "The penalty is 0.5 * reg * sum(W^2), whose gradient is reg * W: the loss and its gradient must "
        "agree.",
        (fc_net(FC_REG, FC_REG.replace("0.5 * self.reg", "self.reg")),),
        public=True,
    ),
    Bug(
        "fc_net.dropout_in_test_mode",
        "dropout is given a train-mode copy of dropout_param, so it also drops units at test time",
        "Before the forward pass, the provided code sets the mode in the model's dropout_param dict from "
        "whether labels were given; every dropout layer must receive that very dict.",
        (fc_net("                out, dropout_cache = dropout_forward(out, self.dropout_param)\n",
                '                train_mode = {**self.dropout_param, "mode": "train"}\n'
                "                out, dropout_cache = dropout_forward(out, train_mode)\n"),),
    ),
    Bug(
        "fc_net.bn_params_copied",
        "each normalization layer gets a copy of its bn_param, so batch norm's running averages are lost",
        "Batch norm keeps its running statistics in the dict it is given: hand each normalization layer "
        "its own entry of the model's bn_params list, not a copy, so that test mode finds what training "
        "gathered.",
        (fc_net('self.params[f"beta{i}"], self.bn_params[i - 1]\n',
                'self.params[f"beta{i}"], dict(self.bn_params[i - 1])\n'),),
    ),
    Bug(
        "fc_net.layernorm_runs_batchnorm",
        "normalization='layernorm' runs batch normalization",
        "Layer norm normalizes each example over its features; batch norm each feature over the batch. "
        "Check which layer functions each normalization calls.",
        (fc_net('    "layernorm": (layernorm_forward, layernorm_backward),\n',
                '    "layernorm": (batchnorm_forward, batchnorm_backward),\n'),),
    ),
    Bug(
        "fc_net.dropout_backward_skipped",
        "the backward pass skips the dropout layers",
        "Every layer of the forward pass has its backward step, in reverse order: dropout's comes first "
        "in each hidden block.",
        (fc_net("            if self.use_dropout:\n                dout = dropout_backward(dout, dropout_cache)\n",
                ""),),
    ),
    Bug(
        "fc_net.gamma_starts_at_zero",
        "gamma is initialized to zeros",
        "gamma starts at one and beta at zero, so that a fresh normalization layer passes the normalized "
        "input through unchanged (a zero gamma would block every signal and gradient).",
        (fc_net('                self.params[f"gamma{i}"] = np.ones(fan_out)\n',
                '                self.params[f"gamma{i}"] = np.zeros(fan_out)\n'),),
    ),
    Bug(
        "fc_net.xavier_instead_of_weight_scale",
        "the weights are scaled by 1 / sqrt(fan_in) instead of weight_scale",
        "This API asks for weights drawn from N(0, weight_scale^2), whatever the layer's size.",
        (fc_net('            self.params[f"W{i}"] = np.random.normal(0.0, weight_scale, (fan_in, fan_out))\n',
                '            self.params[f"W{i}"] = np.random.randn(fan_in, fan_out) / np.sqrt(fan_in)\n'),),
    ),
    Bug(
        "fc_net.last_hidden_layer_skipped",
        "the forward loop stops one hidden layer early",
        "There are L - 1 hidden blocks (one per entry of hidden_dims) before the last affine layer; "
        "count the loop's iterations.",
        (fc_net("        for i in range(1, self.num_layers):\n", "        for i in range(1, self.num_layers - 1):\n"),),
    ),
)

CNN_REG = '        for name in ("W1", "W2", "W3"):\n'

CNN = (
    Bug(
        "cnn.pooled_size_not_halved",
        "W2 expects the conv output's full size, as if there were no pooling",
        "The 2x2 max pool with stride 2 halves the height and the width: the first affine layer sees "
        "num_filters * H/2 * W/2 inputs.",
        (cnn("        pooled_dim = num_filters * (height // 2) * (width // 2)\n",
             "        pooled_dim = num_filters * height * width\n"),),
    ),
    Bug(
        "cnn.reg_skips_conv_filters",
        "the convolution's filters are not regularized",
        "The L2 penalty covers every weight: the filters W1 as well as W2 and W3.",
        (cnn(CNN_REG, CNN_REG.replace('"W1", ', "")),),
    ),
    Bug(
        "cnn.reg_without_half",
        "the L2 penalty is reg * sum(W^2), without the factor 0.5",
        "The penalty is 0.5 * reg * sum(W^2), whose gradient is reg * W: the loss and its gradient must "
        "agree.",
        (cnn("            loss += 0.5 * self.reg * np.sum(weights * weights)\n",
             "            loss += self.reg * np.sum(weights * weights)\n"),),
        public=True,
    ),
    Bug(
        "cnn.no_hidden_relu",
        "the hidden affine layer has no ReLU",
        "The architecture is conv - relu - pool - affine - relu - affine - softmax: the hidden affine "
        "layer is followed by a ReLU, in the forward and the backward pass.",
        (
            cnn("        hidden, hidden_cache = affine_relu_forward(pooled, W2, b2)\n",
                "        hidden, hidden_cache = affine_forward(pooled, W2, b2)\n"),
            cnn('        dpooled, grads["W2"], grads["b2"] = affine_relu_backward(dhidden, hidden_cache)\n',
                '        dpooled, grads["W2"], grads["b2"] = affine_backward(dhidden, hidden_cache)\n'),
        ),
        public=True,
    ),
    Bug(
        "cnn.filters_channels_last",
        "W1 is shaped (F, HH, WW, C) instead of (F, C, HH, WW)",
        "Filters follow the layout of the input, channels first: (num_filters, C, filter_size, filter_size).",
        (cnn("            0.0, weight_scale, (num_filters, channels, filter_size, filter_size)\n",
             "            0.0, weight_scale, (num_filters, filter_size, filter_size, channels)\n"),),
    ),
    Bug(
        "cnn.weight_scale_ignored",
        "W2 is drawn with a fixed standard deviation of 1e-3 instead of weight_scale",
        "weight_scale is the standard deviation of every initial weight matrix.",
        (cnn('        self.params["W2"] = np.random.normal(0.0, weight_scale, (pooled_dim, hidden_dim))\n',
             '        self.params["W2"] = np.random.normal(0.0, 1e-3, (pooled_dim, hidden_dim))\n'),),
    ),
)

BUGS = TWO_LAYER_NET + FC_NET + CNN
