"""Reading microstructures from files and segmenting gray or color images.

Functions
---------
read_microstructure
    Read a ``.npy``, ``.npz``, TIFF, PNG/BMP/JPEG, HDF5 or ``.vti`` file into a
    :class:`~mcrkit.microstructure.Microstructure` (with optional segmentation),
    with its voxel size and unit where the file stores them.
read_image
    The array a file holds before segmentation (to show a gray image).
segment
    Turn a gray or color image into phase labels: as is, by ``threshold``
    (a value or ``"otsu"``) or by k-means into ``phases`` classes.
otsu_threshold
    Otsu's threshold of a gray image.
parse_threshold
    Read a threshold given as text (a number or ``"otsu"``).
write_microstructure
    Write a microstructure with its label values as ``.npy``, TIFF or PNG.
write_imagej_tiff
    Write a microstructure as an 8/16-bit ImageJ hyperstack with its calibration.
as_microstructure
    Any input (a path, an array, a microstructure) as a microstructure.
"""

from mcrkit.io.inputs import as_microstructure
from mcrkit.io.readers import read_image, read_microstructure
from mcrkit.io.segmentation import otsu_threshold, parse_threshold, segment
from mcrkit.io.writers import write_imagej_tiff, write_microstructure

__all__ = ["as_microstructure", "otsu_threshold", "parse_threshold", "read_image",
           "read_microstructure", "segment", "write_imagej_tiff", "write_microstructure"]
