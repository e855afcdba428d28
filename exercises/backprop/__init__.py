"""backprop: the maths of neural networks in NumPy, laid out like CS231n assignment 2.

Import the modules you need, for example ``from backprop.layers import affine_forward`` or
``from backprop.solver import Solver``; this package imports none of them by itself.

Modules: layers, layer_utils, fast_layers, optim, solver, gradient_check, data_utils,
classifiers.fc_net, classifiers.cnn.
"""
