"""The local web interface (``mcrkit gui``; needs the ``gui`` extra).

- :mod:`~mcrkit.gui.forms` -- the actions' fields: library keyword names and defaults.
- :mod:`~mcrkit.gui.uploads` -- a private upload directory per session; files checked on arrival.
- :mod:`~mcrkit.gui.jobs` -- the job queue: one worker thread, progress, cancellation.
- :mod:`~mcrkit.gui.actions` -- each action as a job calling one library function;
  resuming a run; exports.
- :mod:`~mcrkit.gui.results` -- the results saved in the output folder: listed, and read
  back as the page shows them (summary, verdict, tables, figures).
- :mod:`~mcrkit.gui.pictures` -- label slices as PNG images for the page; previews of inputs.
- :mod:`~mcrkit.gui.widgets` and :mod:`~mcrkit.gui.app` -- the page and the server
  (these import NiceGUI; the modules above do not).
"""
