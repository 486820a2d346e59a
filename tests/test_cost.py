"""graph.cost against torch's own counters, on the compiled Keras models.

MACs are held to `FlopCounterMode`'s matmul and convolution FLOPs / 2 (within 1%);
the training activation memory to the bytes of the tensors autograd saves in one
training forward pass (`saved_tensors_hooks`, each storage once, the weights' own
storages left out), within 1% (the issue asks 10%; the rules do better, and the tighter
bound catches a rule that drifts).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from codegen.build import build_model
from codegen.keras_env import import_keras
from graph import ModelGraph, load, validate
from graph.cost import cost
from graph.training import OPTIMIZER_SLOTS
from tests.graphs import chain, wire

BATCH = 4
TEMPLATES = Path(__file__).resolve().parent.parent / "resources" / "templates"


def _measure(model, inputs) -> tuple[int, int]:
    """(MACs, saved bytes) of `model` on `inputs`, counted by torch."""
    import torch
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    # torch's fused CPU attention is not in FlopCounterMode's registry; its math
    # backend does the same products as matmuls, which it counts.
    with FlopCounterMode(display=False) as counter, torch.no_grad(), sdpa_kernel(SDPBackend.MATH):
        model(inputs)
    macs = counter.get_total_flops() // 2
    weights = {v.value.untyped_storage().data_ptr() for v in model.weights}
    storages: dict[int, int] = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in weights:
            storages[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(inputs, training=True)
    return macs, sum(storages.values())


def _inputs(g: ModelGraph):
    """Random inputs for `g` at BATCH: token ids for integer inputs."""
    import torch

    report = validate(g)
    tensors = []
    for node_id in g.inputs:
        shape = (BATCH, *report.nodes[node_id].shape[1:])
        if report.nodes[node_id].dtype.startswith("int"):
            tensors.append(torch.randint(0, 50, shape, dtype=torch.int32))
        else:
            tensors.append(torch.randn(shape))
    return tensors[0] if len(tensors) == 1 else tensors


def assert_agrees_with_torch(g: ModelGraph) -> None:
    """Our MACs and saved bytes for `g` are torch's, within 1% (printed with -s)."""
    ours = cost(g, batch=BATCH)
    macs, saved = _measure(build_model(g), _inputs(g))
    print(f"{g.name}: MACs {ours.macs} vs torch {macs}; saved {ours.saved_bytes} vs {saved}")
    assert ours.macs == pytest.approx(macs, rel=0.01)
    assert ours.saved_bytes == pytest.approx(saved, rel=0.01)


def _mlp() -> ModelGraph:
    return chain(
        ("Dense", {"units": 512, "activation": "relu"}),
        ("Dropout", {"rate": 0.2}),
        ("Dense", {"units": 10, "activation": "softmax"}),
        input_shape=(784,),
        name="dense",
    )


def _cnn() -> ModelGraph:
    return chain(
        ("Conv2D", {"filters": 8, "kernel_size": 3, "activation": "relu"}),
        ("MaxPooling2D", {"pool_size": 2}),
        ("Conv2D", {"filters": 16, "kernel_size": 3, "strides": 2, "padding": "same"}),
        ("BatchNormalization", {}),
        ("ReLU", {}),
        ("Flatten", {}),
        ("Dense", {"units": 10}),
        input_shape=(28, 28, 1),
        name="conv2d",
    )


def _conv1d() -> ModelGraph:
    return chain(
        ("Conv1D", {"filters": 16, "kernel_size": 5, "activation": "relu"}),
        ("Conv1D", {"filters": 8, "kernel_size": 3, "dilation_rate": 2, "groups": 2}),
        ("GlobalAveragePooling1D", {}),
        ("Dense", {"units": 3}),
        input_shape=(40, 6),
        name="conv1d",
    )


def _separable() -> ModelGraph:
    return chain(
        ("Conv2D", {"filters": 8, "kernel_size": 3}),
        ("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2, "activation": "relu"}),
        ("SeparableConv2D", {"filters": 12, "kernel_size": 3, "padding": "same"}),
        ("GlobalMaxPooling2D", {}),
        input_shape=(20, 20, 3),
        name="depthwise",
    )


def _attention() -> ModelGraph:
    g = ModelGraph("attention")
    x = g.add_node("Input", params={"shape": [12, 16]})
    mha = g.add_node("MultiHeadAttention", params={"num_heads": 2, "key_dim": 8})
    add = g.add_node("Add")
    norm = g.add_node("LayerNormalization")
    dense = g.add_node("Dense", params={"units": 32, "activation": "gelu"})
    wire(
        g,
        (x, mha, "query"),
        (x, mha, "value"),
        (x, add, "input_0"),
        (mha, add, "input_1"),
        (add, norm, "input"),
        (norm, dense, "input"),
    )
    g.set_output(dense)
    return g


def _recurrent() -> ModelGraph:
    g = chain(
        ("Embedding", {"input_dim": 50, "output_dim": 8}),
        ("LSTM", {"units": 16, "return_sequences": True}),
        ("GRU", {"units": 12}),
        ("Dense", {"units": 2}),
        input_shape=(10,),
        name="recurrent",
    )
    g.set_params(g.inputs[0], {"shape": (10,), "dtype": "int32"})
    return g


def _more_kinds() -> list[ModelGraph]:
    """A small chain for each further rule: SimpleRNN's extra step, a transposed and a
    3D convolution, upsampling, RMS normalization, 1D depthwise and separable ones;
    then dot-product (Luong) attention."""
    chains = {
        "simple_rnn": (
            [("Dense", {"units": 8}), ("SimpleRNN", {"units": 16, "return_sequences": True})],
            (10, 8),
        ),
        "conv_transpose": (
            [
                ("Conv2D", {"filters": 4, "kernel_size": 3}),
                ("Conv2DTranspose", {"filters": 6, "kernel_size": 3, "strides": 2}),
            ],
            (8, 8, 3),
        ),
        "upsampling": (
            [
                ("Conv2D", {"filters": 4, "kernel_size": 3}),
                ("UpSampling2D", {}),
                ("Conv2D", {"filters": 4, "kernel_size": 1}),
            ],
            (8, 8, 3),
        ),
        "rms_norm": ([("Dense", {"units": 8}), ("RMSNormalization", {})], (5, 8)),
        "conv3d": ([("Conv3D", {"filters": 4, "kernel_size": 2})], (6, 6, 6, 2)),
        "conv1d_depthwise": (
            [
                ("DepthwiseConv1D", {"kernel_size": 3}),
                ("SeparableConv1D", {"filters": 4, "kernel_size": 3}),
            ],
            (12, 3),
        ),
    }
    graphs = [
        chain(*layers, input_shape=shape, name=name) for name, (layers, shape) in chains.items()
    ]
    return [*graphs, _luong_attention()]


def _luong_attention() -> ModelGraph:
    g = ModelGraph("luong_attention")
    query = g.add_node("Input", params={"shape": [5, 8]})
    value = g.add_node("Input", params={"shape": [7, 8]})
    query_projection = g.add_node("Dense", params={"units": 8})
    value_projection = g.add_node("Dense", params={"units": 8})
    attention = g.add_node("Attention")
    wire(
        g,
        (query, query_projection, "input"),
        (value, value_projection, "input"),
        (query_projection, attention, "query"),
        (value_projection, attention, "value"),
    )
    g.set_output(attention)
    return g


MODELS = [_mlp, _cnn, _conv1d, _separable, _attention, _recurrent]


@pytest.mark.parametrize("make", MODELS, ids=lambda m: m.__name__.strip("_"))
def test_macs_and_saved_memory_agree_with_torch(make):
    assert_agrees_with_torch(make())


def _mobilenet() -> ModelGraph:
    from codegen.importer import from_keras

    keras = import_keras()
    model = keras.applications.MobileNet(
        weights=None, input_shape=(32, 32, 3), alpha=0.25, classes=10
    )
    g = from_keras(model)
    g.name = "mobilenet"
    return g


def _template(name: str) -> ModelGraph:
    return load(TEMPLATES / f"{name}.graph.json")


TEMPLATE_NAMES = [p.name.removesuffix(".graph.json") for p in sorted(TEMPLATES.glob("*.json"))]


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_templates_agree_with_torch(name):
    assert_agrees_with_torch(_template(name))


def test_mobilenet_agrees_with_torch():
    assert_agrees_with_torch(_mobilenet())


@pytest.mark.parametrize("name", sorted(OPTIMIZER_SLOTS))
def test_optimizer_slots_are_the_variables_keras_makes_per_weight(name):
    keras = import_keras()
    weight = keras.Variable(keras.ops.zeros((3, 5)))
    optimizer = keras.optimizers.get(name)
    optimizer.build([weight])
    slots = [v for v in optimizer.variables if tuple(v.shape) == (3, 5)]
    assert len(slots) == OPTIMIZER_SLOTS[name]


def test_a_shared_layer_counts_its_weights_once_and_its_work_at_each_call():
    from tests.graphs import shared_dense

    g, (_, _, first, second) = shared_dense(width=8, units=4)
    result = cost(g, batch=3)
    assert (result.nodes[first].params, result.nodes[second].params) == (36, 0)
    assert result.nodes[first].macs == result.nodes[second].macs == 3 * 8 * 4
    assert result.params == 36


def test_a_free_time_axis_leaves_macs_unknown_and_out_of_the_totals():
    g = chain(("LSTM", {"units": 4}), ("Dense", {"units": 2}), input_shape=(None, 3))
    lstm, dense = g.node_ids()[1:]
    result = cost(g, batch=2)
    assert result.nodes[lstm].macs is None  # the steps are unknown, the output is not
    assert result.nodes[lstm].output_bytes == 2 * 4 * 4
    assert result.nodes[dense].macs == 2 * 4 * 2
    assert result.macs == 16


def test_training_memory_adds_weights_gradients_and_optimizer_slots():
    g = chain(("Dense", {"units": 4}), input_shape=(8,))
    adam, sgd = cost(g, batch=1, optimizer="adam"), cost(g, batch=1, optimizer="sgd")
    assert adam.train_memory_bytes - sgd.train_memory_bytes == 36 * 4 * 2
    assert sgd.train_memory_bytes == 36 * 4 * 2 + sgd.saved_bytes


@pytest.mark.parametrize("g", _more_kinds(), ids=lambda g: g.name)
def test_further_layer_kinds_agree_with_torch(g):
    assert_agrees_with_torch(g)


def _merge(kind: str, shapes, grads, params=None, name: str = "") -> ModelGraph:
    """A merge of one Input per shape; those flagged in `grads` through a Dense first
    (so they carry a gradient), the others straight from their Input (no gradient)."""
    g = ModelGraph(name or kind)
    merge = g.add_node(kind, params=params or {})
    for i, (shape, grad) in enumerate(zip(shapes, grads, strict=True)):
        x = g.add_node("Input", params={"shape": list(shape)})
        if grad:
            dense = g.add_node("Dense", params={"units": shape[-1]})
            g.connect(x, dense, "input")
            x = dense
        g.connect(x, merge, f"input_{i}")
    g.set_output(merge)
    return g


def _gradient_aware_kinds() -> list[ModelGraph]:
    """The rules that depend on which inputs carry a gradient, and the layers that had
    no rule: Dot (MACs and saved tensors, each operand placement), Multiply (2 and 3
    factors), GroupNormalization, PReLU and UnitNormalization, each after a Dense
    (a gradient into the input) and first (none)."""
    after_dense = {
        "group_norm": ("GroupNormalization", {"groups": 2}, (5, 8)),
        "group_norm_2d": ("GroupNormalization", {"groups": 4}, (6, 6, 8)),
        "group_norm_no_scale": ("GroupNormalization", {"groups": 2, "scale": False}, (5, 8)),
        "instance_norm_axis_1": ("GroupNormalization", {"groups": -1, "axis": 1}, (6, 8)),
        "prelu": ("PReLU", {}, (5, 8)),
        "prelu_shared": ("PReLU", {"shared_axes": [1]}, (5, 8)),
        "unit_norm": ("UnitNormalization", {}, (5, 8)),
        "unit_norm_axes": ("UnitNormalization", {"axis": [1, 2]}, (5, 8)),
    }
    graphs = [
        chain(("Dense", {"units": shape[-1]}), (kind, params), input_shape=shape, name=name)
        for name, (kind, params, shape) in after_dense.items()
    ]
    graphs += [
        chain((kind, params), input_shape=(5, 8), name=f"{name}_first")
        for name, (kind, params, _) in after_dense.items()
        if name in ("group_norm", "group_norm_no_scale", "prelu")
    ]
    merges = [
        ("Dot", [(5, 8), (7, 8)], [True, True], {"axes": [2, 2]}, "dot_copies_input_1"),
        ("Dot", [(5, 8), (8, 7)], [True, True], {"axes": [2, 1]}, "dot_as_is"),
        ("Dot", [(8, 5), (8, 7)], [True, True], {"axes": [1, 1]}, "dot_copies_input_0"),
        ("Dot", [(8,), (8,)], [True, True], {"axes": 1}, "dot_2d"),
        ("Dot", [(5, 8), (8,)], [True, True], {"axes": [2, 1]}, "dot_3d_2d"),
        ("Dot", [(5, 8), (7, 8)], [True, False], {"axes": [2, 2]}, "dot_one_gradient"),
        ("Dot", [(5, 8), (7, 8)], [False, True], {"axes": -1}, "dot_other_gradient"),
        ("Dot", [(5, 8), (7, 8)], [True, True], {"axes": 2, "normalize": True}, "dot_cosine"),
        ("Multiply", [(8,)] * 2, [False, True], None, "multiply_one_gradient"),
        ("Multiply", [(8,)] * 3, [True] * 3, None, "multiply_3"),
        ("Multiply", [(8,)] * 3, [False, True, True], None, "multiply_3_ftt"),
        ("Multiply", [(8,)] * 3, [True, False, True], None, "multiply_3_tft"),
        ("Maximum", [(8,)] * 2, [False, True], None, "maximum_one_gradient"),
    ]
    return graphs + [_merge(*merge) for merge in merges]


@pytest.mark.parametrize("g", _gradient_aware_kinds(), ids=lambda g: g.name)
def test_gradient_aware_rules_agree_with_torch(g):
    assert_agrees_with_torch(g)


def _frozen(layers, shape, frozen: int, name: str) -> ModelGraph:
    """A chain with its `frozen`-th node (0: the Input) frozen."""
    g = chain(*layers, input_shape=shape, name=name)
    g.set_trainable(g.node_ids()[frozen], False)
    return g


def _frozen_kinds() -> list[ModelGraph]:
    """Frozen layers after a trainable one (a gradient flows into their input, none into
    their weights) and first (none at all): a Dense then keeps only what its
    activation keeps, a BatchNormalization runs in inference mode, an RMSNormalization
    keeps no normalized copy and a recurrent layer neither its input nor (LSTM, and
    SimpleRNN's time-zero step) the states only its kernels' gradients read."""
    dense, relu = ("Dense", {"units": 8}), ("Dense", {"units": 8, "activation": "relu"})
    conv = ("Conv2D", {"filters": 4, "kernel_size": 3})
    return [
        _frozen([dense, dense], (8,), 2, "dense_frozen_after_dense"),
        _frozen([dense, relu], (8,), 2, "dense_relu_frozen_after_dense"),
        _frozen([dense, dense], (8,), 1, "dense_frozen_first"),
        _frozen([conv, conv], (8, 8, 3), 2, "conv_frozen_after_conv"),
        _frozen([dense, ("BatchNormalization", {})], (8,), 2, "batch_norm_frozen"),
        _frozen([conv, ("BatchNormalization", {})], (8, 8, 3), 2, "batch_norm_frozen_4d"),
        _frozen([dense, ("LayerNormalization", {})], (5, 8), 2, "layer_norm_frozen"),
        _frozen([dense, ("PReLU", {})], (5, 8), 2, "prelu_frozen"),
        _frozen([dense, ("GroupNormalization", {"groups": 2})], (5, 8), 2, "group_norm_frozen"),
        _frozen([dense, ("RMSNormalization", {"axis": [1, 2]})], (5, 8), 2, "rms_norm_frozen"),
        _frozen([dense, ("LSTM", {"units": 6})], (5, 8), 2, "lstm_frozen"),
        _frozen([dense, ("LSTM", {"units": 5, "return_sequences": True})], (7, 3), 2, "lstm_seq"),
        _frozen([dense, ("GRU", {"units": 9})], (4, 6), 2, "gru_frozen"),
        _frozen([dense, ("SimpleRNN", {"units": 5, "return_sequences": True})], (7, 3), 2, "rnn"),
        _frozen([conv, ("DepthwiseConv2D", {"kernel_size": 3})], (8, 8, 3), 2, "depthwise_frozen"),
        _frozen([dense, ("Conv1DTranspose", {"filters": 4, "kernel_size": 3})], (5, 8), 2, "tr"),
    ]


@pytest.mark.parametrize("g", _frozen_kinds(), ids=lambda g: g.name)
def test_frozen_layers_agree_with_torch(g):
    assert_agrees_with_torch(g)


def test_a_frozen_layers_weights_count_without_gradients_or_slots():
    g = _frozen([("Dense", {"units": 4}), ("Dense", {"units": 2})], (8,), 1, "frozen")
    result = cost(g, batch=2)
    first, second = result.nodes[g.node_ids()[1]], result.nodes[g.node_ids()[2]]
    assert (first.params, first.trainable, second.trainable) == (36, 0, 10)
    assert sum(result.memory_by_node.values()) == result.train_memory_bytes
