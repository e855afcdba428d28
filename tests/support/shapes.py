"""What shape each output of the API has, in terms of the inputs, for failure messages.

    shape_rule("layers.conv_forward_naive (x 2x3x5x7, ...)", "out")
    -> "out is (N, F, H', W') with H' = 1 + (H + 2 * pad - HH) // stride and W' = ..."

A gradient named d<input> has the shape of its input, whatever the function.
"""

import re

SAME_AS_X = "has x's shape"
OUTPUTS = {
    "affine_forward": {"out": "is (N, M): one row per example, one column per column of w"},
    "conv_forward_naive": {
        "out": "is (N, F, H', W') with H' = 1 + (H + 2 * pad - HH) // stride and"
        " W' = 1 + (W + 2 * pad - WW) // stride"
    },
    "max_pool_forward_naive": {
        "out": "is (N, C, H', W') with H' = 1 + (H - pool_height) // stride and"
        " W' = 1 + (W - pool_width) // stride"
    },
    "softmax_loss": {"loss": "is a single number, the mean over the N examples"},
    "svm_loss": {"loss": "is a single number, the mean over the N examples"},
    "spatial_groupnorm_backward": {
        "dgamma": "is (1, C, 1, 1), gamma's shape",
        "dbeta": "is (1, C, 1, 1), beta's shape",
    },
}
"""function -> output name -> its shape, where it is not simply that of an input."""
SHAPE_PRESERVING = (
    "relu_forward", "dropout_forward", "batchnorm_forward", "layernorm_forward",
    "spatial_batchnorm_forward", "spatial_groupnorm_forward",
)  # fmt: skip
ANY_FUNCTION = {
    "scores": "is (N, C): one row per example, one column per class",
    "loss": "is a single number",
    "next_w": "has w's shape",
}


def _function_name(function: str) -> str:
    """`conv_forward_naive` from "layers.conv_forward_naive (x 2x3, ...)"; `FullyConnectedNet.loss`
    from "FullyConnectedNet.loss(X) (...)"."""
    head = re.split(r"[\s(]", function.strip(), maxsplit=1)[0]
    return head.split(".", 1)[1] if head.startswith(("layers.", "optim.")) else head


def shape_rule(function: str, name: str) -> str:
    """"<name> is/has <its shape in terms of the inputs>", or "" when there is nothing to say."""
    output = name.split(" ", 1)[0]
    function_name = _function_name(function)
    rule = OUTPUTS.get(function_name, {}).get(output)
    if rule is None and output == "out" and function_name in SHAPE_PRESERVING:
        rule = SAME_AS_X
    if rule is None:
        rule = ANY_FUNCTION.get(output)
    gradient = re.fullmatch(r"d([a-z]\w*)", output)
    if rule is None and gradient:
        rule = f"has {gradient.group(1)}'s shape, like every gradient"
    grads = re.fullmatch(r"grads\[(['\"])(\w+)\1\]", output)
    if rule is None and grads:
        rule = f"has params[{grads.group(1)}{grads.group(2)}{grads.group(1)}]'s shape"
    return f"{output} {rule}" if rule else ""
