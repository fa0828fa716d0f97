"""Gram-matrix descriptor: definition, gradients, shift invariance, weight files, provenance."""

import fractions
import hashlib
import math
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from typer.testing import CliRunner

import mcrkit
from mcrkit.characterization import Characterization
from mcrkit.cli import app
from mcrkit.descriptors import GramMatrices, gram_matrices
from mcrkit.descriptors.base import one_hot
from mcrkit.descriptors.feature_extractor import (
    LAYER_NAMES,
    SPECTRA_KEPT,
    VGG19_WIDTHS,
    RandomMultiscale,
    load_vgg19,
)
from mcrkit.descriptors.gram_matrices import PALETTES, WEIGHTS_VARIABLE
from mcrkit.engine.memory import estimate_peak_bytes
from mcrkit.engine.objective import resolve_terms
from mcrkit.engine.optimizers.lbfgs import LBFGS
from mcrkit.microstructure import from_array

VGG_LAYERS = ("conv1_1", "conv1_2", "pool1", "conv2_1", "pool2")  # depth 2: stride 4


@pytest.fixture(autouse=True)
def no_weights_variable(monkeypatch):
    monkeypatch.delenv(WEIGHTS_VARIABLE, raising=False)
    # a fresh extractor cache per test: the VGG-19 weights of a test are freed after it
    monkeypatch.setattr(sys.modules["mcrkit.descriptors.gram_matrices"], "_EXTRACTORS", {})


def _vgg_state_dict():
    """A randomly initialised state dict in torchvision's ``vgg19`` layout (float32)."""
    generator = torch.Generator().manual_seed(0)
    state, channels, index = {}, 3, 0
    for widths in VGG19_WIDTHS:
        for width in widths:
            std = math.sqrt(2 / (9 * channels))
            state[f"features.{index}.weight"] = torch.randn(width, channels, 3, 3,
                                                            generator=generator) * std
            state[f"features.{index}.bias"] = 0.1 * torch.randn(width, generator=generator)
            channels, index = width, index + 2
        index += 1
    state["classifier.6.bias"] = torch.zeros(1000)  # the classifier is ignored
    return state


@pytest.fixture(scope="module")
def vgg_files(tmp_path_factory):
    """The same random VGG-19 weights as a torch state dict and as .npz, and other weights."""
    folder = tmp_path_factory.mktemp("vgg")
    state = _vgg_state_dict()
    pth, npz, other = folder / "vgg19.pth", folder / "vgg19.npz", folder / "other.pth"
    torch.save(state, pth)
    np.savez(npz, **{key: value.numpy() for key, value in state.items()})
    torch.save(state | {"features.0.bias": state["features.0.bias"] + 1.0}, other)
    return {"state": state, "pth": pth, "npz": npz, "other": other}


def _reference_vgg(state, periodic):
    """torchvision's VGG-19 feature stack rebuilt from torch.nn modules (average pooling)."""
    layers, channels = [], 3
    for widths in VGG19_WIDTHS:
        for width in widths:
            layers += [torch.nn.Conv2d(channels, width, 3, padding=1,
                                       padding_mode="circular" if periodic else "zeros"),
                       torch.nn.ReLU()]
            channels = width
        layers.append(torch.nn.AvgPool2d(2))
    net = torch.nn.Sequential(*layers).double()
    net.load_state_dict({k.removeprefix("features."): v for k, v in state.items()
                         if k.startswith("features.")})
    return net


def _reference_maps(net, rgb, mean, std):
    """Output of every named layer of :func:`_reference_vgg` (ReLU outputs and poolings)."""
    mean = torch.tensor(mean, dtype=torch.float64).view(1, 3, 1, 1)
    x = (rgb - mean) / torch.tensor(std, dtype=torch.float64).view(1, 3, 1, 1)
    maps, names = {}, iter(LAYER_NAMES)
    for module in net:
        x = module(x)
        if not isinstance(module, torch.nn.Conv2d):
            maps[next(names)] = x
            if set(VGG_LAYERS) <= set(maps):
                return maps
    return maps


def _labels(shape, n_phases, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_phases, size=shape)
    labels.flat[:n_phases] = np.arange(n_phases)
    return labels


def _relaxed(shape, n_phases, seed=0):
    rng = np.random.default_rng(seed)
    raw = rng.uniform(0.05, 0.95, size=(n_phases, *shape))
    return torch.tensor(raw / raw.sum(axis=0), requires_grad=True)


# ---- definition -------------------------------------------------------------------------
def test_value_is_the_normalized_gram_matrix_of_reference_vgg_features(vgg_files):
    labels = _labels((16, 16), 2)
    grams = gram_matrices(labels, weights=str(vgg_files["pth"]), layers=VGG_LAYERS)
    net = _reference_vgg(vgg_files["state"], periodic=True)
    rgb = one_hot(labels, 2).permute(1, 2, 0) @ torch.tensor(PALETTES[2], dtype=torch.float64)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    bits = np.random.default_rng(0).integers(0, 2, size=(1, 3, 64, 64)).astype(np.float64)
    with torch.no_grad():
        maps = _reference_maps(net, rgb.permute(2, 0, 1)[None], mean, std)
        noise = _reference_maps(net, torch.from_numpy(bits), mean, std)
    sizes = {name: maps[name].shape[1] * (maps[name].shape[1] + 1) // 2 for name in VGG_LAYERS}
    for name in VGG_LAYERS:
        flat = maps[name][0].flatten(1).numpy()
        energy = float(noise[name].square().mean())
        scale = math.sqrt(sum(sizes.values()) / (len(VGG_LAYERS) * sizes[name])) / energy
        np.testing.assert_allclose(grams[name], flat @ flat.T / flat.shape[1] * scale,
                                   rtol=1e-10, atol=1e-12, err_msg=name)


def test_npz_and_torch_files_give_the_same_values(vgg_files):
    labels = _labels((16, 16), 3)
    from_pth = GramMatrices(weights=str(vgg_files["pth"]), layers=VGG_LAYERS)
    from_npz = GramMatrices(weights=str(vgg_files["npz"]), layers=VGG_LAYERS)
    np.testing.assert_allclose(from_npz.label_value(labels, 3), from_pth.label_value(labels, 3),
                               rtol=1e-12)
    assert from_pth.extractor != from_npz.extractor  # two files, two checksums


@pytest.mark.parametrize("periodic", [True, False])
def test_fft_filter_banks_equal_direct_convolution(periodic):
    extractor = RandomMultiscale(3)
    x = torch.rand(2, 3, 9, 12, dtype=torch.float64)
    maps = extractor.features(x, ["conv3x3", "conv7x7", "conv23x23"], periodic=periodic)
    normalized = 2 * x - 1
    for name, size in (("conv3x3", 3), ("conv7x7", 7), ("conv23x23", 23)):
        kernel = torch.from_numpy(extractor.kernels[name])
        half = size // 2
        if periodic:  # wrap by index: the kernel may be larger than the image
            rows = torch.arange(-half, 9 + half) % 9
            cols = torch.arange(-half, 12 + half) % 12
            expected = F.conv2d(normalized[..., rows[:, None], cols[None, :]], kernel)
        else:
            expected = F.conv2d(normalized, kernel, padding=half)
        np.testing.assert_allclose(maps[name].numpy(), F.relu(expected).numpy(), atol=1e-12,
                                   err_msg=name)


def test_filter_spectra_kept_for_a_bounded_number_of_image_sizes():
    extractor = RandomMultiscale(0, sizes=(3, 5), filters=2)
    first = extractor.features(torch.rand(1, 3, 6, 6, dtype=torch.float64), ["conv3x3"])
    for side in range(7, 7 + SPECTRA_KEPT + 3):  # a long session meeting many image sizes
        extractor.features(torch.rand(1, 3, side, 5, dtype=torch.float64), ["conv5x5"])
    assert len(extractor.spectra) == SPECTRA_KEPT
    assert ((6, 6), "cpu", torch.float64) not in extractor.spectra  # the oldest dropped
    again = extractor.features(torch.rand(1, 3, 6, 6, dtype=torch.float64), ["conv3x3"])
    assert again["conv3x3"].shape == first["conv3x3"].shape  # and made again when needed


def test_value_layout_and_matrices_are_symmetric_and_positive_semidefinite():
    descriptor = GramMatrices(layers=("conv3x3", "conv11x11"))
    value = descriptor.label_value(_labels((12, 12), 2), 2)
    assert value.shape == (2 * 64 * 65 // 2,)
    grams = gram_matrices(_labels((12, 12), 2), layers=("conv3x3", "conv11x11"))
    for matrix in grams.values():
        np.testing.assert_array_equal(matrix, matrix.T)
        assert np.linalg.eigvalsh(matrix).min() > -1e-10


def test_phases_are_distinguished_and_more_than_four_refused():
    labels = _labels((10, 10), 4)
    descriptor = GramMatrices(layers=("conv3x3",))
    swapped = np.choose(labels, [1, 0, 2, 3])
    assert not np.allclose(descriptor.label_value(labels, 4), descriptor.label_value(swapped, 4))
    with pytest.raises(ValueError, match="2 to 4 phases.*5 phases"):
        descriptor.label_value(_labels((10, 10), 5), 5)


def test_float32_fields_give_float32_values_close_to_float64():
    field = _relaxed((16, 16), 3).detach()
    descriptor = GramMatrices()
    single = descriptor.evaluate(field.float())
    assert single.dtype == torch.float32
    np.testing.assert_allclose(single.numpy(), descriptor.evaluate(field).numpy(), rtol=1e-4,
                               atol=1e-5)


@pytest.mark.parametrize("weights", ["random", "vgg"])
def test_evaluations_copy_no_host_data_to_the_device(vgg_files, monkeypatch, weights):
    # on CUDA a tensor made from host data is a synchronizing copy: after the first evaluation
    # (weights, palette and normalization cached per device) none may be made
    weights = str(vgg_files["pth"]) if weights == "vgg" else weights
    descriptor = GramMatrices(weights=weights, layers=("conv1_1",) if weights != "random"
                              else None)
    field = _relaxed((8, 8), 3).detach()
    first = descriptor.evaluate(field)

    def refuse(*args, **kwargs):
        raise AssertionError("tensor made from host data during an evaluation")

    with monkeypatch.context() as patched:
        for name in ("tensor", "as_tensor", "from_numpy"):
            patched.setattr(torch, name, refuse)
        patched.setattr(torch.Tensor, "new_tensor", refuse)
        again = descriptor.evaluate(field)
    torch.testing.assert_close(again, first)


# ---- gradients --------------------------------------------------------------------------
@pytest.mark.parametrize("n_phases", [2, 3, 4])
def test_gradient_matches_central_differences_for_every_input(n_phases):
    # u^T J by autograd against central differences of u^T D, input by input: every column
    # of the Jacobian is checked under three random projections u of the value.
    descriptor = GramMatrices(layers=("conv3x3", "conv7x7"))
    field = _relaxed((4, 5), n_phases).detach()
    rng = np.random.default_rng(n_phases)
    projections = torch.as_tensor(rng.normal(size=(3, *descriptor.evaluate(field).shape)))
    field.requires_grad_(True)
    value = descriptor.evaluate(field)
    analytic = torch.stack([torch.autograd.grad(value, field, u, retain_graph=True)[0]
                            for u in projections])
    step = 1e-6
    numeric = torch.zeros_like(analytic)
    with torch.no_grad():
        for index in np.ndindex(*field.shape):
            bump = torch.zeros_like(field)
            bump[index] = step
            difference = descriptor.evaluate(field + bump) - descriptor.evaluate(field - bump)
            numeric[(slice(None), *index)] = projections @ difference / (2 * step)
    np.testing.assert_allclose(analytic.numpy(), numeric.numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("periodic", [True, False])
def test_gradcheck_default_extractor(periodic):
    field = _relaxed((8, 7), 2)
    assert torch.autograd.gradcheck(GramMatrices(periodic=periodic).evaluate, (field,),
                                    atol=1e-7, rtol=1e-5, fast_mode=True)


@pytest.mark.parametrize("periodic", [True, False])
def test_gradcheck_vgg_weights_and_3d(vgg_files, periodic):
    descriptor = GramMatrices(weights=str(vgg_files["pth"]), layers=VGG_LAYERS,
                              periodic=periodic)
    assert torch.autograd.gradcheck(descriptor.evaluate, (_relaxed((8, 8), 3),), atol=1e-7,
                                    rtol=1e-5, fast_mode=True)
    volume = _relaxed((4, 8, 8), 2)
    assert descriptor.evaluate(volume).shape[0] == 3
    assert torch.autograd.gradcheck(lambda f: descriptor.evaluate(f)[0], (volume,),
                                    atol=1e-7, rtol=1e-5, fast_mode=True)


# ---- shift invariance -------------------------------------------------------------------
def test_random_extractor_is_invariant_to_every_periodic_shift():
    labels = _labels((12, 10), 3)
    descriptor = GramMatrices()
    value = descriptor.label_value(labels, 3)
    for shift in [(1, 0), (0, 3), (5, -7), (11, 9)]:
        np.testing.assert_allclose(descriptor.label_value(np.roll(labels, shift, (0, 1)), 3),
                                   value, rtol=1e-11, atol=1e-12, err_msg=str(shift))
    zero_padded = GramMatrices(periodic=False)
    assert not np.allclose(zero_padded.label_value(np.roll(labels, (1, 0), (0, 1)), 3),
                           zero_padded.label_value(labels, 3))


def test_vgg_layers_are_invariant_to_shifts_by_multiples_of_their_stride(vgg_files):
    labels = _labels((16, 24), 2)
    descriptor = GramMatrices(weights=str(vgg_files["pth"]), layers=VGG_LAYERS)
    assert descriptor.depth == 2
    value = descriptor.label_value(labels, 2)
    for shift in [(4, 0), (0, -8), (12, 20)]:  # multiples of 2**2
        np.testing.assert_allclose(descriptor.label_value(np.roll(labels, shift, (0, 1)), 2),
                                   value, rtol=1e-11, atol=1e-12, err_msg=str(shift))
    shifted = descriptor.label_value(np.roll(labels, (2, 1), (0, 1)), 2)
    parts = descriptor.layer_slices()
    for name in ("conv1_1", "conv1_2"):  # before the first pooling: every shift
        np.testing.assert_allclose(shifted[parts[name]], value[parts[name]], rtol=1e-11,
                                   atol=1e-12)
    for name in ("pool1", "conv2_1", "pool2"):  # the pooling grid moved
        assert not np.allclose(shifted[parts[name]], value[parts[name]]), name


def test_images_smaller_than_the_deepest_stride_are_refused(vgg_files):
    descriptor = GramMatrices(weights=str(vgg_files["pth"]), layers=("conv1_1", "pool3"))
    with pytest.raises(ValueError, match="pool3 follows 3 poolings.*at least 8 pixels"):
        descriptor.characterize(from_array(_labels((6, 12), 2)))


# ---- weight files -----------------------------------------------------------------------
def test_weight_file_checksum_and_layers_are_recorded(vgg_files):
    c = mcrkit.characterize(_labels((16, 16), 2), {"gram_matrices": {
        "weights": str(vgg_files["pth"]), "layers": VGG_LAYERS}})
    recorded = c.settings["gram_matrices"]
    digest = hashlib.sha256(vgg_files["pth"].read_bytes()).hexdigest()
    assert recorded["extractor"] == f"vgg19 sha256:{digest}"
    assert recorded["layers"] == list(VGG_LAYERS)
    assert recorded["weights"] == str(vgg_files["pth"].resolve())
    default = mcrkit.characterize(_labels((16, 16), 2), ["gram_matrices"])
    assert default.settings["gram_matrices"]["extractor"] == "random-multiscale seed 0"
    assert default.settings["gram_matrices"]["layers"] == [
        "conv3x3", "conv5x5", "conv7x7", "conv11x11", "conv15x15", "conv23x23"]


def test_environment_variable_supplies_the_weights(vgg_files, monkeypatch):
    monkeypatch.setenv(WEIGHTS_VARIABLE, str(vgg_files["pth"]))
    assert GramMatrices(layers=VGG_LAYERS).extractor.startswith("vgg19 sha256:")
    assert GramMatrices(weights="random").extractor == "random-multiscale seed 0"


def test_reconstruction_refuses_a_target_from_another_extractor(vgg_files, tmp_path):
    weights = tmp_path / "vgg19.pth"
    weights.write_bytes(vgg_files["pth"].read_bytes())
    target = mcrkit.characterize(_labels((16, 16), 2), {"volume_fractions": {}, "gram_matrices": {
        "weights": str(weights), "layers": ("conv1_1", "pool1")}})
    resolve_terms(target, (16, 16), ["gram_matrices"])  # the same file: accepted
    weights.write_bytes(vgg_files["other"].read_bytes())  # same path, other weights
    with pytest.raises(ValueError, match="same extractor"):
        mcrkit.reconstruct(target, (16, 16), ["gram_matrices"], max_iter=2, device="cpu")


def test_a_weight_file_changed_in_use_is_refused(vgg_files, tmp_path):
    weights = tmp_path / "vgg19.pth"
    weights.write_bytes(vgg_files["pth"].read_bytes())
    descriptor = GramMatrices(weights=str(weights), layers=("conv1_1",))
    field = _relaxed((8, 8), 2).detach()
    descriptor.evaluate(field)
    weights.write_bytes(vgg_files["other"].read_bytes())  # replaced during a run
    with pytest.raises(ValueError, match="vgg19.pth changed while in use"):
        descriptor.evaluate(field)


def test_recorded_file_found_through_the_variable_on_another_machine(vgg_files, tmp_path,
                                                                     monkeypatch):
    moved = tmp_path / "vgg19.pth"
    moved.write_bytes(vgg_files["pth"].read_bytes())
    target = mcrkit.characterize(_labels((16, 16), 2), {"gram_matrices": {
        "weights": str(moved), "layers": ("conv1_1",)}})
    moved.unlink()
    with pytest.raises(FileNotFoundError, match=f"no VGG-19 weight file.*{WEIGHTS_VARIABLE}"):
        resolve_terms(target, (16, 16), ["gram_matrices"])
    monkeypatch.setenv(WEIGHTS_VARIABLE, str(vgg_files["pth"]))
    (term,) = resolve_terms(target, (16, 16), ["gram_matrices"])
    assert term.descriptor.extractor == target.settings["gram_matrices"]["extractor"]


def test_wrong_shape_is_refused_naming_file_key_and_fix(vgg_files, tmp_path):
    state = dict(vgg_files["state"])
    state["features.10.weight"] = torch.zeros(256, 128, 5, 5)
    bad = tmp_path / "bad.pth"
    torch.save(state, bad)
    with pytest.raises(ValueError, match=r"bad\.pth: features\.10\.weight has shape "
                                         r"\(256, 128, 5, 5\), VGG-19 needs \(256, 128, 3, 3\); "
                                         r"give the VGG-19 ImageNet weights"):
        GramMatrices(weights=str(bad))


def test_missing_key_and_foreign_files_are_refused(vgg_files, tmp_path):
    state = {k: v for k, v in vgg_files["state"].items() if k != "features.34.bias"}
    missing = tmp_path / "missing.npz"
    np.savez(missing, **{k: v.numpy() for k, v in state.items()})
    with pytest.raises(ValueError, match=r"missing\.npz: missing key 'features\.34\.bias'"):
        load_vgg19(missing)
    words = tmp_path / "words.npz"
    np.savez(words, **{"features.0.weight": np.array(["conv"] * 4)})
    with pytest.raises(ValueError, match=r"words\.npz: features\.0\.weight is not an array of "
                                         "numbers"):
        load_vgg19(words)
    tensor = tmp_path / "tensor.pth"
    torch.save(torch.zeros(3), tensor)
    with pytest.raises(ValueError, match=r"tensor\.pth: holds a Tensor, not a state dict"):
        load_vgg19(tensor)
    for junk in ("not weights", "hello\n", "\x80\x02}q\x00.", ""):  # unpickler: many errors
        text = tmp_path / "notes.pth"
        text.write_text(junk)
        with pytest.raises(ValueError, match=r"notes\.pth: cannot be read as VGG-19 weights"):
            load_vgg19(text)

    code = tmp_path / "code.pth"  # a pickled object: refused, without torch's advice to unpickle
    torch.save({"features.0.weight": fractions.Fraction(1, 3)}, code)
    with pytest.raises(ValueError, match=r"code\.pth: cannot be read as VGG-19 weights \(it "
                                         "holds Python objects other than arrays"):
        load_vgg19(code)
    with pytest.raises(FileNotFoundError, match="nowhere.pth"):
        GramMatrices(weights=str(tmp_path / "nowhere.pth"))


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="has no layers \\['conv9_9'\\]; choose among conv3x3"):
        GramMatrices(layers=("conv9_9",))
    with pytest.raises(ValueError, match="more than once"):
        GramMatrices(layers=("conv3x3", "conv3x3"))
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        GramMatrices(seed=-1)


# ---- workflows --------------------------------------------------------------------------
def test_memory_estimate_grows_with_the_feature_maps():
    target = mcrkit.characterize(_labels((32, 32), 2), {
        "two_point": {}, "gram_matrices": {"layers": ("conv3x3",)}})
    one = resolve_terms(target, (32, 32, 32), ["two_point"])
    gram = resolve_terms(target, (32, 32, 32), ["gram_matrices"])
    descriptor = gram[0].descriptor
    assert descriptor.workspace(2) > 3 * 64  # input, spectra, convolution, ReLU outputs
    assert (estimate_peak_bytes(gram, (32, 32, 32), 2, LBFGS())
            > estimate_peak_bytes(one, (32, 32, 32), 2, LBFGS()))


def test_reconstruction_lowers_the_gram_mismatch():
    stripes = np.tile([0, 0, 1, 1], (16, 4))
    target = mcrkit.characterize(stripes, {"volume_fractions": {}, "gram_matrices": {
        "layers": ("conv3x3", "conv5x5")}})
    result = mcrkit.reconstruct(target, (16, 16), ["gram_matrices"], max_iter=40, seed=0,
                                device="cpu")
    start = GramMatrices(layers=("conv3x3", "conv5x5")).label_value(
        _labels((16, 16), 2), 2) - target["gram_matrices"]
    assert result.errors["gram_matrices"] < 0.2 * np.mean(start**2)


def test_cli_characterize_and_match(tmp_path):
    runner = CliRunner()
    image = tmp_path / "stripes.npy"
    np.save(image, np.tile([0, 0, 1, 1], (16, 4)).astype(np.uint8))
    out = tmp_path / "c.npz"
    result = runner.invoke(app, ["characterize", str(image), "-o", str(out),
                                 "--descriptors", "GramMatrices", "--plot",
                                 str(tmp_path / "c.png")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "c.png").stat().st_size > 0
    loaded = Characterization.load(out)
    assert loaded.settings["gram_matrices"]["extractor"] == "random-multiscale seed 0"
    result = runner.invoke(app, ["match", str(image), "--descriptors", "gram_matrices",
                                 "--max-iter", "3", "--seed", "0", "--device", "cpu",
                                 "-o", str(tmp_path / "run"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "run" / "run.json").exists()
