#!/usr/bin/env python3
"""Writes a whisper.cpp ggml model file of a real model's shape with no weights in it.

whisper.cpp loads a file that holds only the header, the mel filters and the vocabulary as an
"empty model for testing": it allocates every tensor of that shape, so loading and decoding
cost what they cost with the real model; the text it produces is meaningless. Tests and
benchmarks use such files because no real model can be fetched on the build machines.

Layout (little-endian), as whisper.cpp's loader reads it: uint32 magic 0x67676d6c; int32
n_vocab, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer, n_text_ctx, n_text_state,
n_text_head, n_text_layer, n_mels, ftype; int32 n_mel, n_fft and n_mel*n_fft float32 filters;
int32 token count, then per token uint32 length and its bytes.

    make_whisper_model.py --shape tiny.en OUT.bin
"""
import argparse
import struct
import sys

# (n_audio_state, n_audio_head, n_audio_layer); the text side has the same three.
SHAPES = {"tiny": (384, 6, 4), "base": (512, 8, 6), "small": (768, 12, 12)}
N_AUDIO_CTX, N_TEXT_CTX, N_MELS, N_FFT = 1500, 448, 80, 201
FTYPE_F16 = 1
# The byte-level BPE vocabulary both model families start from; whisper.cpp adds the special
# tokens (start of transcript, languages, timestamps) above it.
N_BASE_TOKENS = 50256


def model_bytes(shape):
    family, _, lang = shape.partition(".")
    if family not in SHAPES or lang not in ("", "en"):
        raise ValueError(f"unknown shape {shape!r}: one of " + ", ".join(
            s + e for s in SHAPES for e in (".en", "")))
    state, head, layer = SHAPES[family]
    n_vocab = 51864 if lang == "en" else 51865
    out = [struct.pack("<I", 0x67676D6C),
           struct.pack("<11i", n_vocab, N_AUDIO_CTX, state, head, layer, N_TEXT_CTX, state, head,
                       layer, N_MELS, FTYPE_F16),
           struct.pack("<2i", N_MELS, N_FFT)]
    # Triangular filters over the FFT bins: plausible, and never read for meaning.
    filters = []
    for m in range(N_MELS):
        centre = (m + 1) * (N_FFT - 1) / (N_MELS + 1)
        filters += [max(0.0, 1.0 - abs(k - centre) / 2.5) for k in range(N_FFT)]
    out.append(struct.pack(f"<{len(filters)}f", *filters))
    out.append(struct.pack("<i", N_BASE_TOKENS))
    for i in range(N_BASE_TOKENS):
        token = bytes([i]) if i < 256 else f"t{i}".encode()
        out.append(struct.pack("<I", len(token)) + token)
    return b"".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shape", default="tiny.en", help="tiny.en, tiny, base.en, base, small.en, small")
    p.add_argument("out", help="file to write")
    a = p.parse_args()
    try:
        data = model_bytes(a.shape)
    except ValueError as e:
        sys.exit(f"make_whisper_model: {e}")
    with open(a.out, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
