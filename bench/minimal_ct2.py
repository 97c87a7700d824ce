"""The minimal CTranslate2 program the speed benchmarks compare it2en with.

    python bench/minimal_ct2.py CT2_DIR FILE...      (translations on stdout, one per sentence)

What a user would write in a few lines: paragraphs (blocks between blank lines) split into
sentences with sentence-splitter, SentencePiece pieces + ``</s>``, one
``Translator.translate_batch`` call (int8, beam 4, CTranslate2's own batching:
``max_batch_size=2048, batch_type="tokens"``), ``target.spm`` to detokenise. No punctuation
normalisation, no checks, no structure. The cap rule is it2en's (2 × longest source + 10,
minus the step transformers forces ``</s>`` on), applied once to the whole call.
"""

import os
import re
import sys

import ctranslate2
import sentencepiece
from sentence_splitter import SentenceSplitter


def main() -> None:
    ct2_dir, files = sys.argv[1], sys.argv[2:]
    splitter = SentenceSplitter(language="it")
    sentences = []
    for path in files:
        with open(path, encoding="utf-8") as handle:
            for block in re.split(r"\n\s*\n", handle.read()):
                if block.strip():
                    sentences += [s for s in splitter.split(" ".join(block.split())) if s.strip()]
    source = sentencepiece.SentencePieceProcessor(model_file=os.path.join(ct2_dir, "source.spm"))
    target = sentencepiece.SentencePieceProcessor(model_file=os.path.join(ct2_dir, "target.spm"))
    translator = ctranslate2.Translator(ct2_dir, device="cpu", compute_type="int8",
                                        inter_threads=1, intra_threads=len(os.sched_getaffinity(0)))
    tokens = [source.encode(s, out_type=str) + ["</s>"] for s in sentences]
    cap = min(512, 2 * max(map(len, tokens)) + 10) - 1
    results = translator.translate_batch(tokens, beam_size=4, max_decoding_length=cap,
                                         max_batch_size=2048, batch_type="tokens")
    for result in results:
        print(target.decode_pieces(result.hypotheses[0]).replace("▁", " ").strip())


if __name__ == "__main__":
    main()
