"""Datasets of articles on Ray Data: rows in, the same rows out with their English translation.

``it2en corpus`` reads JSON Lines, Parquet or CSV (one article per row), sends the rows to a
pool of Ray actors that each load the model once (one :class:`~it2en.api.ArticleTranslator`
per actor) and translate a batch of articles at a time with the same pipeline as
``it2en translate``, and writes every row back with ``translation``, ``flags``, ``segments``,
``model``, ``model_revision`` and ``error``. It runs on an embedded Ray on one machine, or
unchanged on a Ray cluster (``--address auto`` or ``$RAY_ADDRESS``).

Why it is built this way:

* A bad row (bytes that are not text, NUL characters, a number, malformed JSON) becomes a row
  with an ``error``: one broken article never fails a job of a million.
* JSON Lines are split and parsed here, per line, not by Arrow's reader: one row whose text is a
  number (or whose line is not JSON) would make Arrow refuse the whole file.
* The output is written by the driver, in part files each renamed into place when complete, so
  an interrupted run leaves only whole parts and ``--resume`` can skip the ids they hold. A
  single-file output (``-o english.jsonl``) collects its parts beside it (``.english.jsonl.parts/``)
  and is assembled from them, atomically, at the end.
* Ray restarts an actor that dies and runs its batch again; as rows reach the output only once
  a batch has come back whole, every input id is written exactly once.

One module per job:

* :mod:`~it2en.corpus.job`: the job, its checks, the Ray Data pipeline, the run (driver);
* :mod:`~it2en.corpus.connect`: joining or starting Ray, and sizing the actor pool;
* :mod:`~it2en.corpus.reading`: finding the input files, checking columns, rows from bytes;
* :mod:`~it2en.corpus.worker`: the actor that translates a batch of rows;
* :mod:`~it2en.corpus.parts`: the output written as whole part files, then one file;
* :mod:`~it2en.corpus.resume`: where the output goes and which ids it already holds;
* :mod:`~it2en.corpus.schema`: the columns and file formats the others share.

Ray and pyarrow are an optional extra (``pip install "it2en[scale]"``); only this package
imports them, and only inside the functions that need them.
"""

from it2en.corpus.job import CorpusJob, CorpusSummary, run_corpus

__all__ = ["CorpusJob", "CorpusSummary", "run_corpus"]
