"""Files declaring arrays larger than the available memory are refused before any read."""

from __future__ import annotations

import struct
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest
from typer.testing import CliRunner

from mcrkit.cli import app
from mcrkit.io import read_microstructure
from mcrkit.io.vti import write_vti
from mcrkit.microstructure import MicrostructureError, from_array
from mcrkit.runtime import MemoryLimits

HUGE = (10**6, 10**6)  # 931 GiB of uint8, more than any test machine has


def npy_header(shape: tuple[int, ...]) -> bytes:
    """The bytes of an ``.npy`` header declaring ``shape`` uint8, with no data after it."""
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": "|u1", "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG signature, IHDR of an 8-bit gray image, an empty IDAT and IEND."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b""))
            + chunk(b"IEND", b""))


def refused_cheaply(path: str) -> str:
    """Read ``path``, expecting a refusal that allocated (almost) nothing; return the message."""
    tracemalloc.start()
    try:
        with pytest.raises(MicrostructureError) as info:
            read_microstructure(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20
    return str(info.value)


def test_npy_header_declaring_a_huge_array(tmp_path):
    path = tmp_path / "huge.npy"
    path.write_bytes(npy_header(HUGE))
    message = refused_cheaply(str(path))
    assert str(path) in message
    assert "1000000 x 1000000 uint8 array (931.3 GiB)" in message
    assert "Crop or downsample" in message


def test_npz_member_declaring_a_huge_array(tmp_path):
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("labels.npy", npy_header(HUGE))
    message = refused_cheaply(str(path))
    assert "array 'labels'" in message and "931.3 GiB" in message


def test_compressed_h5_declaring_a_huge_array(tmp_path):
    import h5py

    path = tmp_path / "huge.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("labels", shape=HUGE, dtype="u1", chunks=(256, 256),
                          compression="gzip")
    assert path.stat().st_size < 10_000
    assert "931.3 GiB" in refused_cheaply(str(path))


def test_tif_declaring_a_huge_array(tmp_path):
    import tifffile

    path = tmp_path / "huge.tif"
    tifffile.imwrite(path, np.eye(16, dtype=np.uint8))
    with tifffile.TiffFile(path, mode="r+") as tif:  # declare 10**6 x 10**6 pixels
        for name in ("ImageWidth", "ImageLength", "RowsPerStrip"):
            tif.pages[0].tags[name].overwrite(10**6)
    assert "1000000 x 1000000 uint8" in refused_cheaply(str(path))


def test_png_decompression_bomb(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header(100_000, 100_000))
    message = refused_cheaply(str(path))
    assert str(path) in message and "downsample" in message


@pytest.mark.parametrize("suffix", [".npy", ".h5", ".tif", ".png", ".vti"])
def test_every_reader_checks_the_declared_size(tmp_path, monkeypatch, suffix):
    labels = np.zeros((64, 64), dtype=np.uint8)
    labels[:32] = 1
    path = tmp_path / f"small{suffix}"
    if suffix == ".npy":
        np.save(path, labels)
    elif suffix == ".h5":
        import h5py

        with h5py.File(path, "w") as h5:
            h5["labels"] = labels
    elif suffix == ".tif":
        import tifffile

        tifffile.imwrite(path, labels)
    elif suffix == ".png":
        import imageio.v3 as iio

        iio.imwrite(path, labels * 255)
    else:
        write_vti(path, from_array(labels))
    assert read_microstructure(str(path)).shape == (64, 64)
    tight = MemoryLimits(ceiling=4096, ceiling_source="a test", free=4096, held=0)
    monkeypatch.setattr("mcrkit.io.sizes.memory_limits", lambda: tight)
    with pytest.raises(MicrostructureError, match=r"64 x 64 .*only 4\.0 KiB of memory"):
        read_microstructure(str(path))


def test_cli_refuses_with_exit_1_and_writes_nothing(tmp_path):
    path = tmp_path / "huge.npy"
    path.write_bytes(npy_header(HUGE))
    out = tmp_path / "char.npz"
    result = CliRunner().invoke(app, ["characterize", str(path), "-o", str(out)])
    assert result.exit_code == 1
    assert "huge.npy" in result.output and "931.3 GiB" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize("options", [{}, {"threshold": 5.0}, {"threshold": "otsu"},
                                     {"phases": 3}])
@pytest.mark.parametrize("moved", [False, True])
def test_segmentation_needs_at_most_three_times_the_labels(options, moved):
    from mcrkit.io import segment

    rng = np.random.default_rng(0)
    gray = rng.integers(0, 3, size=(256, 256, 64), dtype=np.uint8) * 7
    if moved:  # as a TIFF stack is read: not contiguous
        gray = np.moveaxis(gray, 0, 2)
    tracemalloc.start()
    try:
        ms = segment(gray, **options)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= 3 * ms.labels.nbytes
    expected = np.unique(gray, return_inverse=True)[1].reshape(gray.shape)
    if "threshold" in options:
        expected = (gray > ms.segmentation["threshold"]).astype(np.uint8)
    np.testing.assert_array_equal(ms.labels, expected)


def test_colors_map_to_phases_in_at_most_three_times_the_labels():
    from mcrkit.io import segment

    palette = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 20, 30]], dtype=np.uint8)
    index = np.random.default_rng(1).integers(0, 4, size=(2048, 2048))
    colors = palette[index]
    tracemalloc.start()
    try:
        ms = segment(colors, channel_axis=-1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= 3 * ms.labels.nbytes
    order = sorted(range(4), key=lambda k: tuple(palette[k]))  # lexicographic colors
    np.testing.assert_array_equal(ms.labels, np.argsort(order)[index])
    assert ms.label_values == tuple(tuple(palette[k].tolist()) for k in order)


def test_16_bit_colors_on_the_first_axis():
    from mcrkit.io import segment

    colors = np.zeros((3, 4, 5), dtype=np.uint16)
    colors[0, :2] = 65535
    colors[2, :, :3] = 7
    ms = segment(colors, channel_axis=0)
    assert ms.label_values == ((0, 0, 0), (0, 0, 7), (65535, 0, 0), (65535, 0, 7))
    np.testing.assert_array_equal(ms.labels[:2, :3], 3)
