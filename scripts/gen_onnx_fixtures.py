#!/usr/bin/python3
"""ONNX fixtures for deconv's importer tests (test/onnx-node.test.ts, test/onnx-torch.test.ts).

Run with Debian's python3-onnx (1.12) and python3-torch (1.13): /usr/bin/python3 scripts/gen_onnx_fixtures.py

1. node/: ONNX 1.12's own backend node-test cases (its generators in onnx.backend.test.case.node,
   collected once per process) for the upsampling family and for the operators around it, each as
   ONNX lays them out on disk: <case>/model.onnx and <case>/test_data_set_0/{input,output}_<i>.pb.
2. torch/: small models exported by PyTorch 1.13's torch.onnx.export at opsets 11, 13 and 17, with
   PyTorch's own outputs in the same layout.
"""
import os
import shutil
import sys

import numpy as np

# ONNX 1.12's test generators use aliases that NumPy 1.24 removed.
for _name, _alias in [("float", float), ("int", int), ("bool", bool), ("object", object), ("complex", complex), ("str", str)]:
    if _name not in np.__dict__:
        setattr(np, _name, _alias)

import onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402
from onnx.backend.test.case.node import collect_testcases  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "onnx")

# The upsampling family: every node-test case of these must pass.
FAMILY = {
    "ConvTranspose", "Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
    "Resize", "Upsample", "MaxUnpool", "DepthToSpace", "SpaceToDepth",
}
# The operators exporters put around them: their node-test cases are collected too.
AROUND = {
    "BatchNormalization", "InstanceNormalization", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Elu",
    "Selu", "Softplus", "PRelu", "HardSigmoid", "Softmax", "LogSoftmax", "Exp", "Log", "Sqrt", "Abs",
    "Neg", "Reciprocal", "Floor", "Ceil", "Pow", "Add", "Sub", "Mul", "Div", "Max", "Min", "Sum", "Mean",
    "Concat", "Split", "Slice", "Pad", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze",
    "Shape", "Gather", "Constant", "ConstantOfShape", "Cast", "Identity", "Dropout", "Gemm", "MatMul",
    "Clip", "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "Expand", "Tile", "Erf",
}
SUPPORTED_TYPES = {onnx.TensorProto.FLOAT, onnx.TensorProto.INT64, onnx.TensorProto.INT32}
MAX_CASE_BYTES = 64 * 1024


def write_case(directory, model_bytes, inputs, outputs):
    os.makedirs(os.path.join(directory, "test_data_set_0"), exist_ok=True)
    with open(os.path.join(directory, "model.onnx"), "wb") as f:
        f.write(model_bytes)
    for kind, tensors in (("input", inputs), ("output", outputs)):
        for i, (name, array) in enumerate(tensors):
            proto = numpy_helper.from_array(np.asarray(array), name)
            with open(os.path.join(directory, "test_data_set_0", f"{kind}_{i}.pb"), "wb") as f:
                f.write(proto.SerializeToString())


def value_types(model):
    graph = model.graph
    types = set()
    for v in list(graph.input) + list(graph.output):
        if not v.type.HasField("tensor_type"):
            return None
        types.add(v.type.tensor_type.elem_type)
    return types


def node_tests():
    out = os.path.join(ROOT, "node")
    shutil.rmtree(out, ignore_errors=True)
    kept = {}
    for case in collect_testcases(None):  # None: every operator
        ops = {n.op_type for n in case.model.graph.node}
        family = ops & FAMILY
        if not family and not (ops <= AROUND | {"Constant"} and ops & AROUND):
            continue
        types = value_types(case.model)
        if not family and (types is None or not types <= SUPPORTED_TYPES):
            continue
        if len(case.data_sets) == 0:
            continue
        inputs, outputs = case.data_sets[0]
        graph = case.model.graph
        model_bytes = case.model.SerializeToString()
        size = len(model_bytes) + sum(np.asarray(a).nbytes for a in list(inputs) + list(outputs))
        if not family and size > MAX_CASE_BYTES:
            continue
        # ONNX 1.12 defines two cases named test_resize_tf_crop_and_resize: keep both
        name = case.name
        while os.path.exists(os.path.join(out, name)):
            name += "_2"
        write_case(
            os.path.join(out, name),
            model_bytes,
            [(graph.input[i].name, a) for i, a in enumerate(inputs)],
            [(graph.output[i].name, a) for i, a in enumerate(outputs)],
        )
        key = sorted(family)[0] if family else (sorted(ops - {"Constant"}) or ["Constant"])[0]
        kept.setdefault(key, []).append(name)
    with open(os.path.join(out, "cases.txt"), "w") as f:
        f.write("# operator: node-test cases (FAMILY operators must all pass)\n")
        for op in sorted(kept):
            f.write(f"{'family' if op in FAMILY else 'around'} {op}: {' '.join(sorted(kept[op]))}\n")
    for op in sorted(kept):
        print(f"{op}: {len(kept[op])}")


def torch_models():
    import torch
    import torch.nn as nn

    torch.manual_seed(0)

    class Generator(nn.Module):  # DCGAN-like
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(
                nn.ConvTranspose2d(8, 6, 4, 1, 0, bias=False), nn.BatchNorm2d(6), nn.ReLU(),
                nn.ConvTranspose2d(6, 4, 4, 2, 1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
                nn.ConvTranspose2d(4, 3, 4, 2, 1, output_padding=0, bias=True), nn.Tanh(),
            )

        def forward(self, z):
            return self.net(z)

    class Espcn(nn.Module):  # ESPCN-like super resolution, PixelShuffle -> DepthToSpace
        def __init__(self, r=3):
            super().__init__()
            self.c1 = nn.Conv2d(1, 8, 5, padding=2)
            self.c2 = nn.Conv2d(8, 4, 3, padding=1)
            self.c3 = nn.Conv2d(4, r * r, 3, padding=1)
            self.shuffle = nn.PixelShuffle(r)

        def forward(self, x):
            x = torch.tanh(self.c1(x))
            x = torch.tanh(self.c2(x))
            return torch.sigmoid(self.shuffle(self.c3(x)))

    class Segmenter(nn.Module):  # encoder-decoder with Resize, BatchNorm, Concat, pooling
        def __init__(self):
            super().__init__()
            self.e1 = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU())
            self.pool = nn.MaxPool2d(2)
            self.e2 = nn.Sequential(nn.Conv2d(4, 6, 3, padding=1), nn.BatchNorm2d(6), nn.LeakyReLU(0.1))
            self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
            self.d1 = nn.Conv2d(10, 4, 3, padding=1)
            self.head = nn.Conv2d(4, 3, 1)

        def forward(self, x):
            a = self.e1(x)
            b = self.e2(self.pool(a))
            u = self.up(b)
            y = self.d1(torch.cat([a, u], dim=1))
            y = torch.relu(y)
            y = nn.functional.interpolate(y, size=(x.shape[2] * 2, x.shape[3] * 2), mode="nearest")
            y = nn.functional.avg_pool2d(y, 2)
            return torch.softmax(self.head(y), dim=1)

    class Mixed(nn.Module):  # 1-d/3-d, dilations, groups, align_corners, bicubic, flatten + linear
        def __init__(self):
            super().__init__()
            self.t1 = nn.ConvTranspose1d(2, 4, 3, stride=2, padding=1, output_padding=1, dilation=2)
            self.t3 = nn.ConvTranspose3d(2, 2, 2, stride=2, groups=2)
            self.c = nn.Conv2d(2, 4, 3, stride=2, padding=1, groups=2, dilation=1)
            self.fc = nn.Linear(4 * 4 * 5, 5)

        def forward(self, x1, x3, x2):
            a = torch.sigmoid(self.t1(x1))
            b = self.t3(x3).mean(dim=(2, 3, 4))
            c = nn.functional.interpolate(x2, scale_factor=2, mode="bicubic", align_corners=True)
            c = nn.functional.interpolate(c, size=(7, 9), mode="bilinear", align_corners=True)
            c = self.c(nn.functional.pad(c, (0, 1, 0, 1)))
            d = self.fc(torch.flatten(c, 1))
            return a, b, torch.clamp(d, -0.5, 0.5)

    models = {
        "dcgan": (Generator(), (torch.randn(2, 8, 1, 1),)),
        "espcn": (Espcn(), (torch.rand(2, 1, 6, 7),)),
        "segmenter": (Segmenter(), (torch.randn(2, 3, 8, 8),)),
        "mixed": (Mixed(), (torch.randn(2, 2, 5), torch.randn(2, 2, 2, 3, 2), torch.randn(2, 2, 4, 4))),
    }
    out = os.path.join(ROOT, "torch")
    shutil.rmtree(out, ignore_errors=True)
    import io

    for name, (model, args) in models.items():
        # running statistics that are not the defaults, so BatchNorm is visible in the outputs
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
        model.eval()
        with torch.no_grad():
            expected = model(*args)
        if isinstance(expected, torch.Tensor):
            expected = (expected,)
        for opset in (11, 13, 17):
            buf = io.BytesIO()
            input_names = [f"input{i}" for i in range(len(args))]
            output_names = [f"output{i}" for i in range(len(expected))]
            torch.onnx.export(
                model, args, buf, opset_version=opset, input_names=input_names, output_names=output_names,
                # the ESPCN-like net is fully convolutional: any image size
                dynamic_axes={n: ({0: "batch", 2: "height", 3: "width"} if name == "espcn" else {0: "batch"}) for n in input_names + output_names},
            )
            write_case(
                os.path.join(out, f"{name}_opset{opset}"),
                buf.getvalue(),
                [(n, a.numpy()) for n, a in zip(input_names, args)],
                [(n, a.numpy()) for n, a in zip(output_names, expected)],
            )
            print(f"torch {name} opset {opset}: {len(buf.getvalue())} bytes")

    # A net whose axes differ (kernel, stride, padding per axis) on a wide input, for the
    # explorer's per-axis views (test/onnx-browser.test.ts). Seeded on its own, after the others,
    # so their fixtures do not change.
    torch.manual_seed(1)

    class Anisotropic(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, (3, 5), stride=(1, 2), padding=(1, 2))
            self.pool = nn.MaxPool2d((2, 3), stride=(2, 1), padding=(0, 1))
            self.up = nn.ConvTranspose2d(4, 2, (4, 3), stride=(2, 1), padding=(1, 1))

        def forward(self, x):
            return torch.sigmoid(self.up(self.pool(torch.relu(self.conv(x)))))

    model = Anisotropic().eval()
    x = torch.randn(2, 3, 8, 96)
    with torch.no_grad():
        y = model(x)
    buf = io.BytesIO()
    torch.onnx.export(
        model, (x,), buf, opset_version=17, input_names=["input0"], output_names=["output0"],
        dynamic_axes={"input0": {0: "batch"}, "output0": {0: "batch"}},
    )
    write_case(os.path.join(out, "anisotropic_opset17"), buf.getvalue(), [("input0", x.numpy())], [("output0", y.numpy())])
    print(f"torch anisotropic opset 17: {len(buf.getvalue())} bytes")


if __name__ == "__main__":
    which = sys.argv[1:] or ["node", "torch"]
    if "node" in which:
        node_tests()
    if "torch" in which:
        torch_models()
