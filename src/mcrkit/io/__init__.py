"""Reading microstructures from files and segmenting gray or color images.

Functions
---------
read_microstructure
    Read a ``.npy``, ``.npz``, TIFF, PNG/BMP/JPEG or HDF5 file into a
    :class:`~mcrkit.microstructure.Microstructure` (with optional segmentation).
segment
    Turn a gray or color image into phase labels: as is, by ``threshold``
    (a value or ``"otsu"``) or by k-means into ``phases`` classes.
otsu_threshold
    Otsu's threshold of a gray image.
parse_threshold
    Read a threshold given as text (a number or ``"otsu"``).
write_microstructure
    Write a microstructure with its label values as ``.npy``, TIFF or PNG.
as_microstructure
    Any input (a path, an array, a microstructure) as a microstructure.
"""

from mcrkit.io.inputs import as_microstructure
from mcrkit.io.readers import read_microstructure
from mcrkit.io.segmentation import otsu_threshold, parse_threshold, segment
from mcrkit.io.writers import write_microstructure

__all__ = ["as_microstructure", "otsu_threshold", "parse_threshold", "read_microstructure",
           "segment", "write_microstructure"]
