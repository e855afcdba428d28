"""Correct implementations written differently from the reference, each spliced into a copy of it.

Each source file here holds top-level definitions that replace (or, for helpers, join) the
definitions of the same name in one reference file; its imports only document the names it uses
from that file's namespace. The files are read as text and never imported.
"""

from pathlib import Path

from autograder.catalog.variants import Alternative, Edit, Replace

HERE = Path(__file__).resolve().parent


def _splice(file: str, source: str) -> Replace:
    return Replace(file, (HERE / source).read_text(encoding="utf-8"))


CNN_IMPORTS = Edit(
    "classifiers/cnn.py",
    "from ..layers import affine_backward, affine_forward, softmax_loss\n",
    "from ..layers import (\n    affine_backward,\n    affine_forward,\n    conv_backward_naive,\n"
    "    conv_forward_naive,\n    max_pool_backward_naive,\n    max_pool_forward_naive,\n"
    "    relu_backward,\n    relu_forward,\n    softmax_loss,\n)\n",
)

ALTERNATIVES = (
    Alternative("affine.loops", "one example at a time, np.outer for dw, a dict cache",
                (_splice("layers.py", "affine_loops.py"),)),
    Alternative("relu.where", "np.where, with the boolean mask as the cache", (_splice("layers.py", "relu_where.py"),)),
    Alternative("loss.loops", "loops over examples and classes; softmax as probabilities, then their log",
                (_splice("layers.py", "loss_loops.py"),)),
    Alternative("batchnorm.graph", "np.var, a dict cache, a chain of small backward steps, the closed form with means",
                (_splice("layers.py", "batchnorm_graph.py"),)),
    Alternative("layernorm.transposed_batchnorm", "batch normalization of the transposed input",
                (_splice("layers.py", "layernorm_transpose.py"),)),
    Alternative("dropout.binomial", "np.random.binomial, the cache holding the mode and the scaled mask",
                (_splice("layers.py", "dropout_binomial.py"),)),
    Alternative("dropout.generator", "its own np.random.default_rng stream, a boolean mask",
                (_splice("layers.py", "dropout_generator.py"),)),
    Alternative("conv.im2col", "im2col by fancy indexing, einsum, col2im with np.add.at",
                (_splice("layers.py", "conv_im2col.py"),)),
    Alternative("pool.reshape", "a reshape when windows tile the input, else scalar loops with np.unravel_index",
                (_splice("layers.py", "pool_reshape.py"),)),
    Alternative("spatial_batchnorm.moveaxis", "np.moveaxis and the step-by-step batchnorm_backward",
                (_splice("layers.py", "spatial_batchnorm_moveaxis.py"),)),
    Alternative("spatial_groupnorm.group_loop", "a loop over the groups, np.var, a dict cache",
                (_splice("layers.py", "groupnorm_loop.py"),)),
    Alternative("optim.explicit_state", "state in local variables; Adam with explicit m_hat and v_hat",
                (_splice("optim.py", "optim_explicit.py"),)),
    Alternative("two_layer_net.separate_layers", "affine and ReLU called one by one, randn * weight_scale",
                (_splice("classifiers/fc_net.py", "two_layer_net_layers.py"),)),
    Alternative("fc_net.dict_caches", "a method per hidden block, dict caches, if/elif normalizations",
                (_splice("classifiers/fc_net.py", "fc_net_dict_caches.py"),)),
    Alternative("cnn.naive_layers", "the naive conv and pool layers called one by one",
                (CNN_IMPORTS, _splice("classifiers/cnn.py", "cnn_naive_layers.py"))),
)
