"""Typical mistakes in the PyTorch part: the train/eval switch, the training step, and the
conventions that differ between PyTorch's layers and the NumPy ones."""

from functools import partial

from autograder.catalog.variants import Bug, Edit

framework = partial(Edit, "framework.py")

HIDDEN_BLOCK = (
    "            layers.append(nn.Linear(fan_in, fan_out))\n"
    "            if normalization is not None:\n"
    "                layers.append(norms[normalization](fan_out))\n"
    "            layers.append(nn.ReLU())\n"
)
STEP = (
    "    optimizer.zero_grad()\n"
    "    loss = F.cross_entropy(model(X), y)\n"
    "    loss.backward()\n"
    "    optimizer.step()\n"
)

BUGS = (
    Bug(
        "framework.check_accuracy_in_train_mode",
        "check_accuracy never switches the model to eval mode",
        "Accuracy is measured in evaluation mode: without the switch dropout stays on, batch norm uses each "
        "batch's statistics, and every forward pass updates the running statistics.",
        (framework("    model.eval()\n    correct = 0\n", "    correct = 0\n"),),
    ),
    Bug(
        "framework.train_step_without_train_mode",
        "train_step never switches the model to train mode",
        "A model evaluated between two steps is left in evaluation mode: the training step must switch it back, or "
        "dropout stays off and batch norm neither uses nor updates batch statistics.",
        (framework("    model.train()\n    optimizer.zero_grad()\n", "    optimizer.zero_grad()\n"),),
    ),
    Bug(
        "framework.gradients_never_cleared",
        "train_step never clears the gradients of the previous step",
        "The backward pass adds to each parameter's gradient: clear the gradients of the previous step first.",
        (framework("    optimizer.zero_grad()\n", ""),),
    ),
    Bug(
        "framework.step_before_backward",
        "train_step lets the optimizer step before the backward pass",
        "The order is: clear the gradients, forward pass and loss, backward pass, then the update.",
        (framework(STEP, STEP.replace("    loss.backward()\n    optimizer.step()\n",
                                      "    optimizer.step()\n    loss.backward()\n")),),
    ),  # fmt: skip
    Bug(
        "framework.loss_tensor_returned",
        "train_step returns the loss tensor instead of a Python float",
        "Return the loss as a plain number: a tensor keeps its whole autograd graph alive.",
        (framework("    return loss.item()\n", "    return loss\n"),),
    ),
    Bug(
        "framework.dropout_keep_as_drop_probability",
        "nn.Dropout is given the keep ratio, but it takes the probability of dropping a unit",
        "dropout_keep_ratio is the probability of keeping a unit, as in the NumPy network; PyTorch's dropout "
        "takes the probability of dropping it.",
        (framework("nn.Dropout(p=1 - dropout_keep_ratio)", "nn.Dropout(p=dropout_keep_ratio)"),),
    ),
    Bug(
        "framework.dropout_after_last_layer",
        "a dropout layer follows the last affine layer too, dropping scores",
        "Dropout follows each hidden ReLU only: the scores go to the loss untouched.",
        (framework("        layers.append(nn.Linear(dims[-1], num_classes))\n",
                   "        layers.append(nn.Linear(dims[-1], num_classes))\n        if dropout_keep_ratio < 1:\n"
                   "            layers.append(nn.Dropout(p=1 - dropout_keep_ratio))\n"),),
    ),  # fmt: skip
    Bug(
        "framework.batchnorm_after_relu",
        "batch norm comes after the ReLU instead of between the affine layer and the ReLU",
        "Each hidden block is affine, then normalization, then ReLU, then dropout.",
        (framework(HIDDEN_BLOCK, HIDDEN_BLOCK.replace(
            "            if normalization is not None:\n                layers.append(norms[normalization](fan_out))\n"
            "            layers.append(nn.ReLU())\n",
            "            layers.append(nn.ReLU())\n            if normalization is not None:\n"
            "                layers.append(norms[normalization](fan_out))\n",
        )),),
    ),  # fmt: skip
    Bug(
        "framework.batchnorm_cs231n_momentum",
        "nn.BatchNorm1d is given momentum 0.9, CS231n's convention, which PyTorch reads the other way round",
        "PyTorch's batch norm momentum is the weight of the new batch in the running statistics, the complement "
        "of bn_param's momentum; keep its default.",
        (framework('"batchnorm": nn.BatchNorm1d,', '"batchnorm": partial(nn.BatchNorm1d, momentum=0.9),'),
         framework("import numpy as np\n", "from functools import partial\n\nimport numpy as np\n")),
    ),  # fmt: skip
    Bug(
        "framework.no_flatten",
        "the fully-connected network does not flatten its input",
        "An input of shape (N, d_1, ..., d_k) is flattened to (N, D) before the first affine layer.",
        (framework("        layers: list[nn.Module] = [nn.Flatten()]\n", "        layers: list[nn.Module] = []\n"),),
    ),
    Bug(
        "framework.functional_no_padding",
        "the functional convolution does not pad its input",
        "The convolution pads by (filter_size - 1) // 2 on each side, so that it keeps H and W.",
        (framework("F.conv2d(x, W1, params[\"b1\"], stride=1, padding=(W1.shape[2] - 1) // 2)",
                   "F.conv2d(x, W1, params[\"b1\"], stride=1)"),),
    ),  # fmt: skip
    Bug(
        "framework.functional_no_hidden_relu",
        "the functional form has no ReLU after the hidden affine layer",
        "The architecture is conv - relu - pool - affine - relu - affine, in both forms.",
        (framework('    hidden = F.relu(out.flatten(1) @ params["W2"] + params["b2"])\n',
                   '    hidden = out.flatten(1) @ params["W2"] + params["b2"]\n'),),
    ),  # fmt: skip
)
