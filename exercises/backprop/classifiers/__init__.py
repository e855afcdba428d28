"""Models built from the layers: fully-connected nets (fc_net) and a three-layer ConvNet (cnn).

Each model keeps its weights in ``params`` and has ``loss(X, y=None)``, which returns class
scores when ``y`` is None and ``(loss, grads)`` otherwise, as the Solver expects.
"""
