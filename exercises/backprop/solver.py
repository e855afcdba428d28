"""Solver: trains a classification model with minibatch gradient descent, as in CS231n.

A model is any object with

- ``params``: dict mapping parameter names to arrays;
- ``loss(X, y=None)``: returns scores of shape (N, C) when ``y`` is None, otherwise
  ``(loss, grads)`` where ``grads`` maps the names in ``params`` to gradients of the same shapes.

Example::

    data = get_data()
    model = TwoLayerNet(input_dim=..., hidden_dim=100, reg=1e-3)
    solver = Solver(model, data, update_rule="adam", optim_config={"learning_rate": 1e-3},
                    lr_decay=0.95, num_epochs=5, batch_size=100, print_every=100, seed=0)
    solver.train()
    solver.best_val_acc  # model.params now holds the parameters that reached it
"""

import pickle

import numpy as np

from . import optim


class Solver:
    """Minibatch training with an update rule from ``optim``, keeping the best parameters.

    Each iteration samples a minibatch with replacement, computes the loss and gradients, and
    updates every parameter with its own config dict. At each epoch's end the learning rate is
    multiplied by ``lr_decay`` and the training and validation accuracies are measured; the
    parameters with the best validation accuracy are put back into the model when ``train`` ends.

    Attributes:
        model: the model being trained.
        epoch: the number of epochs completed.
        loss_history: the minibatch loss of every iteration.
        train_acc_history: the training accuracy at the start and after each epoch.
        val_acc_history: the validation accuracy at the same moments.
        best_val_acc: the best validation accuracy seen.
        best_params: copies of the model's parameters at that moment.
        optim_configs: one config dict per parameter name, holding the update rule's state.
    """

    def __init__(self, model, data: dict[str, np.ndarray], **kwargs) -> None:
        """Set up a solver; ``train`` does the work.

        Args:
            model: see the module docstring.
            data: ``X_train`` (N_train, ...), ``y_train`` (N_train,) int labels, ``X_val``
                (N_val, ...), ``y_val`` (N_val,).
            **kwargs: optional settings:
                update_rule: name of a rule in ``optim`` (default "sgd").
                optim_config: hyperparameters for the rule, copied for each parameter
                    (default {}).
                lr_decay: factor applied to the learning rate at each epoch's end (default 1.0).
                batch_size: minibatch size (default 100).
                num_epochs: epochs to train for (default 10).
                num_train_samples: training images used to measure training accuracy; None
                    for all (default 1000).
                num_val_samples: validation images used to measure validation accuracy; None
                    for all (default None).
                checkpoint_name: if given, a pickle ``{checkpoint_name}_epoch_{epoch}.pkl`` is
                    written at each accuracy check (default None).
                print_every: print the loss every this many iterations (default 10).
                verbose: print progress at all (default True).
                seed: seed of the solver's own random generator, which samples minibatches and
                    accuracy subsets; None for a fresh one (default None).

        Raises:
            ValueError: for an unknown keyword argument or an unknown update rule.
        """
        self.model = model
        self.X_train = data["X_train"]
        self.y_train = data["y_train"]
        self.X_val = data["X_val"]
        self.y_val = data["y_val"]

        self.update_rule = kwargs.pop("update_rule", "sgd")
        self.optim_config = kwargs.pop("optim_config", {})
        self.lr_decay = kwargs.pop("lr_decay", 1.0)
        self.batch_size = kwargs.pop("batch_size", 100)
        self.num_epochs = kwargs.pop("num_epochs", 10)
        self.num_train_samples = kwargs.pop("num_train_samples", 1000)
        self.num_val_samples = kwargs.pop("num_val_samples", None)
        self.checkpoint_name = kwargs.pop("checkpoint_name", None)
        self.print_every = kwargs.pop("print_every", 10)
        self.verbose = kwargs.pop("verbose", True)
        seed = kwargs.pop("seed", None)

        if kwargs:
            raise ValueError(f"Unrecognized arguments {', '.join(repr(k) for k in kwargs)}")
        if not callable(getattr(optim, str(self.update_rule), None)):
            raise ValueError(f'Invalid update_rule "{self.update_rule}"')
        self.update_rule = getattr(optim, self.update_rule)
        self._rng = np.random.default_rng(seed)

        self._reset()

    def _reset(self) -> None:
        """Clear the histories and give each parameter a fresh copy of ``optim_config``."""
        self.epoch = 0
        self.best_val_acc = 0.0
        self.best_params = {}
        self.loss_history = []
        self.train_acc_history = []
        self.val_acc_history = []
        self.optim_configs = {name: dict(self.optim_config) for name in self.model.params}

    def _step(self) -> None:
        """One update of every parameter from one minibatch (sampled with replacement)."""
        batch = self._rng.choice(self.X_train.shape[0], self.batch_size)
        loss, grads = self.model.loss(self.X_train[batch], self.y_train[batch])
        self.loss_history.append(loss)

        for name, w in self.model.params.items():
            next_w, next_config = self.update_rule(w, grads[name], self.optim_configs[name])
            self.model.params[name] = next_w
            self.optim_configs[name] = next_config

    def _save_checkpoint(self) -> None:
        """Pickle the model and the training state, if ``checkpoint_name`` is set."""
        if self.checkpoint_name is None:
            return
        checkpoint = {
            "model": self.model,
            "update_rule": self.update_rule,
            "lr_decay": self.lr_decay,
            "optim_config": self.optim_config,
            "batch_size": self.batch_size,
            "num_train_samples": self.num_train_samples,
            "num_val_samples": self.num_val_samples,
            "epoch": self.epoch,
            "loss_history": self.loss_history,
            "train_acc_history": self.train_acc_history,
            "val_acc_history": self.val_acc_history,
        }
        filename = f"{self.checkpoint_name}_epoch_{self.epoch}.pkl"
        if self.verbose:
            print(f'Saving checkpoint to "{filename}"')
        with open(filename, "wb") as f:
            pickle.dump(checkpoint, f)

    def check_accuracy(
        self, X: np.ndarray, y: np.ndarray, num_samples: int | None = None, batch_size: int = 100
    ) -> float:
        """Fraction of ``X`` the model classifies correctly, predicting in batches.

        Args:
            X: (N, ...) inputs.
            y: (N,) int labels.
            num_samples: if given and less than N, measure on that many images drawn without
                replacement.
            batch_size: images per call to ``model.loss``.

        Returns:
            The accuracy, a float in [0, 1].
        """
        if num_samples is not None and X.shape[0] > num_samples:
            subset = self._rng.choice(X.shape[0], num_samples, replace=False)
            X, y = X[subset], y[subset]

        predictions = [
            np.argmax(self.model.loss(X[start : start + batch_size]), axis=1)
            for start in range(0, X.shape[0], batch_size)
        ]
        return float(np.mean(np.concatenate(predictions) == y))

    def _record_accuracies(self) -> None:
        """Measure both accuracies, checkpoint, report, and keep the best parameters."""
        train_acc = self.check_accuracy(
            self.X_train, self.y_train, num_samples=self.num_train_samples
        )
        val_acc = self.check_accuracy(self.X_val, self.y_val, num_samples=self.num_val_samples)
        self.train_acc_history.append(train_acc)
        self.val_acc_history.append(val_acc)
        self._save_checkpoint()

        if self.verbose:
            print(
                f"(Epoch {self.epoch} / {self.num_epochs}) "
                f"train acc: {train_acc:f}; val_acc: {val_acc:f}"
            )
        if val_acc > self.best_val_acc or not self.best_params:
            self.best_val_acc = val_acc
            self.best_params = {name: w.copy() for name, w in self.model.params.items()}

    def train(self) -> None:
        """Run ``num_epochs`` epochs of ``N_train // batch_size`` iterations (at least one).

        Accuracies are measured before the first update and after each epoch. At the end the
        model's parameters are replaced by copies of ``best_params``.
        """
        iterations_per_epoch = max(self.X_train.shape[0] // self.batch_size, 1)
        num_iterations = self.num_epochs * iterations_per_epoch

        if not self.train_acc_history:
            self._record_accuracies()
        for t in range(num_iterations):
            self._step()
            if self.verbose and t % self.print_every == 0:
                print(f"(Iteration {t + 1} / {num_iterations}) loss: {self.loss_history[-1]:f}")

            if (t + 1) % iterations_per_epoch == 0:
                self.epoch += 1
                for config in self.optim_configs.values():
                    if "learning_rate" in config:
                        config["learning_rate"] *= self.lr_decay
                self._record_accuracies()

        if self.best_params:
            self.model.params = {name: w.copy() for name, w in self.best_params.items()}
